from collections.abc import Iterable

from django.db.models import Q, QuerySet

from tongzhirong.accounts.models import OrganisationKind

from .models import FilingFlag, IPAsset


def ip_asset_list(*, user) -> QuerySet[IPAsset]:
    """An SME sees its own live assets. Other sides see assets through the applications they handle
    (the lending-flow API); the platform sees all."""
    qs = IPAsset.objects.filter(archived_at__isnull=True).select_related("owner").prefetch_related("co_owners")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(owner__organisation_id=user.organisation_id)
    return qs.none()


def live_filing_flags(*, enterprise_ids: Iterable[int], asset_ids: Iterable[int] | None = None) -> list[FilingFlag]:
    """The live abnormal-filing and bad-faith-trademark flags of these enterprises: those about the firm as a
    whole and, of those about one right, the ones on ``asset_ids`` (all, when None). The caller has already
    decided the reader may see these enterprises."""
    qs = FilingFlag.objects.filter(enterprise_id__in=list(enterprise_ids), cleared_at__isnull=True).select_related(
        "asset"
    )
    if asset_ids is not None:
        qs = qs.filter(Q(asset__isnull=True) | Q(asset_id__in=list(asset_ids)))
    return list(qs.order_by("enterprise_id", "asset_id", "code", "pk"))
