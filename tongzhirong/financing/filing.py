"""The paperless pledge filing: the package both parties sign in-app, and the release drafted at payoff.

The package holds what CNIPA's 专利权质押登记办法 asks of a filing (BRIEF §4): the application form's data
(both parties, the secured debt, its term, the pledged rights), the pledge contract's required items each
marked present or missing, the pre-check grounds the parties confirm by signing, and — over 10 patents —
the asset list as an XLSX attachment. Its SHA-256 is taken over the canonical JSON, which carries the
attachment's own hash, so a signature covers every byte filed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

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
    Application,
    ApplicationStatus,
    FilingPackage,
    Loan,
    PackageSignature,
    PledgeRegistration,
    SigningParty,
)
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


def _package_content(
    application: Application, *, version: int, precheck: dict, today: dt.date
) -> tuple[dict, bytes | None]:
    assets = list(application.assets.order_by("ip_type", "identifier"))
    enterprise, bank = application.enterprise, application.product.bank
    patents = [a for a in assets if a.ip_type in PATENT_TYPES]
    xlsx = _asset_list_xlsx(patents) if len(patents) > PATENT_LIST_THRESHOLD else None
    confirmations = sorted(
        {
            (a["identifier"], c["ground"], c["reason_zh"], c["reason_en"])
            for a in precheck["assets"]
            for c in a["checks"]
            if c["result"] == "needs_confirmation"
        }
    )
    content = {
        "version": version,
        "application": application.reference,
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
            c["result"] == "pass"
            for a in precheck["assets"]
            for c in a["checks"]
            if c["code"] == "no_forfeiture_clause"
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


def filing_package_generate(*, actor, application: Application) -> FilingPackage:
    """Generate (or regenerate) the package once the offer is accepted; a new version needs new signatures."""
    with transaction.atomic():
        locked = application_locked(application)
        _bank_side(actor, locked)
        if locked.status != ApplicationStatus.OFFER_ACCEPTED:
            raise Conflict(
                _("The package is prepared after the offer is accepted (the application is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        precheck = precheck_require_pass(locked)
        today = timezone.localdate()
        version = (locked.filing_packages.aggregate(v=Max("version"))["v"] or 0) + 1
        content, xlsx = _package_content(locked, version=version, precheck=precheck, today=today)
        now = timezone.now()
        locked.filing_packages.filter(superseded_at__isnull=True).update(superseded_at=now, updated_at=now)
        package = FilingPackage.objects.create(
            application=locked,
            version=version,
            content=content,
            asset_list_xlsx=xlsx,
            sha256=canonical_sha256(content),
            created_by=actor,
        )
        evidence_append(
            actor=actor,
            kind="filing_package",
            record=package,
            fields=("application", "version", "sha256", "created_by"),
            subject=locked,
        )
        _notify_after_commit(
            locked,
            f"质押登记材料待签署 Filing package v{version} ready to sign: {locked.reference}",
            f"package:{package.pk}:ready",
        )
    return package


def current_package(application: Application) -> FilingPackage:
    package = (
        FilingPackage.objects.filter(application=application, superseded_at__isnull=True)
        .prefetch_related("signatures__signer")
        .first()
    )
    if package is None:
        raise NotFound(_("No filing package has been generated for this application yet."))
    return package


def filing_package_sign(*, actor, application: Application, sha256: str) -> PackageSignature:
    """Sign the current package as pledgor (the SME's legal representative) or pledgee (the bank). The signer
    names the hash they read: if the package changed meanwhile, the signature is refused."""
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
        package = (
            FilingPackage.objects.select_for_update().filter(application=locked, superseded_at__isnull=True).first()
        )
        if package is None:
            raise NotFound(_("No filing package has been generated for this application yet."))
        if sha256.strip().lower() != package.sha256:
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
            context={"application": locked.reference, "version": package.version},
        )
        _notify_after_commit(
            locked,
            f"质押登记材料已签署 Package v{package.version} signed by the {party}: {locked.reference}",
            f"package:{package.pk}:signed:{party}",
        )
    return signature


def package_ready_to_file(application: Application) -> FilingPackage:
    """The current package signed by both parties on its current hash, or a clear refusal."""
    package = FilingPackage.objects.filter(application=application, superseded_at__isnull=True).first()
    if package is None:
        raise ValidationFailed({"filing_package": [_("Generate the filing package and have both parties sign it.")]})
    signed = {s.party for s in package.signatures.all() if s.document_sha256 == package.sha256}
    unsigned = [p for p in SigningParty.values if p not in signed]
    if unsigned:
        raise ValidationFailed(
            {
                "filing_package": [
                    _("Still to sign version %(version)s: %(parties)s.")
                    % {"version": package.version, "parties": ", ".join(unsigned)}
                ]
            }
        )
    return package


def pledge_release_generate(*, loan: Loan, paid_off_at: dt.datetime) -> PledgeRegistration | None:
    """At payoff, draft the release (注销) application for the registered pledge. Runs inside the payoff's
    transaction; the bank files it and records the date with ``pledge_release_record``."""
    return _release_draft(
        loan.application,
        {
            "loan_contract": loan.contract_number,
            "principal_yuan": str(loan.principal),
            "paid_off_on": timezone.localdate(paid_off_at).isoformat(),
            "reason": "主债权已清偿 The secured debt is repaid in full",
        },
        at=paid_off_at,
    )


def pledge_release_on_rejection(*, application: Application, rejected_at: dt.datetime) -> PledgeRegistration | None:
    """A registered pledge whose loan the bank refused before disbursing: draft its release, inside the
    rejection's transaction, so the right is freed at the register (and for another application) once the bank
    records the release."""
    return _release_draft(
        application,
        {
            "rejected_on": timezone.localdate(rejected_at).isoformat(),
            "reason": "主债权未发生（申请被拒，未放款） The secured loan was never made (application rejected)",
        },
        at=rejected_at,
    )


def _release_draft(application: Application, facts: dict, *, at: dt.datetime) -> PledgeRegistration | None:
    registration = (
        PledgeRegistration.objects.select_for_update()
        .filter(application_id=application.pk, registered_on__isnull=False, release_generated_at__isnull=True)
        .first()
    )
    if registration is None:
        return None
    enterprise, bank = application.enterprise, application.product.bank
    form = {
        "registration_number": registration.registration_number,
        "registered_on": registration.registered_on.isoformat(),
        "pledgor": {"name": enterprise.legal_name, "uscc": enterprise.uscc},
        "pledgee": {"name": bank.name, "uscc": bank.uscc or ""},
        **facts,
        "rights": list(application.assets.order_by("identifier").values_list("identifier", flat=True)),
    }
    registration.release_form = form
    registration.release_sha256 = canonical_sha256(form)
    registration.release_generated_at = at
    registration.save(update_fields=["release_form", "release_sha256", "release_generated_at", "updated_at"])
    evidence_append(
        actor=None,
        kind="pledge_release_drafted",
        record=registration,
        fields=("release_sha256", "release_generated_at"),
        subject=application,
    )
    _notify_after_commit(
        application,
        f"质押注销申请已生成 Release ready to file: {registration.registration_number}",
        f"release:{registration.pk}:ready",
    )
    return registration


def pledge_release_record(
    *, actor, loan: Loan | None = None, application: Application | None = None, released_on: dt.date
) -> PledgeRegistration:
    """The bank records the date the registry released the pledge: of a paid-off ``loan``, or of an
    ``application`` rejected after its pledge was registered."""
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
        registration = PledgeRegistration.objects.select_for_update().filter(application_id=application.pk).first()
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
            fields=("released_on",),
            subject=registration.application,
        )
    return registration


def _notify_after_commit(application: Application, title: str, key: str) -> None:
    orgs = [application.enterprise.organisation_id, application.product.bank_id]
    task_enqueue(notify_organisations, orgs, title, dedupe_key=key)
