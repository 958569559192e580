"""The database refuses product terms that contradict themselves, bulk paths included."""

from decimal import Decimal

import pytest

from tests.db import refused_by_database
from tests.factories import InsuranceProductFactory, LoanProductFactory
from tongzhirong.core.reference import IPType
from tongzhirong.products.models import InsuranceProduct, LoanProduct, PledgeRateCap

pytestmark = pytest.mark.django_db


def test_the_maximum_amount_cannot_fall_below_the_minimum():
    product = LoanProductFactory()

    with refused_by_database("loanproduct_amount_range"):
        LoanProduct.objects.filter(pk=product.pk).update(max_amount=Decimal("999999.99"))

    product.refresh_from_db()
    assert product.max_amount == Decimal("10000000.00")


def test_the_maximum_term_cannot_fall_below_the_minimum():
    product = LoanProductFactory()

    with refused_by_database("loanproduct_term_range"):
        LoanProduct.objects.filter(pk=product.pk).update(max_term_months=5)


def test_the_maximum_rate_cannot_fall_below_the_minimum():
    product = LoanProductFactory()

    with refused_by_database("loanproduct_rate_range"):
        LoanProduct.objects.filter(pk=product.pk).update(max_rate=Decimal("0.030000"))


def test_a_negative_minimum_amount_is_refused():
    product = LoanProductFactory()

    with refused_by_database("loanproduct_min_amount_non_negative"):
        LoanProduct.objects.filter(pk=product.pk).update(min_amount=Decimal("-1.00"))


@pytest.mark.parametrize("rate", [Decimal("1.0001"), Decimal("0.0000"), Decimal("-0.2500")])
def test_a_pledge_rate_cap_lies_in_0_exclusive_to_1(rate):
    product = LoanProductFactory()

    with refused_by_database("pledgeratecap_range"):
        PledgeRateCap.objects.bulk_create(
            [PledgeRateCap(product=product, ip_type=IPType.TRADEMARK, max_pledge_rate=rate)]
        )


def test_a_pledge_rate_cap_of_exactly_100_percent_is_allowed():
    product = LoanProductFactory()

    PledgeRateCap.objects.filter(product=product).update(max_pledge_rate=Decimal("1.0000"))

    assert product.pledge_rate_caps.get().max_pledge_rate == Decimal("1.0000")


def test_an_existing_cap_cannot_be_raised_above_100_percent_by_update():
    product = LoanProductFactory()

    with refused_by_database("pledgeratecap_range"):
        PledgeRateCap.objects.filter(product=product).update(max_pledge_rate=Decimal("1.2000"))


def test_an_insurance_premium_rate_above_100_percent_is_refused():
    product = InsuranceProductFactory()

    with refused_by_database("insuranceproduct_premium_rate_ratio"):
        InsuranceProduct.objects.filter(pk=product.pk).update(premium_rate=Decimal("1.100000"))
