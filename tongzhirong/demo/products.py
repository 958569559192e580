"""The banks' loan products with their pledge-rate caps, the insurer's and the guarantor's products."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tongzhirong.core.models import save_validated
from tongzhirong.core.money import wan
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct
from tongzhirong.products.services import loan_product_create

from .reference import (
    GUARANTEE_PRODUCTS,
    INSURANCE_PRODUCTS,
    LAUNCH,
    LOAN_PRODUCTS,
)
from .world import DemoWorld


def seed_products(world: DemoWorld) -> None:
    moment = world.at(LAUNCH + timedelta(days=10))
    for code, name, description, (lo, hi), (t_lo, t_hi), (r_lo, r_hi), methods, caps, extra in LOAN_PRODUCTS:
        bank = world.banks[code]
        product = loan_product_create(
            actor=world.officers[bank.pk],
            bank=bank,
            pledge_rate_caps={t: Decimal(rate) for t, rate in caps.items()},
            name=name,
            description=description,
            min_amount=wan(lo),
            max_amount=wan(hi),
            min_term_months=t_lo,
            max_term_months=t_hi,
            min_rate=Decimal(r_lo),
            max_rate=Decimal(r_hi),
            repayment_methods=list(methods),
            **extra,
        )
        world.caps[product.pk] = {t: Decimal(rate) for t, rate in caps.items()}
        world.stamp(product, created_at=moment, updated_at=moment)
    for name, premium, coverage, cap in INSURANCE_PRODUCTS:
        product = save_validated(
            InsuranceProduct(
                insurer=world.insurer,
                name=name,
                premium_rate=Decimal(premium),
                coverage_ratio=Decimal(coverage),
                coverage_cap=wan(cap),
            )
        )
        world.insurance.append(product)
        world.stamp(product, created_at=moment, updated_at=moment)
    for name, fee, coverage in GUARANTEE_PRODUCTS:
        product = save_validated(
            GuaranteeProduct(
                guarantor=world.guarantor, name=name, fee_rate=Decimal(fee), coverage_ratio=Decimal(coverage)
            )
        )
        world.guarantees.append(product)
        world.stamp(product, created_at=moment, updated_at=moment)
    world.loan_products = list(LoanProduct.objects.select_related("bank").order_by("pk"))
