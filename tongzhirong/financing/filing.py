"""The paperless pledge filing: the packages both parties sign in-app, and the releases drafted at payoff.

A pledge registers where its rights do: patents, marks and layout designs at CNIPA, copyrights and software at
the Copyright Protection Center. An application files once per registry its assets need, each filing with its
own package (listing only that registry's rights), its own signatures, registration notice and release.

A package holds what the registry's rules (专利权质押登记办法, 著作权质权登记办法; BRIEF §4) ask of a filing: the
application form's data (both parties, the secured debt, its term, the pledged rights), the pledge contract's
required items each marked present or missing, the pre-check grounds the parties confirm by signing, and — over
10 patents, at CNIPA — the asset list as an XLSX attachment. Its SHA-256 is taken over the canonical JSON, which
carries the attachment's own hash, so a signature covers every byte filed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, OrganisationKind, Role
from tongzhirong.core.errors import Conflict, DuplicateObject, NotFound, ValidationFailed
from tongzhirong.core.reference import PATENT_TYPES, IPType
from tongzhirong.core.tabular import write_xlsx
from tongzhirong.evidence.services import evidence_append
from tongzhirong.notifications.tasks import notify_organisations
from tongzhirong.outbox.services import task_enqueue

from .access import application_locked
from .models import (
    REGISTRY_OF_TYPE,
    Application,
    ApplicationStatus,
    FilingPackage,
    Loan,
    PackageSignature,
    PledgeRegistration,
    Registry,
    SigningParty,
    registries_of,
)
from .package_pdf import render_package_pdf
from .pledge import GUARANTEE_SCOPE, contract_items, precheck_require_pass
from .schedule import add_months

PATENT_LIST_THRESHOLD = 10  # "over 10 patents go as a list"
SIGNING_ROLES = {
    SigningParty.PLEDGOR: frozenset({Role.SME_OWNER}),  # the legal representative signs for the enterprise
    SigningParty.PLEDGEE: BANK_ROLES,
}
ASSET_LIST_HEADERS = (
    "序号 No.",
    "专利号 Number",
    "名称 Title",
    "类型 Type",
    "申请日 Filing date",
    "授权公告日 Grant date",
)


def canonical_sha256(content: dict) -> str:
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _asset_list_xlsx(assets) -> bytes:
    rows = (
        [n, a.identifier, a.title, str(IPType(a.ip_type).label), a.filing_date, a.grant_date]
        for n, a in enumerate(assets, start=1)
    )
    return write_xlsx(ASSET_LIST_HEADERS, rows, title="质押专利清单")


# The registry's names as the package states them (the pages translate ``Registry`` labels).
REGISTRY_NAMES = {
    Registry.CNIPA: ("国家知识产权局", "China National Intellectual Property Administration (CNIPA)"),
    Registry.COPYRIGHT_CENTRE: ("中国版权保护中心", "Copyright Protection Center of China"),
}


def application_registries(application: Application) -> list[str]:
    """The registries the application's pledged assets register at, CNIPA first."""
    return registries_of(application.assets.values_list("ip_type", flat=True))


def registry_named(application: Application, registry: str | None) -> str:
    """The registry a request means: the one named (which the assets must need), or the application's only one."""
    needed = application_registries(application)
    if registry is None:
        if len(needed) == 1:
            return needed[0]
        raise ValidationFailed(
            {
                "registry": [
                    _("This application files at %(registries)s: name the registry.")
                    % {"registries": "、".join(str(Registry(r).label) for r in needed)}
                ]
            }
        )
    if registry not in needed:
        raise ValidationFailed(
            {
                "registry": [
                    _("None of this application's assets registers at %(registry)s.")
                    % {"registry": Registry(registry).label if registry in Registry.values else registry}
                ]
            }
        )
    return registry


@dataclass
class Filing:
    """One registry's filing of an application, as the pages and the API show it: the rights it lists, its
    current package (None until generated) and its registration (None until filed)."""

    registry: str
    rights: list[str] = field(default_factory=list)
    package: FilingPackage | None = None
    registration: PledgeRegistration | None = None

    @property
    def label(self) -> str:
        return str(Registry(self.registry).label)

    @property
    def signed_parties(self) -> set[str]:
        if self.package is None:
            return set()
        return {s.party for s in self.package.signatures.all() if s.document_sha256 == self.package.sha256}

    @property
    def fully_signed(self) -> bool:
        return self.signed_parties == set(SigningParty.values)


