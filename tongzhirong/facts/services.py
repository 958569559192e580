"""Recording facts, the credit-check authorisation they may need, and the applicant's disputes.

Who may record what: a credit report only by a bank holding the firm's live authorisation; the other
sources by the platform (its staff, its importers and, later, its source feeds) or by a bank the firm has
authorised; "declared" never (the applicant declares through its profile). A fact that decides a profile
column sets that column in the same transaction, and the value the applicant had declared is kept first as
a declared fact, so a disagreement stays visible."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, Organisation, OrganisationKind, Role
from tongzhirong.assets.models import IPAsset
from tongzhirong.assets.services import ip_asset_register_sync, ip_assets_register_sync
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.enterprises.services import enterprise_verified_set
from tongzhirong.evidence.state import transition

from .catalogue import FACTS, FactValueError, Source
from .models import AuthorisationScope, CreditAuthorisation, DisputeStatus, Fact, FactDispute
from .selectors import live_authorisation

# The longest a firm may authorise a credit check for at once.
MAX_AUTHORISATION_DAYS = 366
PLATFORM_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.ANALYST})


def credit_authorisation_sign(
    *, actor, enterprise: Enterprise, bank: Organisation, scope: str, expires_on: dt.date
) -> CreditAuthorisation:
    """The firm's owner authorises ``bank`` to pull its credit report for ``scope`` until ``expires_on``."""
    require(
        actor,
        organisation_id=enterprise.organisation_id,
        roles={Role.SME_OWNER},
        message=_("Only the enterprise's owner signs a credit-check authorisation."),
    )
    errors = {}
    if bank.kind != OrganisationKind.BANK:
        errors["bank"] = [_("A credit-check authorisation is given to a bank.")]
    if scope not in AuthorisationScope.values:
        errors["scope"] = [_("Not a scope of credit-check authorisation.")]
    today = timezone.localdate()
    if expires_on < today:
        errors["expires_on"] = [_("The expiry day has passed.")]
    elif expires_on > today + dt.timedelta(days=MAX_AUTHORISATION_DAYS):
        errors["expires_on"] = [_("An authorisation runs for a year at most.")]
    if errors:
        raise ValidationFailed(errors)
    return CreditAuthorisation.objects.create(
        enterprise=enterprise, bank=bank, scope=scope, expires_on=expires_on, signed_by=actor
    )


def credit_authorisation_revoke(*, actor, authorisation: CreditAuthorisation) -> CreditAuthorisation:
    """The firm withdraws its authorisation; reports already recorded under it stay."""
    require(
        actor,
        organisation_id=authorisation.enterprise.organisation_id,
        roles={Role.SME_OWNER},
        message=_("Only the enterprise's owner revokes a credit-check authorisation."),
    )
    with transaction.atomic():
        locked = CreditAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
        if locked.revoked_at is not None:
            raise Conflict(_("This authorisation is already revoked."))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


def _require_recorder(actor, enterprise: Enterprise, source: str) -> CreditAuthorisation | None:
    """Refuse an actor who may not record a fact of ``source`` about ``enterprise``; the authorisation a bank
    records under (None for the platform)."""
    if source == Source.DECLARED:
        raise PermissionDenied(_("A declared value comes from the applicant's profile, not from a recorded fact."))
    if actor is not None and actor.is_active and actor.kind == OrganisationKind.BANK:
        require(actor, roles=BANK_ROLES, message=_("Only a bank's staff record facts for the bank."))
        authorisation = live_authorisation(enterprise=enterprise, bank_id=actor.organisation_id)
        if authorisation is None:
            raise PermissionDenied(
                _("The bank holds no live credit-check authorisation from this enterprise; ask it to sign one.")
            )
        return authorisation
    if source == Source.CREDIT_REPORT:
        require(actor, kinds={OrganisationKind.BANK}, message=_("Only an authorised bank records a credit report."))
    require(
        actor,
        kinds={OrganisationKind.PLATFORM},
        roles=PLATFORM_ROLES,
        message=_("Only the platform or an authorised bank records facts."),
        superuser_ok=True,
    )
    return None


