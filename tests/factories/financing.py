"""Applications and loans. ``LoanFactory`` writes a bare loan row; ``loan_for`` disburses one through the service
with its real schedule, the way to get a loan that behaves like one."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from tests.factories.accounts import BankFactory, UserFactory
from tests.factories.assets import IPAssetFactory
from tests.factories.enterprises import EnterpriseFactory
from tests.factories.products import LoanProductFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.reference import SHANGHAI, RepaymentMethod
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus, Loan
from tongzhirong.financing.schedule import add_months
from tongzhirong.financing.services import repayment_record
from tongzhirong.lending.loans import loan_disburse
from tongzhirong.risksharing.services import cover_request_accept, cover_requests_open_for


def cover_accepted(application: Application, *, officer=None) -> list:
    """The cover the application's terms name, asked for by its bank and accepted by each provider's underwriter on
    the product's terms: what a loan with insurance or a guarantee needs before it is disbursed."""
    officer = officer or UserFactory(organisation=application.product.bank, role=Role.BANK_OFFICER)
    accepted = []
    for request in cover_requests_open_for(actor=officer, application=application):
        underwriter = UserFactory(organisation=request.provider, role=Role.UNDERWRITER)
        accepted.append(cover_request_accept(actor=underwriter, cover=request))
    return accepted


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware moment on ``day`` in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    reference = factory.Sequence(lambda n: f"APP{n:08d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    product = factory.SubFactory(LoanProductFactory)
    requested_amount = Decimal("3000000.00")
    requested_term_months = 12
    repayment_method = RepaymentMethod.EQUAL_INSTALMENT


class PledgedApplicationFactory(ApplicationFactory):
    """An application as ``application_create`` makes it: with one of the enterprise's patents pledged."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def pledged(obj, create, extracted, **kwargs):
        if create:
            ApplicationAsset.objects.create(application=obj, asset=IPAssetFactory(owner=obj.enterprise))


class LoanFactory(factory.django.DjangoModelFactory):
    """A loan written straight to the database (no schedule); use ``loan_disburse`` for a real one."""

    class Meta:
        model = Loan

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.DISBURSED)
    bank = factory.SelfAttribute("application.product.bank")
    borrower = factory.SelfAttribute("application.enterprise")
    contract_number = factory.Sequence(lambda n: f"JK{n:08d}")
    principal = Decimal("3000000.00")
    annual_rate = Decimal("0.045000")
    term_months = 12
    repayment_method = RepaymentMethod.EQUAL_INSTALMENT
    disbursed_at = factory.LazyFunction(timezone.now)
    maturity_date = factory.LazyAttribute(lambda o: add_months(timezone.localdate(o.disbursed_at), o.term_months))
    outstanding_principal = factory.SelfAttribute("principal")


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
    cover_accepted(application, officer=officer)
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
