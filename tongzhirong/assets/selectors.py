from django.db.models import QuerySet

from tongzhirong.accounts.models import OrganisationKind

from .models import IPAsset


def ip_asset_list(*, user) -> QuerySet[IPAsset]:
    """An SME sees its own live assets. Other sides see assets through the applications they handle
    (the lending-flow API); the platform sees all."""
    qs = IPAsset.objects.filter(archived_at__isnull=True).select_related("owner").prefetch_related("co_owners")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(owner__organisation_id=user.organisation_id)
    return qs.none()