def fact_record(
    *,
    actor,
    enterprise: Enterprise,
    name: str,
    value: Any,
    reference: str,
    observed_at: dt.datetime,
    source: str | None = None,
    asset: IPAsset | None = None,
) -> Fact:
    """Record what a source says. ``source`` defaults to the one that verifies ``name`` and must be it. A fact
    of a profile column sets the column (after keeping the applicant's declared value as a declared fact, the
    first time)."""
    kind = FACTS.get(name)
    if kind is None:
        raise ValidationFailed({"name": [_("Not a fact this platform records.")]})
    source = source or kind.source
    authorisation = _require_recorder(actor, enterprise, source)
    return _fact_store(
        actor=actor,
        enterprise=enterprise,
        kind=kind,
        value=value,
        reference=reference,
        observed_at=observed_at,
        source=source,
        asset=asset,
        authorisation=authorisation,
    )


def _checked(*, enterprise, kind, value, observed_at, source, asset) -> Any:
    """The value as stored, or ``ValidationFailed`` naming what is wrong with the fact."""
    errors = {}
    if source != kind.source and source not in kind.also_from:
        errors["source"] = [_("This fact comes from another source.")]
    if kind.on_asset and (asset is None or asset.owner_id != enterprise.pk):
        errors["asset"] = [_("This fact is about one of the enterprise's IP assets: name it.")]
    if not kind.on_asset and asset is not None:
        errors["asset"] = [_("This fact is about the enterprise, not an asset.")]
    if observed_at > timezone.now():
        errors["observed_at"] = [_("A source cannot have observed it in the future.")]
    try:
        stored = kind.parse(value)
    except FactValueError as exc:
        errors["value"] = [_("Expected %(what)s.") % {"what": exc}]
    if errors:
        raise ValidationFailed(errors)
    return stored


def _fact_store(*, actor, enterprise, kind, value, reference, observed_at, source, asset, authorisation) -> Fact:
    """Check and store a fact whose recorder has been checked; set the column it decides if it is the latest."""
    name = kind.name
    stored = _checked(
        enterprise=enterprise, kind=kind, value=value, observed_at=observed_at, source=source, asset=asset
    )
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        if kind.field and not kind.on_asset and not Fact.objects.filter(enterprise=locked, name=name).exists():
            # What the applicant had declared, kept before a source overrides it (its profile's own time).
            Fact.objects.create(
                enterprise=locked,
                name=name,
                value=kind.parse(getattr(locked, kind.field)),
                source=Source.DECLARED,
                reference=_("enterprise profile"),
                observed_at=locked.updated_at,
            )
        fact = Fact.objects.create(
            enterprise=locked,
            asset=asset,
            name=name,
            value=stored,
            source=source,
            reference=reference[:100],
            observed_at=observed_at,
            fetched_by=actor,
            authorisation=authorisation if source == Source.CREDIT_REPORT else None,
        )
        if kind.field and kind.on_asset and _is_latest(fact):
            value = kind.column_value(stored)
            fields = {"co_owners": value} if kind.field == "co_owners" else {kind.field: value}
            ip_asset_register_sync(actor=actor, asset=asset, **fields)
        elif kind.field and _is_latest(fact):
            enterprise_verified_set(
                enterprise=locked, actor=actor, source=source, **{kind.field: kind.column_value(stored)}
            )
    return fact


@dataclass(frozen=True)
class Observed:
    """One fact of a batch: what ``fact_record`` takes, less the enterprise and the source."""

    name: str
    value: Any
    reference: str
    observed_at: dt.datetime
    asset: IPAsset | None = None


