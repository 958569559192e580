from django.db.models import QuerySet

from tongzhirong.accounts.models import OrganisationKind

from .models import Application


def application_list(*, user) -> QuerySet[Application]:
    """The applicant sees its own applications, a bank those made on its products, the platform all."""
    qs = Application.objects.select_related("enterprise", "product", "product__bank")
    if user.is_superuser or user.kind == OrganisationKind.PLATFORM:
        return qs
    if user.kind == OrganisationKind.SME:
        return qs.filter(enterprise__organisation_id=user.organisation_id)
    if user.kind == OrganisationKind.BANK:
        return qs.filter(product__bank_id=user.organisation_id)
    return qs.none()
