"""Worlds for the risk-sharing tests: a city office with its pool, a bank, applications ready to disburse,
loans that defaulted."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from scoring.models import ApplicationScore, ModelVersion
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    OrganisationFactory,
    UserFactory,
    cover_accepted,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.lending.loans import loan_disburse, loans_refresh_delinquency
from tongzhirong.risksharing.services import auction_start, disposal_case_open, pool_create


def city_user(**org):
    return UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.CITY_OFFICE, **org), role=Role.ANALYST)


def pool_for(city, *, fund="100000.00", leverage="10", name=None, **terms):
    terms = {"share_fund": Decimal(40), "share_bank": Decimal(60), **terms}
    return pool_create(
        actor=city,
        name=name or f"风险补偿资金池 {city.organisation_id}",
        sponsors=[(city.organisation, Decimal(fund))],
        leverage_cap=Decimal(leverage),
        **terms,
    )


def bank_officer(bank=None):
    return UserFactory(organisation=bank or BankFactory(), role=Role.BANK_OFFICER)


def registered_application(officer, *, amount="300000.00", enterprise=None, assets=1, **fields):
    """An application of ``officer``'s bank, approved and pledge-registered, its cover (if any) accepted: ready to
    disburse."""
    product = LoanProductFactory(bank=officer.organisation, min_amount=Decimal("10000"))
    enterprise = enterprise or EnterpriseFactory()
    application = ApplicationFactory(
        enterprise=enterprise,
        product=product,
        status=ApplicationStatus.REGISTERED,
        approved_amount=Decimal(amount),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
        **fields,
    )
    for _ in range(assets):
        ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=enterprise))
    cover_accepted(application, officer=officer)
    return application


def defaulted_loan(officer, application, contract="JK-DEFAULT-1"):
    """Disburse 400 days ago and let the daily refresh find every instalment unpaid: the loan defaults."""
    loan = loan_disburse(
        actor=officer,
        application=application,
        contract_number=contract,
        disbursed_at=timezone.now() - dt.timedelta(days=400),
    )
    loans_refresh_delinquency()
    loan.refresh_from_db()
    return loan


def sme_buyer():
    """A registered buyer: an SME on the platform, a stranger to the loan."""
    return UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)


def disposal_case(officer=None, *, contract="JK-DEFAULT-1"):
    """An open disposal case: the one pledged asset of a defaulted loan of 300,000 yuan."""
    officer = officer or bank_officer()
    application = registered_application(officer, amount="300000.00")
    loan = defaulted_loan(officer, application, contract=contract)
    return disposal_case_open(actor=officer, loan=loan, asset=application.assets.get())


def put_up_for_auction(case, *, reserve="100000", days=1):
    """The case's asset in an auction that opened an hour ago and closes in ``days`` days."""
    now = timezone.now()
    auction_start(
        actor=case.opened_by,
        case=case,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=days),
        reserve_price=Decimal(reserve),
    )
    return case


def score_with(application, pd: str) -> None:
    """A stored score with this PD for the application, as the scoring service would leave it."""
    version, _ = ModelVersion.objects.get_or_create(
        name="pledge_risk", version="test", defaults={"kind": "scorecard", "task": "pledge_risk", "sha256": "0" * 64}
    )
    ApplicationScore.objects.create(
        application=application, model_version=version, input_hash=pd, inputs={}, pd=Decimal(pd), points=600, band="C"
    )
