"""A pool's capacity is its fund as it stands × leverage (issue 20, item 5): claims paid reduce it,
top-ups restore it, and the stored fund balance always equals the ledger's cash."""

from decimal import Decimal as D

import pytest

from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.risksharing import selectors, services
from tongzhirong.risksharing.models import Pool
from tongzhirong.risksharing.services import PoolCapacityExceeded

from .helpers import bank_officer, city_user, defaulted_loan, pool_for, registered_application


def _paid_claim(city, officer, pool, amount="300000.00"):
    application = registered_application(officer, amount=amount)
    filing = services.pool_file(actor=officer, pool=pool, application=application)
    defaulted_loan(officer, application)
    filing.refresh_from_db()
    claim = services.pool_claim_create(actor=officer, filing=filing)
    services.claim_approve(actor=city, claim=claim, amount=claim.coverage)
    services.claim_record_payment(actor=city, claim=claim)
    return claim


@pytest.mark.django_db
def test_a_paid_claim_reduces_the_capacity():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, fund="1000000.00", leverage="2", trigger_days_past_due=60)
    assert Pool.objects.get(pk=pool.pk).capacity == D("2000000.00")
    _paid_claim(city, officer, pool)  # the fund pays 40% of 300,000
    pool = Pool.objects.get(pk=pool.pk)
    assert pool.fund_balance == selectors.pool_position(pool=pool).balance == D("880000.00")
    assert pool.capacity == D("1760000.00")
    assert pool.fund_size == D("1000000.00")  # what the sponsors put in at set-up stays on record


@pytest.mark.django_db
def test_filing_is_refused_beyond_the_reduced_capacity_until_a_top_up():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, fund="1000000.00", leverage="2", trigger_days_past_due=60)
    _paid_claim(city, officer, pool)  # capacity 1,760,000, nothing filed any more
    services.pool_file(actor=officer, pool=pool, application=registered_application(officer, amount="1700000"))
    with pytest.raises(PoolCapacityExceeded):
        services.pool_file(actor=officer, pool=pool, application=registered_application(officer, amount="100000"))
    services.pool_top_up(actor=city, pool=pool, sponsor=city.organisation, amount=D("120000"))
    pool = Pool.objects.get(pk=pool.pk)
    assert (pool.fund_balance, pool.capacity) == (D("1000000.00"), D("2000000.00"))
    assert pool.fund_balance == selectors.pool_position(pool=pool).balance
    services.pool_file(actor=officer, pool=pool, application=registered_application(officer, amount="100000"))
    assert pool.sponsors.get(organisation=city.organisation).contribution == D("1120000.00")


@pytest.mark.django_db
def test_only_the_operator_tops_up_and_only_by_a_positive_amount():
    city = city_user()
    pool = pool_for(city)
    with pytest.raises(PermissionDenied):
        services.pool_top_up(actor=bank_officer(), pool=pool, sponsor=city.organisation, amount=D("1"))
    with pytest.raises(PermissionDenied):
        services.pool_top_up(actor=city_user(), pool=pool, sponsor=city.organisation, amount=D("1"))
    with pytest.raises(ValidationFailed):
        services.pool_top_up(actor=city, pool=pool, sponsor=city.organisation, amount=D("0"))
