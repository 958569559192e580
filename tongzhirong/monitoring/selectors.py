from django.db.models import QuerySet

from tongzhirong.accounts.models import OrganisationKind

from .models import CollateralFlag


def collateral_flag_list(*, user, filters: dict | None = None) -> QuerySet[CollateralFlag]:
    """Flags on the loans the caller is party to: the borrower's, the lending bank's, the insurer's or
    guarantor's bound to the loan; the platform sees all."""
    qs = CollateralFlag.objects.select_related("loan", "asset")
    kind = user.kind
    if user.is_superuser or kind == OrganisationKind.PLATFORM:
        pass
    elif kind == OrganisationKind.SME:
        qs = qs.filter(loan__borrower__organisation_id=user.organisation_id)
    elif kind == OrganisationKind.BANK:
        qs = qs.filter(loan__bank_id=user.organisation_id)
    elif kind == OrganisationKind.INSURER:
        qs = qs.filter(loan__application__insurance_product__insurer_id=user.organisation_id)
    elif kind == OrganisationKind.GUARANTOR:
        qs = qs.filter(loan__application__guarantee_product__guarantor_id=user.organisation_id)
    else:
        return qs.none()
    for key, lookup in (("status", "status"), ("kind", "kind"), ("severity", "severity"), ("loan", "loan_id")):
        if (filters or {}).get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    return qs
