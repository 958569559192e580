"""Subsidy and monitoring objects for the tests: policies, real loans on a chosen timeline, claims."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from tests.factories import ApplicationFactory, BankFactory, LoanProductFactory, OrganisationFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.financing.models import ApplicationStatus, Loan
from tongzhirong.financing.services import repayment_record
from tongzhirong.lending.loans import loan_disburse
from tongzhirong.monitoring.models import CollateralFlag, FlagKind, Severity
from tongzhirong.subsidies.models import (
    InterestBasis,
    RepaymentCondition,
    SubsidyAllowance,
    SubsidyClaim,
    SubsidyClaimLine,
    SubsidyKind,
    SubsidyPolicy,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware moment on ``day`` in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


class CityOfficeFactory(OrganisationFactory):
    kind = OrganisationKind.CITY_OFFICE
    name = factory.Sequence(lambda n: f"City office {n}")


class CityAnalystFactory(UserFactory):
    organisation = factory.SubFactory(CityOfficeFactory)
    role = Role.ANALYST


class SubsidyPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubsidyPolicy

    name = factory.Sequence(lambda n: f"知识产权质押贷款贴息 {n}")
    kind = SubsidyKind.INTEREST
    interest_basis = InterestBasis.INTEREST_PAID
    share = Decimal("0.5000")
    loan_cap_rate = Decimal("0.0300")
    annual_cap = Decimal("50000.00")
    repayment_condition = RepaymentCondition.NONE
    first_year = 2024
    created_by = factory.SubFactory(CityAnalystFactory)


def loan_for(
    enterprise,
    *,
    principal: str = "1200000.00",
    rate: str = "0.06",
    disbursed: dt.date = dt.date(2024, 12, 1),
    term_months: int = 12,
    method: str = RepaymentMethod.INTEREST_ONLY,
    bank=None,
    insurance_product=None,
    guarantee_product=None,
    contract_number: str | None = None,
) -> Loan:
    """A loan disbursed through the service on ``disbursed`` (10:00 Beijing time), with its real schedule."""
    bank = bank or BankFactory()
    application = ApplicationFactory(
        enterprise=enterprise,
        product=LoanProductFactory(bank=bank),
        status=ApplicationStatus.REGISTERED,
        approved_amount=Decimal(principal),
        approved_rate=Decimal(rate),
        approved_term_months=term_months,
        repayment_method=method,
        insurance_product=insurance_product,
        guarantee_product=guarantee_product,
    )
    officer = UserFactory(organisation=bank, role=Role.BANK_OFFICER)
    return loan_disburse(
        actor=officer,
        application=application,
        contract_number=contract_number or f"JK-{application.reference}",
        disbursed_at=at(disbursed),
    )


def repaid_loan(enterprise, principal: str = "1200000.00", **kwargs) -> Loan:
    """``loan_for`` with every instalment paid on its due date."""
    loan = loan_for(enterprise, principal=principal, **kwargs)
    pay_instalments(loan)
    return loan


def pay_instalments(loan: Loan, count: int | None = None, *, days_late: int = 0, hour: int = 10) -> None:
    """Pay the first ``count`` instalments (all by default) in full, ``days_late`` after each due date."""
    officer = UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER)
    for line in list(loan.schedule.order_by("sequence"))[:count]:
        repayment_record(
            actor=officer,
            loan=loan,
            amount=line.principal_due + line.interest_due,
            paid_at=at(line.due_date + dt.timedelta(days=days_late), hour),
        )
    loan.refresh_from_db()


def submitted_claim(policy: SubsidyPolicy, loan: Loan, *, amount: str = "1000.00", year: int = 2025) -> SubsidyClaim:
    """A submitted claim written straight to the database, holding ``amount`` of the firm's allowance."""
    enterprise = loan.borrower
    owner = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    claim = SubsidyClaim.objects.create(
        reference=f"BT{year}{loan.pk:07d}",
        policy=policy,
        enterprise=enterprise,
        year=year,
        computed_amount=Decimal(amount),
        amount=Decimal(amount),
        submitted_by=owner,
    )
    SubsidyClaimLine.objects.create(
        claim=claim, loan=loan, policy=policy, year=year, base=Decimal(amount) * 2, share="0.5", amount=Decimal(amount)
    )
    SubsidyAllowance.objects.create(
        enterprise=enterprise, policy=policy, year=year, cap=policy.annual_cap, committed=Decimal(amount)
    )
    return claim


def open_flag(loan: Loan, *, kind: str = FlagKind.CO_OWNERS_CHANGED, asset=None) -> CollateralFlag:
    asset = asset or loan.application.assets.first()
    return CollateralFlag.objects.create(
        loan=loan,
        asset=asset,
        kind=kind,
        severity=Severity.WATCH,
        detail="共有人变更",
        detected_on=dt.date(2026, 11, 25),
    )