def facts_record_batch(*, actor, enterprise: Enterprise, source: str, observed: Sequence[Observed]) -> list[Fact]:
    """Record many facts of one source about one enterprise and its assets at once (a feed's answer): the
    checks of ``fact_record`` on each (``ValidationFailed`` keyed ``<index>.<field>`` if any fails, and then
    nothing is recorded), one lock, one insert, and each column the facts decide set once, from the latest."""
    kinds = [FACTS.get(item.name) for item in observed]
    errors, stored = {}, []
    for n, (item, kind) in enumerate(zip(observed, kinds, strict=True)):
        if kind is None:
            errors[f"{n}.name"] = [_("Not a fact this platform records.")]
            stored.append(None)
            continue
        try:
            stored.append(
                _checked(
                    enterprise=enterprise,
                    kind=kind,
                    value=item.value,
                    observed_at=item.observed_at,
                    source=source,
                    asset=item.asset,
                )
            )
        except ValidationFailed as exc:
            errors |= {f"{n}.{field}": messages for field, messages in exc.errors.items()}
    if errors:
        raise ValidationFailed(errors)
    authorisation = _require_recorder(actor, enterprise, source)
    if not observed:
        return []
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        names = {k.name for k in kinds}
        known = Fact.objects.filter(enterprise=locked, name__in=names)
        # The latest observation already recorded per (asset, fact), and which profile facts have any row.
        latest_known = {
            (asset_id, name): last
            for asset_id, name, last in known.exclude(source=Source.DECLARED)
            .order_by()
            .values("asset_id", "name")
            .annotate(last=Max("observed_at"))
            .values_list("asset_id", "name", "last")
        }
        with_rows = set(known.values_list("name", flat=True).distinct())
        rows = []
        for kind in {k.name: k for k in kinds}.values():
            if kind.field and not kind.on_asset and kind.name not in with_rows:
                rows.append(
                    Fact(
                        enterprise=locked,
                        name=kind.name,
                        value=kind.parse(getattr(locked, kind.field)),
                        source=Source.DECLARED,
                        reference=_("enterprise profile"),
                        observed_at=locked.updated_at,
                    )
                )
        new = [
            Fact(
                enterprise=locked,
                asset=item.asset,
                name=kind.name,
                value=value,
                source=source,
                reference=item.reference[:100],
                observed_at=item.observed_at,
                fetched_by=actor,
                authorisation=authorisation if source == Source.CREDIT_REPORT else None,
            )
            for item, kind, value in zip(observed, kinds, stored, strict=True)
        ]
        Fact.objects.bulk_create(rows + new)
        # The column each fact decides, from the latest observation (a late-arriving older one sets nothing).
        columns: dict[int | None, dict[str, tuple[dt.datetime, Any]]] = {}
        for fact, kind in zip(new, kinds, strict=True):
            if not kind.field:
                continue
            last = latest_known.get((fact.asset_id, kind.name))
            current = columns.setdefault(fact.asset_id, {}).get(kind.field)
            if (last is None or fact.observed_at >= last) and (current is None or fact.observed_at >= current[0]):
                columns[fact.asset_id][kind.field] = (fact.observed_at, kind.column_value(fact.value))
        assets = {item.asset.pk: item.asset for item in observed if item.asset is not None}
        asset_changes = {}
        for asset_id, fields in columns.items():
            values = {field: value for field, (_at, value) in fields.items()}
            if asset_id is None:
                enterprise_verified_set(enterprise=locked, actor=actor, source=source, **values)
                continue
            changed = {field: value for field, value in values.items() if _differs(assets[asset_id], field, value)}
            if changed:
                asset_changes[asset_id] = changed
        if asset_changes:
            ip_assets_register_sync(actor=actor, changes=asset_changes)
    return new


def _differs(asset: IPAsset, field: str, value: Any) -> bool:
    """Whether the register's value would change the asset's record (its co-owners as prefetched, if they
    are); when unsure, it would."""
    if field != "co_owners":
        return getattr(asset, field) != value
    cache = getattr(asset, "_prefetched_objects_cache", {})
    if "co_owners" not in cache:
        return True
    current = sorted(
        (c.name, c.uscc, None if c.share_percent is None else str(c.share_percent)) for c in cache["co_owners"]
    )
    return current != sorted((c["name"], c["uscc"], c["share_percent"]) for c in value)


