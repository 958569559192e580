from django.db import transaction
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.errors import Conflict, ObjectLocked, ValidationFailed
from tongzhirong.core.models import save_validated

from .models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap

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


# The insurer's and the guarantor's products: the model, who owns it, and the terms they post.
COVER_PRODUCTS = {
    OrganisationKind.INSURER: (InsuranceProduct, "insurer", ("premium_rate", "coverage_ratio", "coverage_cap")),
    OrganisationKind.GUARANTOR: (GuaranteeProduct, "guarantor", ("fee_rate", "coverage_ratio")),
}


def _cover_terms(fields: tuple[str, ...], terms: dict, *, partial: bool) -> dict:
    unknown = set(terms) - set(fields)
    missing = set() if partial else set(fields) - set(terms)
    errors = {name: [_("Unknown field.")] for name in sorted(unknown)}
    errors |= {name: [_("This field is required.")] for name in sorted(missing)}
    if errors:
        raise ValidationFailed(errors)
    return terms


def cover_product_post(*, actor, name: str, **terms):
    """An insurer or a guarantor posts a product (version 1, published) under a name it has not used."""
    require(
        actor,
        kinds=tuple(COVER_PRODUCTS),
        roles={Role.UNDERWRITER},
        message=_("Only an insurer's or a guarantor's underwriters post cover products."),
    )
    model, owner, fields = COVER_PRODUCTS[actor.kind]
    terms = _cover_terms(fields, terms, partial=False)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("Name the product.")]})
    with transaction.atomic():
        if model.objects.filter(**{owner: actor.organisation}, name=name).exists():
            raise ValidationFailed({"name": [_("You have a product of this name: post a new version of it instead.")]})
        return save_validated(model(**{owner: actor.organisation}, name=name, **terms))


def cover_product_revise(*, actor, product, **terms):
    """A new version of a product with the changed terms, published in its place; the old version is withdrawn but
    stays what the applications and loans that took it were offered."""
    owner_kind = OrganisationKind.INSURER if isinstance(product, InsuranceProduct) else OrganisationKind.GUARANTOR
    model, owner, fields = COVER_PRODUCTS[owner_kind]
    require(
        actor,
        organisation_id=getattr(product, f"{owner}_id"),
        roles={Role.UNDERWRITER},
        message=_("Only the product's own underwriters revise it."),
    )
    terms = _cover_terms(fields, terms, partial=True)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=product.pk)
        if model.objects.filter(supersedes=locked).exists():
            raise Conflict(_("A newer version of this product exists: revise that one."))
        revised = model(
            **{owner: getattr(locked, owner)},
            name=locked.name,
            version=locked.version + 1,
            supersedes=locked,
            **{field: terms.get(field, getattr(locked, field)) for field in fields},
        )
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        return save_validated(revised)
