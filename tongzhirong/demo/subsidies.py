"""Subsidies in the demo world. Called from ``tongzhirong.demo.seed.build`` after the applications and loans
exist (and before the timestamps are moved onto the world's timeline). Everything goes through the services, as
a person would do it: the city office posts four policies, firms with loans that earn a subsidy claim it, the
office decides some of the claims and pays some of those."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tongzhirong.accounts.models import User
from tongzhirong.core.money import wan
from tongzhirong.financing.models import Loan
from tongzhirong.subsidies.models import (
    ClaimStatus,
    InterestBasis,
    RepaymentCondition,
    SubsidyClaim,
    SubsidyKind,
    SubsidyPolicy,
)
from tongzhirong.subsidies.services import (
    CapReached,
    subsidy_claim_approve,
    subsidy_claim_quote,
    subsidy_claim_record_payment,
    subsidy_claim_reject,
    subsidy_claim_submit,
    subsidy_policy_create,
)

from .world import DemoWorld

TECH_MARKERS = ["high_tech", "tech_sme", "specialised", "little_giant"]
MAX_CLAIMS = 12
REJECTION = "贷款资金用途与申报材料不一致，请补充说明后重新申报。"


def seed_subsidies(world: DemoWorld) -> dict[str, int]:
    """Policies and claims in every status for ``world``. Deterministic for the world's seed: choices come from
    ``world.rng``, loans are taken in a fixed order."""
    city = User.objects.get(username="demo-city")
    policies = _policies(city, first_year=world.as_of.year - 2)
    claims = _claims(world, city, policies)
    return {"subsidy_policies": len(policies), "subsidy_claims": claims}


def _policies(city: User, *, first_year: int) -> list[SubsidyPolicy]:
    common = {"first_year": first_year, "required_tech_markers": TECH_MARKERS}
    specs = [
        {
            "name": "南通市知识产权质押贷款贴息（按实付利息）",
            "description": "对科技型中小企业按实际支付利息的50%给予贴息，单笔不超过贷款额的3%，"
            "每家企业每年最高30万元；贷款结清后申报。",
            "kind": SubsidyKind.INTEREST,
            "interest_basis": InterestBasis.INTEREST_PAID,
            "share": Decimal("0.5"),
            "loan_cap_rate": Decimal("0.03"),
            "annual_cap": wan(30),
            "repayment_condition": RepaymentCondition.FULL,
        },
        {
            "name": "南通市知识产权质押贷款贴息（按LPR）",
            "description": "按一年期LPR的20%贴息，贷款有保险或担保的按50%；按期还款方可申报。",
            "kind": SubsidyKind.INTEREST,
            "interest_basis": InterestBasis.LPR,
            "lpr_rate": Decimal("0.0300"),
            "share": Decimal("0.2"),
            "covered_share": Decimal("0.5"),
            "loan_cap_rate": Decimal("0.03"),
            "annual_cap": wan(30),
            "repayment_condition": RepaymentCondition.ON_TIME,
        },
        {
            "name": "知识产权质押融资保险费、担保费补贴",
            "description": "按保险费、担保费的50%补贴，不超过贷款额的1.2%，每家企业每年最高10万元。",
            "kind": SubsidyKind.PREMIUM,
            "share": Decimal("0.5"),
            "loan_cap_rate": Decimal("0.012"),
            "annual_cap": wan(10),
            "repayment_condition": RepaymentCondition.NONE,
        },
        {
            "name": "知识产权质押融资评估费补贴",
            "description": "按评估费的50%补贴，不超过贷款额的0.5%，每家企业每年最高5万元。",
            "kind": SubsidyKind.APPRAISAL,
            "share": Decimal("0.5"),
            "loan_cap_rate": Decimal("0.005"),
            "annual_cap": wan(5),
            "repayment_condition": RepaymentCondition.NONE,
        },
    ]
    return [subsidy_policy_create(actor=city, **common, **spec) for spec in specs]


def _claims(world: DemoWorld, city: User, policies: list[SubsidyPolicy]) -> int:
    """Firms claim what their loans earn, last year first; the office approves, pays or rejects some."""
    loans_of: dict[int, list[Loan]] = {}
    loans = (
        Loan.objects.select_related("application")
        .prefetch_related("schedule", "repayments", "cover_policies")
        .order_by("borrower_id", "disbursed_at", "pk")
    )
    for loan in loans:
        loans_of.setdefault(loan.borrower_id, []).append(loan)
    made: list[SubsidyClaim] = []
    for year in (world.as_of.year - 1, world.as_of.year):
        for policy in policies[:3]:  # appraisal fees are declared by the firm: left for the demo user to try
            for enterprise in world.enterprises:
                if len(made) >= MAX_CLAIMS or enterprise.pk not in loans_of:
                    continue
                quote = subsidy_claim_quote(
                    policy=policy, enterprise=enterprise, year=year, loans=loans_of[enterprise.pk], today=world.as_of
                )
                eligible = [line.loan for line in quote.lines if line.eligible]
                if quote.firm_reasons or not eligible or quote.remaining <= 0:
                    continue
                try:
                    made.append(
                        subsidy_claim_submit(
                            actor=world.owners[enterprise.pk], policy=policy, year=year, loans=eligible
                        )
                    )
                except CapReached:
                    continue
    for i, claim in enumerate(made):
        fate = i % 4  # submitted, approved, paid, rejected: every status on show
        if fate == 1 or fate == 2:
            subsidy_claim_approve(actor=city, claim=claim, reason="材料齐全，符合政策条件。")
        if fate == 2:
            paid_on = min(world.as_of, world.as_of.replace(month=1, day=1) + timedelta(days=world.rng.randint(30, 90)))
            subsidy_claim_record_payment(actor=city, claim=claim, paid_on=paid_on, reference=f"NTCZ-{claim.reference}")
        if fate == 3:
            subsidy_claim_reject(actor=city, claim=claim, reason=REJECTION)
    return SubsidyClaim.objects.exclude(status=ClaimStatus.WITHDRAWN).count()
