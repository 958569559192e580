"""Product matching: which published products an SME can use for its IP, how much each could lend,
at what rate and what it costs in all.

    estimated limit = min(product maximum, Σ realisable value × the product's pledge-rate cap for the
                      asset's type × band factor)
    rate            = the product's range, from its minimum (band A) to its maximum (band E)
    all-in cost     = interest from the real repayment schedule + appraisal fee (2.5% of the appraised
                      value unless the loan is under the product's appraisal-free ceiling) + premium or
                      guarantee fee when the product requires one (the cheapest published offer)

Only the assets that can secure the product count (``financing.eligibility``: not pledged elsewhere, in
force, fees paid, consented, outliving the term plus a margin, a cap above 0% for the type); the others come
back with each match, each with its reasons. Products the firm is not eligible for (district, 616 cluster,
tech markers), that take none of its IP types, that none of the assets can secure or could not lend their
minimum come back apart, each with its reasons. Ranked: products that can lend the requested amount first,
then by all-in annual cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.utils import timezone

from scoring.appraisals import appraisal_on_file
from scoring.features import application_features
from scoring.selectors import latest_valuations
from scoring.services import RISK_MODEL, champion_model
from tongzhirong.core.money import to_rate, to_yuan
from tongzhirong.core.reference import Cluster, District, TechMarker
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.eligibility import Reason, asset_reasons, pledge_facts, product_caps
from tongzhirong.financing.schedule import build_schedule
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct

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
    ineligible: list[dict] = field(default_factory=list)  # the assets left out of the limit, with their reasons
    assets: list = field(default_factory=list)  # the assets counted, which an application would pledge

    @property
    def total_cost(self) -> Decimal:
        return self.interest + self.appraisal_fee + self.insurance_premium + self.guarantee_fee

    @property
    def all_in_annual_rate(self) -> Decimal:
        if self.amount <= 0:
            return Decimal("0")
        return to_rate(self.total_cost / self.amount / (Decimal(self.term_months) / 12))


@dataclass
class Exclusion:
    """A published product the firm cannot use for these assets, and why — so an empty list never leaves an
    SME guessing."""

    product: LoanProduct
    reasons: list[dict]
    ineligible: list[dict] = field(default_factory=list)


def appraisal_fee(enterprise: Enterprise, assets: list, valuations: list) -> Decimal:
    """The appraisal fee an application on ``assets`` costs: the fee the firm charged for a report filed within
    the year on these assets (the bank relies on it), otherwise an estimate at APPRAISAL_FEE_RATE of their P50."""
    on_file = appraisal_on_file(enterprise=enterprise, asset_ids=[a.pk for a in assets])
    if on_file is not None:
        return on_file.fee
    return to_yuan(sum((v.p50 for v in valuations), Decimal(0)) * APPRAISAL_FEE_RATE)


def _reason(code: str, zh: str, en: str) -> dict:
    return {"code": code, "zh": zh, "en": en}


def eligibility_reasons(product: LoanProduct, enterprise: Enterprise) -> list[dict]:
    """Why the firm is not eligible for the product; empty when it is."""
    reasons = []
    if product.eligible_districts and enterprise.district not in product.eligible_districts:
        places = "、".join(str(District(d).label).split(" ")[-1] for d in product.eligible_districts)
        reasons.append(
            _reason("district", f"仅限{places}企业", f"Only for firms in {', '.join(product.eligible_districts)}")
        )
    if product.eligible_clusters and enterprise.cluster not in product.eligible_clusters:
        clusters = "、".join(str(Cluster(c).label).split(" ")[-1] for c in product.eligible_clusters)
        reasons.append(
            _reason(
                "cluster", f"仅限{clusters}产业集群", f"Only for the clusters {', '.join(product.eligible_clusters)}"
            )
        )
    if product.required_tech_markers and not set(product.required_tech_markers) & set(enterprise.tech_markers):
        markers = "、".join(str(TechMarker(m).label).split(" ")[-1] for m in product.required_tech_markers)
        reasons.append(
            _reason(
                "tech_marker",
                f"需具备以下资质之一：{markers}",
                f"Needs one of {', '.join(product.required_tech_markers)}",
            )
        )
    return reasons


def eligible(product: LoanProduct, enterprise: Enterprise) -> bool:
    return not eligibility_reasons(product, enterprise)


def products_match(
    *, enterprise: Enterprise, assets: list, products: list[LoanProduct], amount: Decimal | None, term_months: int
) -> tuple[list[Match], list[Exclusion]]:
    valuations = latest_valuations(a.pk for a in assets)  # stored by registration and nightly; never made here
    facts = pledge_facts(assets)
    today = timezone.localdate()
    _, risk = champion_model(RISK_MODEL)
    cheapest_premium = InsuranceProduct.objects.filter(is_active=True).order_by("premium_rate").first()
    cheapest_guarantee = GuaranteeProduct.objects.filter(is_active=True).order_by("fee_rate").first()
    matches, excluded = [], []
    for product in products:
        caps = product_caps(product)
        term = min(max(term_months, product.min_term_months), product.max_term_months)
        why_not = {
            a.pk: asset_reasons(
                a, enterprise_id=enterprise.pk, caps=caps, term_months=term, facts=facts[a.pk], today=today
            )
            for a in assets
        }
        for a in assets:
            if a.pk not in valuations:
                why_not[a.pk].append(Reason("not_valued", {"identifier": a.identifier}))
        ineligible = [{"asset": a, "reasons": [r.bilingual() for r in why_not[a.pk]]} for a in assets if why_not[a.pk]]
        usable = [a for a in assets if not why_not[a.pk]]
        base = sum((valuations[a.pk].realisable * caps[a.ip_type] for a in usable), Decimal(0))
        reasons = eligibility_reasons(product, enterprise)
        if not any(caps.get(a.ip_type) for a in assets):
            reasons.append(_reason("ip_type", "不接受所选知识产权类型", "Takes none of these IP types"))
        elif not usable:
            reasons.append(
                _reason(
                    "no_eligible_asset",
                    "所选知识产权均不能为本产品提供质押，原因见各项",
                    "None of the chosen assets can secure this product: see each one's reasons",
                )
            )
        elif base <= 0:
            reasons.append(_reason("no_value", "所选知识产权可变现价值为零", "The assets have no realisable value"))
        if reasons:
            excluded.append(Exclusion(product, reasons, ineligible))
            continue
        wanted = to_yuan(amount) if amount else min(base, product.max_amount)
        proposal = _Proposal(enterprise, product, wanted, term)
        counted = [valuations[a.pk] for a in usable]
        explained = risk.explain(pd.DataFrame([application_features(proposal, counted)]), top=3)[0]
        band = explained["band"]
        limit = to_yuan(min(product.max_amount, base * BAND_FACTOR[band]))
        if limit < product.min_amount:
            excluded.append(
                Exclusion(
                    product,
                    [
                        _reason(
                            "below_minimum",
                            f"风险等级{band}下估算额度{limit}元低于产品起贷额{product.min_amount}元",
                            f"At band {band} the estimated limit {limit} is under the product's minimum "
                            f"{product.min_amount}",
                        )
                    ],
                    ineligible,
                )
            )
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
                else appraisal_fee(enterprise, usable, counted),
                insurance_premium=to_yuan(lend * cheapest_premium.premium_rate * years)
                if product.requires_insurance and cheapest_premium
                else Decimal(0),
                guarantee_fee=to_yuan(lend * cheapest_guarantee.fee_rate * years)
                if product.requires_guarantee and cheapest_guarantee
                else Decimal(0),
                reasons=explained["reasons"],
                ineligible=ineligible,
                assets=usable,
            )
        )
    wanted_amount = to_yuan(amount) if amount else Decimal(0)
    ranked = sorted(
        matches, key=lambda m: (m.estimated_limit < wanted_amount, m.all_in_annual_rate, -m.estimated_limit)
    )
    return ranked, excluded


class _Proposal:
    """What an application on this product would look like, for the risk features."""

    def __init__(self, enterprise: Enterprise, product: LoanProduct, amount: Decimal, term: int):
        self.enterprise, self.product = enterprise, product
        self.requested_amount, self.requested_term_months = amount, term
        self.insurance_product_id = self.guarantee_product_id = None