def _is_latest(fact: Fact) -> bool:
    """A late-arriving older observation is kept in the history but does not set the column."""
    return (
        not Fact.objects.filter(
            enterprise_id=fact.enterprise_id, asset_id=fact.asset_id, name=fact.name, observed_at__gt=fact.observed_at
        )
        .exclude(source=Source.DECLARED)
        .exists()
    )


def fact_dispute_open(*, actor, fact: Fact, reason: str) -> FactDispute:
    """The applicant says a source got it wrong; the fact stays as recorded until the source corrects it."""
    require(
        actor,
        organisation_id=fact.enterprise.organisation_id,
        message=_("Only the enterprise the fact is about disputes it."),
    )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the source is wrong.")]})
    if not fact.is_verified:
        raise ValidationFailed({"fact": [_("This is your own declaration; there is nothing to dispute.")]})
    with transaction.atomic():
        Enterprise.objects.select_for_update().get(pk=fact.enterprise_id)
        if FactDispute.objects.filter(fact=fact, status=DisputeStatus.OPEN).exists():
            raise Conflict(_("This fact is already disputed; the platform is looking into it."))
        return FactDispute.objects.create(fact=fact, enterprise_id=fact.enterprise_id, reason=reason, raised_by=actor)


def fact_dispute_resolve(
    *, actor, dispute: FactDispute, upheld: bool, resolution: str, corrected_value: Any = None, reference: str = ""
) -> FactDispute:
    """The platform closes a dispute. Upheld with ``corrected_value``, the source's correction is recorded as a
    new fact (the disputed one stays in the history); rejected, the fact stands."""
    require(
        actor,
        kinds={OrganisationKind.PLATFORM},
        roles=PLATFORM_ROLES,
        message=_("Only the platform resolves a dispute."),
        superuser_ok=True,
    )
    resolution = resolution.strip()
    if not resolution:
        raise ValidationFailed({"resolution": [_("Say how the dispute was resolved.")]})
    with transaction.atomic():
        locked = FactDispute.objects.select_for_update().select_related("fact", "enterprise").get(pk=dispute.pk)
        if upheld and corrected_value is not None:
            # A corrected credit report is pulled again by an authorised bank: ``fact_record`` refuses the
            # platform that one, and the dispute is then closed without a value.
            disputed = locked.fact
            locked.correction = fact_record(
                actor=actor,
                enterprise=locked.enterprise,
                asset=disputed.asset,
                name=disputed.name,
                value=corrected_value,
                source=disputed.source,
                reference=reference or _("correction of %(reference)s") % {"reference": disputed.reference},
                observed_at=timezone.now(),
            )
        locked.resolution = resolution
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        transition(
            locked,
            to=DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED,
            actor=actor,
            reason=resolution,
            extra_fields=("resolution", "resolved_by", "resolved_at", "correction"),
        )
    return locked


def fee_receipt_fact_record(*, actor, asset: IPAsset, paid_through: dt.date, reference: str) -> Fact:
    """The pledgee bank confirms the office's receipt for ``asset``'s annual fee: the asset is paid through
    ``paid_through``, source "fee receipt", fetched by the confirming officer. The caller
    (``tongzhirong.financing``, which knows the pledges) has checked that the actor's bank holds the pledge."""
    require(
        actor, kinds={OrganisationKind.BANK}, roles=BANK_ROLES, message=_("Only the pledgee bank confirms a receipt.")
    )
    return _fact_store(
        actor=actor,
        enterprise=asset.owner,
        kind=FACTS["annual_fee_paid_through"],
        value=paid_through,
        reference=reference,
        observed_at=timezone.now(),
        source=Source.FEE_RECEIPT,
        asset=asset,
        authorisation=None,
    )
