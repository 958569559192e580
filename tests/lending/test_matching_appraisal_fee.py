"""Matching's all-in cost reads the appraisal on file (issue 18, item 7): the fee the firm charged for a report filed
within the year on the same assets, and an estimate only when there is none."""

from decimal import Decimal

import pytest
from django.utils import timezone

from scoring.appraisals import APPRAISAL_VALID_DAYS
from scoring.models import Appraisal, AppraisalStatus
from scoring.services import assets_valuate
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.lending.matching import APPRAISAL_FEE_RATE, products_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise():
    return EnterpriseFactory()


@pytest.fixture
def assets(enterprise):
    made = [IPAssetFactory(owner=enterprise, forward_citations=30, family_size=5) for _ in range(2)]
    assets_valuate(assets=made)  # as registration would
    return made


@pytest.fixture
def product():
    return LoanProductFactory(min_amount=Decimal("10000.00"), appraisal_free_ceiling=Decimal("0"))


def fee(enterprise, assets, product) -> Decimal:
    [match], _ = products_match(
        enterprise=enterprise, assets=assets, products=[product], amount=Decimal("500000"), term_months=12
    )
    return match.appraisal_fee


def file_appraisal(enterprise, assets, fee, days_ago=10):
    earlier = ApplicationFactory(enterprise=enterprise, status="withdrawn")  # its assets are free again
    for asset in assets:
        ApplicationAsset.objects.create(application=earlier, asset=asset)
    firm = BankFactory(kind=OrganisationKind.APPRAISER)
    return Appraisal.objects.create(
        application=earlier,
        appraiser=firm,
        requested_by=UserFactory(organisation=earlier.product.bank, role=Role.BANK_OFFICER),
        status=AppraisalStatus.FILED,
        value=Decimal("3000000"),
        method="income",
        fee=fee,
        filed_at=timezone.now() - timezone.timedelta(days=days_ago),
    )


def test_without_an_appraisal_on_file_the_fee_is_an_estimate(enterprise, assets, product):
    estimate = fee(enterprise, assets, product)
    assert estimate > 0
    assert estimate.as_tuple().exponent == -2  # yuan to the fen
    assert Decimal("0.025") == APPRAISAL_FEE_RATE


def test_a_report_filed_within_the_year_on_these_assets_sets_the_fee(enterprise, assets, product):
    file_appraisal(enterprise, assets, Decimal("18000.00"))
    assert fee(enterprise, assets, product) == Decimal("18000.00")


def test_an_old_report_or_one_on_other_assets_does_not(enterprise, assets, product):
    estimate = fee(enterprise, assets, product)
    file_appraisal(enterprise, assets, Decimal("18000.00"), days_ago=APPRAISAL_VALID_DAYS + 1)
    file_appraisal(enterprise, assets[:1], Decimal("9000.00"))
    assert fee(enterprise, assets, product) == estimate
