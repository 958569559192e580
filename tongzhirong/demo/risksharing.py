"""Risk sharing in the demo world: the city's pools with their ledgers, filings of the loans about to be
disbursed, claims on the defaulted loans (one paid), and the disposal desk (a completed agreed transfer and
a running auction with bids). Everything goes through the services, so the rules and the audit trail run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
from tongzhirong.core.errors import DomainError
from tongzhirong.core.money import to_yuan, wan
from tongzhirong.financing.models import Application, Loan, LoanStatus
from tongzhirong.risksharing import services
from tongzhirong.risksharing.models import ClaimStatus, DisposalRoute, Pool
from tongzhirong.risksharing.services import FILEABLE

from .world import DemoWorld

CITY_POOL = "南通市知识产权质押融资风险补偿资金池"
PARK_POOL = "南通经济技术开发区知识产权风险补偿资金池"


def seed_risksharing(world: DemoWorld) -> dict[str, int]:
    """Call last, once the rest of the world is built and on its timeline; returns counts of what it made."""
    city = (
        User.objects.filter(organisation__kind=OrganisationKind.CITY_OFFICE, role=Role.ANALYST).order_by("pk").first()
    )
    if city is None or Pool.objects.exists():
        return {}
    # Both follow Zhongshan's 54:26:16:4 among fund, bank, insurer and appraiser (BRIEF §3; the city's plan sets
    # no proportions). The city's pool, where the demo's appraised loans are filed, lets insurance and guarantees
    # pay first on their own terms and shares what is left 54:26:4 among fund, bank and appraiser (the appraiser
    # liable up to 50万 a loan); the park's pool keeps the insurer inside the shares.
    city_pool = services.pool_create(
        actor=city,
        name=CITY_POOL,
        sponsors=[(city.organisation, wan(5000))],
        leverage_cap=Decimal(10),
        share_fund=Decimal(54),
        share_bank=Decimal(26),
        share_appraiser=Decimal(4),
        max_loan_amount=wan(1000),
        max_compensation_per_loan=wan(200),
        appraiser_cap=wan(50),
    )
    services.pool_create(
        actor=city,
        name=PARK_POOL,
        sponsors=[(city.organisation, wan(2000))],
        leverage_cap=Decimal(10),
        share_fund=Decimal(54),
        share_bank=Decimal(26),
        share_insurer=Decimal(16),
        share_appraiser=Decimal(4),
        waterfall_order=["recovery", "pool"],
        eligible_districts=["park-netda"],
        appraiser_cap=wan(50),
    )
    officers = getattr(world, "officers", {})
    counts = {"pools": 2, "filings": 0, "claims_submitted": 0, "claims_paid": 0, "disposal_cases": 0, "bids": 0}
    # Every other filing names the demo appraisal firm, which then bears the pool's appraiser share of its loss.
    appraiser = Organisation.objects.filter(kind=OrganisationKind.APPRAISER).order_by("pk").first()
    for application in Application.objects.filter(status__in=FILEABLE, approved_amount__isnull=False).order_by("pk"):
        officer = officers.get(application.product.bank_id)
        if officer is None:
            continue
        try:
            services.pool_file(
                actor=officer,
                pool=city_pool,
                application=application,
                appraiser=appraiser if counts["filings"] % 2 == 0 else None,
            )
            counts["filings"] += 1
        except DomainError:  # not eligible, or the pool is full: the demo shows what the rules allow
            continue
    buyers = list(User.objects.filter(role=Role.SME_OWNER).order_by("pk")[:6])
    for n, loan in enumerate(Loan.objects.filter(status=LoanStatus.DEFAULTED).order_by("pk")):
        officer = officers.get(loan.bank_id)
        if officer is None:
            continue
        for claim in loan.claims.filter(status=ClaimStatus.OPEN):
            # The submitted claim (its amount set) is what the payer approves, not the open one read above.
            claim = services.claim_submit(actor=officer, claim=claim, comment="借款人逾期超过90天")
            counts["claims_submitted"] += 1
            payer = User.objects.filter(organisation_id=claim.payer_id, role=Role.UNDERWRITER).first()
            if n == 0 and payer is not None:
                services.claim_approve(actor=payer, claim=claim, amount=claim.claimed_amount)
                services.claim_record_payment(actor=payer, claim=claim, reference=f"PAY-{claim.reference}")
                counts["claims_paid"] += 1
        asset = loan.application.assets.order_by("pk").first()
        case = services.disposal_case_open(actor=officer, loan=loan, asset=asset)
        counts["disposal_cases"] += 1
        if n % 2 == 0:
            services.disposal_direct_sale(
                actor=officer,
                case=case,
                route=DisposalRoute.AGREED_TRANSFER,
                counterparty="南通市知识产权运营中心",
                price=to_yuan(case.exposure * Decimal("0.3")),
                costs=to_yuan(case.exposure * Decimal("0.01")),
            )
            continue
        now = timezone.now()
        auction = services.auction_start(
            actor=officer, case=case, opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=7)
        )
        for k, buyer in enumerate(b for b in buyers if b.organisation_id != loan.borrower.organisation_id):
            if k == 3:
                break
            services.auction_bid(actor=buyer, case=case, amount=auction.reserve_price + k * wan(1))
            counts["bids"] += 1
    return counts
