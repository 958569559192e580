"""Product matching: which published products an SME can use for its IP, how much each could lend,
at what rate and what it costs in all.

    estimated limit = min(product maximum, Σ realisable value × the product's pledge-rate cap for the
                      asset's type × band factor)
    rate            = the product's range, from its minimum (band A) to its maximum (band E)
    all-in cost     = interest from the real repayment schedule + appraisal fee (2.5% of the appraised
                      value unless the loan is under the product's appraisal-free ceiling) + premium or
                      guarantee fee when the product requires one (the cheapest published offer)

Products the firm is not eligible for (district, 616 cluster, tech markers) or that take none of its IP
types are left out. Ranked: products that can lend the requested amount first, then by all-in annual cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.utils import timezone

from tongzhirong.core.money import to_rate, to_yuan
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct

from .schedule import build_schedule

BAND_FACTOR = {
    "A": Decimal("1.00"),
    "B": Decimal("0.90"),
    "C": Decimal("0.75"),
    "D": Decimal("0.50"),
    "E": Decimal("0"),
}
BAND_POSITION = {"A": Decimal("0"), "B": Decimal("0.25"), "C": Decimal("0.5"), "D": Decimal("0.75"), "E": Decimal("1")}
APPRAISAL_FEE_RATE = Decimal("0.025")


@dataclass
class Match:
    product: LoanProduct
    band: str
    pd: float
    estimated_limit: Decimal
    amount: Decimal
    rate: Decimal
    term_months: int
    interest: Decimal
    appraisal_fee: Decimal
    insurance_premium: Decimal
    guarantee_fee: Decimal
    reasons: list = field(default_factory=list)

    @property
    def total_cost(self) -> Decimal:
        return self.interest + self.appraisal_fee + self.insurance_premium + self.guarantee_fee

    @property
    def all_in_annual_rate(self) -> Decimal:
        if self.amount <= 0:
            return Decimal("0")
        return to_rate(self.total_cost / self.amount / (Decimal(self.term_months) / 12))


def eligible(product: LoanProduct, enterprise: Enterprise) -> bool:
    return (
        (not product.eligible_districts or enterprise.district in product.eligible_districts)
        and (not product.eligible_clusters or enterprise.cluster in product.eligible_clusters)
        and (not product.required_tech_markers or set(product.required_tech_markers) & set(enterprise.tech_markers))
    )


def products_match(
    *, enterprise: Enterprise, assets: list, products: list[LoanProduct], amount: Decimal | None, term_months: int
) -> list[Match]:
    from scoring.features import application_features
    from scoring.services import RISK_MODEL, assets_valuate, champion_model

    valuations = assets_valuate(assets=assets)
    appraised = sum((v.p50 for v in valuations), Decimal("0"))
    _, risk = champion_model(RISK_MODEL)
    cheapest_premium = InsuranceProduct.objects.filter(is_active=True).order_by("premium_rate").first()
    cheapest_guarantee = GuaranteeProduct.objects.filter(is_active=True).order_by("fee_rate").first()
    matches = []
    for product in products:
        caps = {c.ip_type: c.max_pledge_rate for c in product.pledge_rate_caps.all()}
        base = sum((v.realisable * caps.get(a.ip_type, 0) for a, v in zip(assets, valuations, strict=True)), Decimal(0))
        if base <= 0 or not eligible(product, enterprise):
            continue
        term = min(max(term_months, product.min_term_months), product.max_term_months)
        wanted = to_yuan(amount) if amount else min(base, product.max_amount)
        proposal = _Proposal(enterprise, product, wanted, term)
        explained = risk.explain(pd.DataFrame([application_features(proposal, valuations)]), top=3)[0]
        band = explained["band"]
        limit = to_yuan(min(product.max_amount, base * BAND_FACTOR[band]))
        if limit < product.min_amount:
            continue
        lend = min(wanted, limit)
        rate = to_rate(product.min_rate + (product.max_rate - product.min_rate) * BAND_POSITION[band])
        schedule = build_schedule(
            principal=lend,
            annual_rate=rate,
            term_months=term,
            method=product.repayment_methods[0],
            start=timezone.localdate(),
        )
        years = Decimal(term) / 12
        matches.append(
            Match(
                product=product,
                band=band,
                pd=explained["pd"],
                estimated_limit=limit,
                amount=lend,
                rate=rate,
                term_months=term,
                interest=sum((line.interest for line in schedule), Decimal(0)),
                appraisal_fee=Decimal(0)
                if lend <= product.appraisal_free_ceiling
                else to_yuan(appraised * APPRAISAL_FEE_RATE),
                insurance_premium=to_yuan(lend * cheapest_premium.premium_rate * years)
                if product.requires_insurance and cheapest_premium
                else Decimal(0),
                guarantee_fee=to_yuan(lend * cheapest_guarantee.fee_rate * years)
                if product.requires_guarantee and cheapest_guarantee
                else Decimal(0),
                reasons=explained["reasons"],
            )
        )
    wanted_amount = to_yuan(amount) if amount else Decimal(0)
    return sorted(matches, key=lambda m: (m.estimated_limit < wanted_amount, m.all_in_annual_rate, -m.estimated_limit))


class _Proposal:
    """What an application on this product would look like, for the risk features."""

    def __init__(self, enterprise: Enterprise, product: LoanProduct, amount: Decimal, term: int):
        self.enterprise, self.product = enterprise, product
        self.requested_amount, self.requested_term_months = amount, term
        self.insurance_product_id = self.guarantee_product_id = None