def application_filings(application: Application) -> list[Filing]:
    """Each registry's filing of the application, CNIPA first (three queries)."""
    filings = {r: Filing(registry=r) for r in application_registries(application)}
    for identifier, ip_type in application.assets.order_by("ip_type", "identifier").values_list(
        "identifier", "ip_type"
    ):
        filings[REGISTRY_OF_TYPE[ip_type]].rights.append(identifier)
    for package in current_packages(application):
        if package.registry in filings:
            filings[package.registry].package = package
    for registration in PledgeRegistration.objects.filter(application=application):
        filings.setdefault(registration.registry, Filing(registry=registration.registry)).registration = registration
    return sorted(filings.values(), key=lambda f: Registry.values.index(f.registry))


def registrations_outstanding(application: Application) -> list[str]:
    """The registries whose registration notice is still to be recorded, once the pledge is filed: disbursing
    waits for every one. Empty for an application never filed through the platform."""
    registered = dict(
        PledgeRegistration.objects.filter(application=application).values_list("registry", "registered_on")
    )
    if not registered:
        return []
    return [r for r in application_registries(application) if registered.get(r) is None]


def _package_content(
    application: Application, *, registry: str, version: int, precheck: dict, today: dt.date
) -> tuple[dict, bytes | None]:
    assets = [
        a for a in application.assets.order_by("ip_type", "identifier") if REGISTRY_OF_TYPE[a.ip_type] == registry
    ]
    identifiers = {a.identifier for a in assets}
    enterprise, bank = application.enterprise, application.product.bank
    patents = [a for a in assets if a.ip_type in PATENT_TYPES]
    # The asset list is CNIPA's rule for patent pledges; a copyright centre filing never carries one.
    xlsx = _asset_list_xlsx(patents) if registry == Registry.CNIPA and len(patents) > PATENT_LIST_THRESHOLD else None
    checks = [(a["identifier"], c) for a in precheck["assets"] if a["identifier"] in identifiers for c in a["checks"]]
    confirmations = sorted(
        {
            (identifier, c["ground"], c["reason_zh"], c["reason_en"])
            for identifier, c in checks
            if c["result"] == "needs_confirmation"
        }
    )
    name_zh, name_en = REGISTRY_NAMES[registry]
    content = {
        "version": version,
        "application": application.reference,
        "registry": {"code": registry, "name_zh": name_zh, "name_en": name_en},
        "generated_on": today.isoformat(),
        "form": {
            "pledgor": {
                "name": enterprise.legal_name,
                "uscc": enterprise.uscc,
                "address": enterprise.organisation.address,
            },
            "pledgee": {"name": bank.name, "uscc": bank.uscc or "", "address": bank.address},
            "secured_debt": {
                "kind": "IP pledge loan 知识产权质押贷款",
                "amount_yuan": str(application.approved_amount),
                "annual_rate": str(application.approved_rate),
            },
            "debt_term": {
                "months": application.approved_term_months,
                "from": today.isoformat(),
                "to": add_months(today, application.approved_term_months).isoformat(),
            },
            "guarantee_scope": {"zh": GUARANTEE_SCOPE[0], "en": GUARANTEE_SCOPE[1]},
            "rights": [
                {
                    "ip_type": a.ip_type,
                    "identifier": a.identifier,
                    "title": a.title,
                    "filing_date": a.filing_date.isoformat(),
                    "grant_date": a.grant_date.isoformat() if a.grant_date else None,
                    "co_owners": [c.name for c in a.co_owners.all()],
                }
                for a in assets
            ],
            "patent_count": len(patents),
        },
        "contract_items": contract_items(application, assets),
        # Ground 7 as the pre-check read the contract (a forfeiture clause fails it and stops the package).
        "no_forfeiture_clause": all(
            c["result"] == "pass" for _identifier, c in checks if c["code"] == "no_forfeiture_clause"
        ),
        "confirmations": [
            {"identifier": identifier, "ground": ground, "reason_zh": zh, "reason_en": en}
            for identifier, ground, zh, en in confirmations
        ],
        "attachments": [{"name": "pledged-patents.xlsx", "sha256": hashlib.sha256(xlsx).hexdigest(), "size": len(xlsx)}]
        if xlsx
        else [],
    }
    return content, xlsx


