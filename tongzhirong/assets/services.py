from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import Conflict, DuplicateObject, ObjectLocked, ValidationFailed
from tongzhirong.core.models import save_validated
from tongzhirong.enterprises.models import Enterprise

from .models import DUPLICATE_MESSAGE, CoOwner, IPAsset

ASSET_FIELDS = {f.name for f in IPAsset._meta.concrete_fields} - {
    "id",
    "owner",
    "created_at",
    "updated_at",
    "archived_at",
}


def _ensure_owner(actor, enterprise: Enterprise) -> None:
    require(
        actor,
        organisation_id=enterprise.organisation_id,
        message=_("Only the owning enterprise may change its IP assets."),
        superuser_ok=True,
    )


def _duplicate(identifier: str) -> DuplicateObject:
    return DuplicateObject(_("%(identifier)s is already registered on the platform.") % {"identifier": identifier})


def _pledging_applications(asset: IPAsset) -> QuerySet:
    """The applications that hold ``asset`` as collateral: every one not yet at an end, and a disbursed one
    until its loan is repaid or written off. Reached through the reverse relation, so that this app does not
    import the financing app built on top of it."""
    applications = asset.applications
    application_model = applications.model
    loan_model = application_model.loan.related.related_model
    running = [status for status, targets in loan_model.TRANSITIONS.items() if targets]
    return applications.filter(~Q(status__in=application_model.TERMINAL) | Q(loan__status__in=running))


def _ensure_not_pledged(asset: IPAsset) -> None:
    references = list(_pledging_applications(asset).values_list("reference", flat=True))
    if references:
        raise ObjectLocked(
            _("%(identifier)s is pledged in application %(references)s and cannot change until that ends.")
            % {"identifier": asset.identifier, "references": ", ".join(sorted(references))}
        )


def _locked_live(asset: IPAsset) -> IPAsset:
    """The asset's row, locked for this transaction, if it may still change: live and not pledged."""
    locked = IPAsset.objects.select_for_update().filter(pk=asset.pk, archived_at__isnull=True).first()
    if locked is None:
        raise Conflict(_("The asset is archived and can no longer change."))
    _ensure_not_pledged(locked)
    return locked


def ip_asset_register(*, actor, owner: Enterprise, co_owners: list[dict] | None = None, **fields) -> IPAsset:
    """Register an IP right for ``owner``. Refuses a second live record of the same (type, identifier)."""
    _ensure_owner(actor, owner)
    unknown = set(fields) - ASSET_FIELDS
    if unknown:
        raise ValidationFailed({name: [_("Unknown field.")] for name in sorted(unknown)})
    asset = IPAsset(owner=owner, **fields)
    try:
        with transaction.atomic():
            save_validated(asset)
            for n, co in enumerate(co_owners or []):
                try:
                    _co_owner_save(asset, **co)
                except ValidationFailed as exc:
                    # Name the co-owner: its ``uscc`` is not the asset's.
                    raise ValidationFailed(
                        {f"co_owners.{n}.{field}": messages for field, messages in exc.errors.items()}
                    ) from exc
    except ValidationFailed as exc:
        if DUPLICATE_MESSAGE in exc.errors.get("__all__", []):
            raise _duplicate(asset.identifier) from exc
        raise
    except IntegrityError as exc:  # a concurrent registration won the race
        raise _duplicate(asset.identifier) from exc
    return asset


def ip_asset_update(*, actor, asset: IPAsset, **fields) -> IPAsset:
    """Correct or bring up to date the record of a live IP right, validated as at registration. Refused while
    an application holds the right as collateral: the bank reviews, registers and lends on the record as it
    stands, so it cannot change under them."""
    _ensure_owner(actor, asset.owner)
    unknown = set(fields) - ASSET_FIELDS
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    try:
        with transaction.atomic():
            locked = _locked_live(asset)
            for name, value in fields.items():
                setattr(locked, name, value)
            # Validation writes the identifier back in its canonical form, whichever field changed.
            save_validated(locked, update_fields=sorted({*fields, "identifier", "updated_at"}))
    except ValidationFailed as exc:
        if DUPLICATE_MESSAGE in exc.errors.get("__all__", []):
            raise _duplicate(locked.identifier) from exc
        raise
    except IntegrityError as exc:
        raise _duplicate(locked.identifier) from exc
    return locked


def co_owner_add(*, actor, asset: IPAsset, name: str, consent_given: bool = False, **fields) -> CoOwner:
    """Record a co-owner of a live asset. Not while the asset is pledged: who must consent is part of what
    the bank reviewed."""
    _ensure_owner(actor, asset.owner)
    with transaction.atomic():
        return _co_owner_save(_locked_live(asset), name=name, consent_given=consent_given, **fields)


