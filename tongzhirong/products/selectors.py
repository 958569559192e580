from django.db.models import QuerySet

from tongzhirong.accounts.models import OrganisationKind

from .models import LoanProduct


def loan_product_list(*, user) -> QuerySet[LoanProduct]:
    """Published products for everyone; a bank also sees its own unpublished ones."""
    qs = (
        LoanProduct.objects.select_related("bank")
        .prefetch_related("pledge_rate_caps")
        .order_by("bank__name", "name", "id")
    )
    if user.kind == OrganisationKind.BANK:
        return qs.filter(is_active=True) | qs.filter(bank_id=user.organisation_id)
    return qs.filter(is_active=True)
