from django.db import transaction

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import ObjectLocked, ValidationFailed
from tongzhirong.core.models import save_validated

from .models import LoanProduct, PledgeRateCap

PRODUCT_FIELDS = {f.name for f in LoanProduct._meta.concrete_fields} - {"id", "bank", "created_at", "updated_at"}


def _ensure_bank_member(actor, bank) -> None:
    require(
        actor, organisation_id=bank.pk, message="Only the bank's own people may change its products.", superuser_ok=True
    )


def loan_product_create(*, actor, bank, pledge_rate_caps: dict[str, object], **fields) -> LoanProduct:
    if bank.kind != OrganisationKind.BANK:
        raise ValidationFailed({"bank": ["Only a bank posts loan products."]})
    _ensure_bank_member(actor, bank)
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    if not pledge_rate_caps:
        raise ValidationFailed({"pledge_rate_caps": ["Set a maximum pledge rate for at least one IP type."]})
    with transaction.atomic():
        product = save_validated(LoanProduct(bank=bank, **fields))
        for ip_type, rate in pledge_rate_caps.items():
            save_validated(PledgeRateCap(product=product, ip_type=ip_type, max_pledge_rate=rate))
    return product


def loan_product_update(*, actor, product: LoanProduct, **fields) -> LoanProduct:
    """Change a product's terms. Once an application has used it the terms are frozen: post a new
    product instead. Publishing or withdrawing it (``is_active``) stays possible."""
    _ensure_bank_member(actor, product.bank)
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    with transaction.atomic():
        locked = LoanProduct.objects.select_for_update().get(pk=product.pk)
        if set(fields) - {"is_active"} and locked.applications.exists():
            raise ObjectLocked("Applications have used this product: its terms can no longer change.")
        for name, value in fields.items():
            setattr(locked, name, value)
        return save_validated(locked, update_fields=[*fields, "updated_at"])


def loan_product_is_locked(product: LoanProduct) -> bool:
    return product.applications.exists()