def _co_owner_save(asset: IPAsset, *, name: str, consent_given: bool = False, **fields) -> CoOwner:
    co = CoOwner(
        asset=asset,
        name=name,
        consent_given=consent_given,
        consent_recorded_at=timezone.now() if consent_given else None,
        **fields,
    )
    return save_validated(co)


def co_owner_record_consent(*, actor, co_owner: CoOwner, consent_given: bool) -> CoOwner:
    _ensure_owner(actor, co_owner.asset.owner)
    with transaction.atomic():
        locked = CoOwner.objects.select_for_update().get(pk=co_owner.pk)
        locked.consent_given = consent_given
        locked.consent_recorded_at = timezone.now()
        locked.save(update_fields=["consent_given", "consent_recorded_at", "updated_at"])
    return locked


def ip_asset_archive(*, actor, asset: IPAsset) -> IPAsset:
    """Take a right off the platform (sold, lapsed, entered twice). Not while it is pledged: an archived
    record frees its identifier for a new one, which would hide the pledge."""
    _ensure_owner(actor, asset.owner)
    with transaction.atomic():
        locked = _locked_live(asset)
        locked.archived_at = timezone.now()
        locked.save(update_fields=["archived_at", "updated_at"])
    return locked


# What the IP register says about a right and the applicant cannot: set from the register's facts.
REGISTER_FIELDS = frozenset({"legal_status", "annual_fee_paid_through", "expiry_date", "invalidation_pending"})


def ip_asset_register_sync(*, actor, asset: IPAsset, co_owners: list[dict] | None = None, **fields) -> IPAsset:
    """Write what the register now says onto the asset's record, pledged or not: this is the seam that keeps
    pledged collateral current, where ``ip_asset_update`` (the applicant's edit) refuses a pledged asset.
    Called by ``tongzhirong.facts.services`` once it has recorded the fact (and checked who records it); only
    the register's columns and the co-owners change. Co-owners are matched by name: one still on the register
    keeps its recorded consent, a new one has none, one the register no longer names is removed."""
    changes = {**fields, **({"co_owners": co_owners} if co_owners is not None else {})}
    return ip_assets_register_sync(actor=actor, changes={asset.pk: changes})[asset.pk]


def ip_assets_register_sync(*, actor, changes: dict[int, dict]) -> dict[int, IPAsset]:
    """``ip_asset_register_sync`` for many assets (a feed's answer): one lock, one update statement."""
    require(
        actor,
        kinds={OrganisationKind.PLATFORM, OrganisationKind.BANK},
        message=_("Only a source's feed or a confirmed receipt updates what the register says."),
        superuser_ok=True,
    )
    unknown = {name for fields in changes.values() for name in fields} - REGISTER_FIELDS - {"co_owners"}
    if unknown:
        raise ValidationFailed({name: [_("The register does not decide this field.")] for name in sorted(unknown)})
    with transaction.atomic():
        locked = {a.pk: a for a in IPAsset.objects.select_for_update().filter(pk__in=list(changes))}
        changed_assets, changed_fields = [], set()
        for pk, fields in changes.items():
            asset = locked[pk]
            changed = [n for n, v in fields.items() if n != "co_owners" and getattr(asset, n) != v]
            for name in changed:
                setattr(asset, name, fields[name])
            if changed:
                changed_assets.append(asset)
                changed_fields.update(changed)
            if fields.get("co_owners") is not None:
                _co_owners_sync(asset, fields["co_owners"])
        if changed_assets:
            now = timezone.now()
            for asset in changed_assets:
                asset.updated_at = now
            IPAsset.objects.bulk_update(changed_assets, [*sorted(changed_fields), "updated_at"])
    return locked


def _co_owners_sync(asset: IPAsset, register: list[dict]) -> None:
    current = {c.name: c for c in asset.co_owners.select_for_update()}
    named = set()
    for entry in register:
        named.add(entry["name"])
        share = entry.get("share_percent")
        share = None if share is None else Decimal(share)
        co = current.get(entry["name"])
        if co is None:
            save_validated(CoOwner(asset=asset, name=entry["name"], uscc=entry.get("uscc", ""), share_percent=share))
        elif (co.uscc, co.share_percent) != (entry.get("uscc", ""), share):
            co.uscc, co.share_percent = entry.get("uscc", ""), share
            save_validated(co, update_fields=["uscc", "share_percent", "updated_at"])
    CoOwner.objects.filter(asset=asset).exclude(name__in=named).delete()