def _bank_side(actor, application: Application) -> None:
    require(
        actor,
        organisation_id=application.product.bank_id,
        roles=SIGNING_ROLES[SigningParty.PLEDGEE],
        message=_("Only the lending bank's reviewers prepare the filing."),
    )


def filing_packages_generate(*, actor, application: Application) -> list[FilingPackage]:
    """Generate (or regenerate) the package of every registry the application files at, once the offer is
    accepted; a new version needs new signatures."""
    return _generate(actor=actor, application=application, registry=None)


def filing_package_generate(*, actor, application: Application, registry: str | None = None) -> FilingPackage:
    """Generate (or regenerate) one registry's package: the one named, or the application's only one."""
    return _generate(actor=actor, application=application, registry=registry or "")[0]


def _generate(*, actor, application: Application, registry: str | None) -> list[FilingPackage]:
    """``registry`` None: every registry; "": the only one; else the one named."""
    with transaction.atomic():
        locked = application_locked(application)
        _bank_side(actor, locked)
        if locked.status != ApplicationStatus.OFFER_ACCEPTED:
            raise Conflict(
                _("The package is prepared after the offer is accepted (the application is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        registries = application_registries(locked) if registry is None else [registry_named(locked, registry or None)]
        precheck = precheck_require_pass(locked)
        today = timezone.localdate()
        return [_package_create(actor, locked, registry=r, precheck=precheck, today=today) for r in registries]


def _package_create(actor, locked: Application, *, registry: str, precheck: dict, today: dt.date) -> FilingPackage:
    """One registry's next version, superseding its current one; the hash both parties sign is taken here."""
    current = locked.filing_packages.filter(registry=registry)
    version = (current.aggregate(v=Max("version"))["v"] or 0) + 1
    content, xlsx = _package_content(locked, registry=registry, version=version, precheck=precheck, today=today)
    # The parties sign the PDF they read: its bytes are stored, and their hash is the package's.
    content_sha256 = canonical_sha256(content)
    pdf = render_package_pdf(content, content_sha256=content_sha256)
    now = timezone.now()
    current.filter(superseded_at__isnull=True).update(superseded_at=now, updated_at=now)
    package = FilingPackage.objects.create(
        application=locked,
        registry=registry,
        version=version,
        content=content,
        asset_list_xlsx=xlsx,
        pdf=pdf,
        content_sha256=content_sha256,
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_by=actor,
    )
    evidence_append(
        actor=actor,
        kind="filing_package",
        record=package,
        fields=("application", "registry", "version", "sha256", "content_sha256", "created_by"),
        subject=locked,
    )
    _notify_after_commit(
        locked,
        f"质押登记材料待签署 Filing package v{version} ready to sign: {locked.reference} [{registry}]",
        f"package:{package.pk}:ready",
    )
    return package


def current_packages(application: Application) -> list[FilingPackage]:
    """Every registry's current package (CNIPA first); empty until generated."""
    packages = FilingPackage.objects.filter(application=application, superseded_at__isnull=True).prefetch_related(
        "signatures__signer"
    )
    return sorted(packages, key=lambda p: Registry.values.index(p.registry))


def current_package(application: Application, registry: str | None = None) -> FilingPackage:
    """The current package of the registry named, or of the application's only registry."""
    registry = registry_named(application, registry)
    package = (
        FilingPackage.objects.filter(application=application, registry=registry, superseded_at__isnull=True)
        .prefetch_related("signatures__signer")
        .first()
    )
    if package is None:
        raise NotFound(
            _("No %(registry)s filing package has been generated for this application yet.")
            % {"registry": Registry(registry).label}
        )
    return package


def filing_package_sign(
    *, actor, application: Application, sha256: str, registry: str | None = None
) -> PackageSignature:
    """Sign a registry's current package as pledgor (the SME's legal representative) or pledgee (the bank). The
    signer names the hash they read: if the package changed meanwhile, the signature is refused. Without
    ``registry``, the package is the one whose hash is named (each registry's package is signed on its own)."""
    with transaction.atomic():
        locked = application_locked(application)
        parties = {
            locked.enterprise.organisation_id: SigningParty.PLEDGOR,
            locked.product.bank_id: SigningParty.PLEDGEE,
        }
        require(actor, organisation_id=set(parties), message=_("Only the pledgor and the pledgee sign the package."))
        party = parties[actor.organisation_id]
        require(
            actor,
            roles=SIGNING_ROLES[party],
            message=_("Your role (%(role)s) may not sign for the %(party)s.")
            % {"role": actor.role, "party": SigningParty(party).label},
        )
        if locked.status != ApplicationStatus.OFFER_ACCEPTED:
            raise Conflict(
                _("The package is signed before filing (the application is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        sha256 = sha256.strip().lower()
        current = FilingPackage.objects.select_for_update().filter(application=locked, superseded_at__isnull=True)
        if registry is None:
            registry = next((p.registry for p in current if p.sha256 == sha256), None)
            if registry is None and len(application_registries(locked)) > 1:
                raise Conflict(
                    _("No current package has hash %(sha256)s: it was superseded or never generated.")
                    % {"sha256": sha256}
                )
        package = current.filter(registry=registry_named(locked, registry)).first()
        if package is None:
            raise NotFound(_("No filing package has been generated for this application yet."))
        if sha256 != package.sha256:
            raise Conflict(
                _("The package has changed: the current version %(version)s has hash %(sha256)s.")
                % {"version": package.version, "sha256": package.sha256}
            )
        if package.signatures.filter(party=party).exists():
            raise DuplicateObject(
                _("The %(party)s has already signed version %(version)s.")
                % {"party": SigningParty(party).label, "version": package.version}
            )
        signature = PackageSignature.objects.create(
            package=package,
            party=party,
            signer=actor,
            organisation_id=actor.organisation_id,
            document_sha256=package.sha256,
            signed_at=timezone.now(),
        )
        evidence_append(
            actor=actor,
            kind="package_signature",
            record=signature,
            fields=("package", "party", "signer", "organisation", "document_sha256", "signed_at"),
            subject=locked,
            context={"application": locked.reference, "registry": package.registry, "version": package.version},
        )
        _notify_after_commit(
            locked,
            f"质押登记材料已签署 Package v{package.version} signed by the {party}: {locked.reference} "
            f"[{package.registry}]",
            f"package:{package.pk}:signed:{party}",
        )
    return signature


def packages_ready_to_file(application: Application) -> list[FilingPackage]:
    """Every registry's current package signed by both parties on its current hash, or a clear refusal naming
    what each registry still lacks."""
    packages = {p.registry: p for p in current_packages(application)}
    problems = []
    for registry in application_registries(application):
        name = Registry(registry).label
        package = packages.get(registry)
        if package is None:
            problems.append(
                _("%(registry)s: generate the filing package and have both parties sign it.") % {"registry": name}
            )
            continue
        signed = {s.party for s in package.signatures.all() if s.document_sha256 == package.sha256}
        unsigned = [p for p in SigningParty.values if p not in signed]
        if unsigned:
            problems.append(
                _("%(registry)s: still to sign version %(version)s: %(parties)s.")
                % {"registry": name, "version": package.version, "parties": ", ".join(unsigned)}
            )
    if problems:
        raise ValidationFailed({"filing_package": problems})
    return list(packages.values())


def pledge_release_generate(*, loan: Loan, paid_off_at: dt.datetime) -> list[PledgeRegistration]:
    """At payoff, draft the release (注销) application of each registry's registered pledge. Runs inside the
    payoff's transaction; the bank files each and records its date with ``pledge_release_record``."""
    return _release_drafts(
        loan.application,
        {
            "loan_contract": loan.contract_number,
            "principal_yuan": str(loan.principal),
            "paid_off_on": timezone.localdate(paid_off_at).isoformat(),
            "reason": "主债权已清偿 The secured debt is repaid in full",
        },
        at=paid_off_at,
    )


def pledge_release_on_rejection(
    *, application: Application, rejected_at: dt.datetime, withdrawn: bool = False
) -> list[PledgeRegistration]:
    """Registered pledges whose loan the bank refused (or the applicant ``withdrawn``) before disbursing: draft
    their releases, inside that transaction, so the rights are freed at the registers (and for another
    application) once the bank records the releases."""
    if withdrawn:
        facts = {
            "withdrawn_on": timezone.localdate(rejected_at).isoformat(),
            "reason": "主债权未发生（申请已撤回，未放款） The secured loan was never made (application withdrawn)",
        }
    else:
        facts = {
            "rejected_on": timezone.localdate(rejected_at).isoformat(),
            "reason": "主债权未发生（申请被拒，未放款） The secured loan was never made (application rejected)",
        }
    return _release_drafts(application, facts, at=rejected_at)


def _release_drafts(application: Application, facts: dict, *, at: dt.datetime) -> list[PledgeRegistration]:
    registrations = list(
        PledgeRegistration.objects.select_for_update()
        .filter(application_id=application.pk, registered_on__isnull=False, release_generated_at__isnull=True)
        .order_by("registry")
    )
    if not registrations:
        return []
    enterprise, bank = application.enterprise, application.product.bank
    assets = list(application.assets.order_by("identifier").values_list("identifier", "ip_type"))
    for registration in sorted(registrations, key=lambda r: Registry.values.index(r.registry)):
        name_zh, name_en = REGISTRY_NAMES[registration.registry]
        form = {
            "registry": {"code": registration.registry, "name_zh": name_zh, "name_en": name_en},
            "registration_number": registration.registration_number,
            "registered_on": registration.registered_on.isoformat(),
            "pledgor": {"name": enterprise.legal_name, "uscc": enterprise.uscc},
            "pledgee": {"name": bank.name, "uscc": bank.uscc or ""},
            **facts,
            "rights": [
                identifier for identifier, ip_type in assets if REGISTRY_OF_TYPE[ip_type] == registration.registry
            ],
        }
        registration.release_form = form
        registration.release_sha256 = canonical_sha256(form)
        registration.release_generated_at = at
        registration.save(update_fields=["release_form", "release_sha256", "release_generated_at", "updated_at"])
        evidence_append(
            actor=None,
            kind="pledge_release_drafted",
            record=registration,
            fields=("registry", "release_sha256", "release_generated_at"),
            subject=application,
        )
        _notify_after_commit(
            application,
            f"质押注销申请已生成 Release ready to file: {registration.registration_number} [{registration.registry}]",
            f"release:{registration.pk}:ready",
        )
    return registrations


def pledge_release_record(
    *,
    actor,
    loan: Loan | None = None,
    application: Application | None = None,
    released_on: dt.date,
    registry: str | None = None,
) -> PledgeRegistration:
    """The bank records the date a registry released the pledge: of a paid-off ``loan``, or of an
    ``application`` rejected after its pledge was registered. ``registry`` names which; without it, the one
    release still to record."""
    application = loan.application if loan is not None else application
    require(
        actor,
        organisation_id=application.product.bank_id,
        kinds=(OrganisationKind.BANK,),
        message=_("Only the lending bank records the release."),
    )
    if released_on > timezone.localdate():
        raise ValidationFailed({"released_on": [_("The release date cannot be in the future.")]})
    with transaction.atomic():
        registrations = PledgeRegistration.objects.select_for_update().filter(application_id=application.pk)
        if registry is not None:
            registration = registrations.filter(registry=registry).first()
        else:
            pending = [r for r in registrations if r.release_generated_at is not None and r.released_on is None]
            registration = pending[0] if len(pending) == 1 else registrations.first()
            if len(pending) > 1:
                raise ValidationFailed(
                    {
                        "registry": [
                            _("Releases are pending at %(registries)s: name the registry.")
                            % {"registries": "、".join(str(Registry(r.registry).label) for r in pending)}
                        ]
                    }
                )
        if registration is None or registration.release_generated_at is None:
            raise Conflict(_("The pledge is released after payoff: there is no release application yet."))
        if registration.released_on is not None:
            raise DuplicateObject(
                _("The release was already recorded on %(released_on)s.") % {"released_on": registration.released_on}
            )
        if released_on < registration.registered_on:
            raise ValidationFailed({"released_on": [_("The release cannot precede the registration.")]})
        registration.released_on = released_on
        registration.save(update_fields=["released_on", "updated_at"])
        evidence_append(
            actor=actor,
            kind="pledge_release",
            record=registration,
            fields=("registry", "released_on"),
            subject=registration.application,
        )
    return registration


def _notify_after_commit(application: Application, title: str, key: str) -> None:
    orgs = [application.enterprise.organisation_id, application.product.bank_id]
    task_enqueue(notify_organisations, orgs, title, dedupe_key=key)
