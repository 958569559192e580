from django.db import IntegrityError, transaction
from django.utils import timezone

from tongzhirong.core.errors import DuplicateObject, PermissionDenied, ValidationFailed
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
    if not actor.is_superuser and actor.organisation_id != enterprise.organisation_id:
        raise PermissionDenied("Only the owning enterprise may change its IP assets.")


def ip_asset_register(*, actor, owner: Enterprise, co_owners: list[dict] | None = None, **fields) -> IPAsset:
    """Register an IP right for ``owner``. Refuses a second live record of the same (type, identifier)."""
    _ensure_owner(actor, owner)
    unknown = set(fields) - ASSET_FIELDS
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    asset = IPAsset(owner=owner, **fields)
    try:
        with transaction.atomic():
            save_validated(asset)
            for co in co_owners or []:
                co_owner_add(actor=actor, asset=asset, **co)
    except ValidationFailed as exc:
        if DUPLICATE_MESSAGE in exc.errors.get("__all__", []):
            raise DuplicateObject(f"{asset.identifier} is already registered on the platform.") from exc
        raise
    except IntegrityError as exc:  # a concurrent registration won the race
        raise DuplicateObject(f"{asset.identifier} is already registered on the platform.") from exc
    return asset


def co_owner_add(*, actor, asset: IPAsset, name: str, consent_given: bool = False, **fields) -> CoOwner:
    _ensure_owner(actor, asset.owner)
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
    _ensure_owner(actor, asset.owner)
    with transaction.atomic():
        locked = IPAsset.objects.select_for_update().get(pk=asset.pk)
        locked.archived_at = timezone.now()
        locked.save(update_fields=["archived_at", "updated_at"])
    return locked
