"""What the sources say about the demo's firms, recorded through the facts services before anyone applies, so the
scores taken at submission carry their provenance: the enterprise register, court and tax facts for every firm
(by the platform), certifications, and for the demo SME a credit-check authorisation to the demo bank, the
credit report the bank pulled under it — its outstanding credit higher than the firm declared, which the firm
disputes. No random draw: the world's other draws stay as they were."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from tongzhirong.accounts.models import User
from tongzhirong.core.money import wan
from tongzhirong.facts.models import AuthorisationScope
from tongzhirong.facts.services import credit_authorisation_sign, fact_dispute_open, fact_record

from .reference import DEMO_BANK
from .world import DemoWorld

# Every fourth firm is on the certification lists' latest batch; the rest are declared only.
CERTIFIED_EVERY = 4


def seed_facts(world: DemoWorld) -> None:
    platform = User.objects.get(username="demo-admin")
    register_day = world.at(world.as_of - timedelta(days=20), minutes=10 * 60)
    for i, enterprise in enumerate(world.enterprises):

        def record(name, value, reference, when=register_day, actor=platform, firm=enterprise):
            fact_record(actor=actor, enterprise=firm, name=name, value=value, reference=reference, observed_at=when)

        record("legal_name", enterprise.legal_name, f"GSXT-{enterprise.uscc}")
        record("founded_on", enterprise.founded_on, f"GSXT-{enterprise.uscc}")
        record("registered_capital", enterprise.registered_capital, f"GSXT-{enterprise.uscc}")
        record("business_status", "存续（在营、开业、在册）", f"GSXT-{enterprise.uscc}")
        record("abnormal_operation_listed", False, f"GSXT-{enterprise.uscc}")
        record("has_court_enforcement", enterprise.has_court_enforcement, f"ZXGK-{world.as_of:%Y%m%d}-{i:03d}")
        if enterprise.tax_credit_grade:
            record("tax_credit_grade", enterprise.tax_credit_grade, f"NSXY-{world.as_of.year - 1}-{i:03d}")
        if i % CERTIFIED_EVERY == 0:
            batch = f"GXJS-{world.as_of.year - 1}-{i:03d}"
            record("is_high_tech", enterprise.is_high_tech, batch)
            record("is_specialised", enterprise.is_specialised, batch)
            record("is_little_giant", enterprise.is_little_giant, batch)
    demo_sme_credit_report(world, world.enterprises[0])


def demo_sme_credit_report(world: DemoWorld, enterprise) -> None:
    """The demo SME authorised the demo bank, which pulled its credit report: clean, but 150万 more outstanding
    than declared; the firm disputes that line."""
    owner = world.owners[enterprise.pk]
    bank = world.banks[DEMO_BANK]
    officer = world.officers[bank.pk]
    credit_authorisation_sign(
        actor=owner,
        enterprise=enterprise,
        bank=bank,
        scope=AuthorisationScope.REVIEW_AND_POST_LOAN,
        expires_on=world.as_of + timedelta(days=180),
    )
    pulled: datetime = world.at(world.as_of - timedelta(days=6), minutes=14 * 60)
    report = f"PBOC-{world.as_of:%Y%m%d}-{enterprise.uscc[-6:]}"
    for name, value in (
        ("overdue_events_24m", enterprise.overdue_events_24m),
        ("max_days_past_due_24m", enterprise.max_days_past_due_24m),
        ("prior_ip_loans", enterprise.prior_ip_loans),
        ("existing_debt", Decimal(enterprise.existing_debt) + wan(150)),
    ):
        fact = fact_record(
            actor=officer, enterprise=enterprise, name=name, value=value, reference=report, observed_at=pulled
        )
    fact_dispute_open(
        actor=owner,
        fact=fact,
        reason="其中150万元流动资金贷款已于上月结清，征信报告尚未更新；结清证明已上传。",
    )


def overdue_reported(world: DemoWorld, enterprise, *, officer: User, overdue_events: int, worst_days: int, when):
    """A missed instalment reaches the borrower's credit report: the lending bank, authorised for post-loan
    management when it lent, records the report's new figures."""
    bank_id = officer.organisation_id
    if not enterprise.credit_authorisations.filter(bank_id=bank_id, revoked_at__isnull=True).exists():
        credit_authorisation_sign(
            actor=world.owners[enterprise.pk],
            enterprise=enterprise,
            bank=officer.organisation,
            scope=AuthorisationScope.POST_LOAN,
            expires_on=world.as_of + timedelta(days=365),
        )
    reference = f"PBOC-{when:%Y%m%d}-{enterprise.uscc[-6:]}"
    for name, value in (("overdue_events_24m", overdue_events), ("max_days_past_due_24m", worst_days)):
        fact_record(actor=officer, enterprise=enterprise, name=name, value=value, reference=reference, observed_at=when)
