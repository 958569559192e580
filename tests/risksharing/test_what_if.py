"""The pool what-if on the loans filed with a pool (issue 20, item 5)."""

from decimal import Decimal as D

import pytest

from scoring.models import ApplicationScore
from tongzhirong.core.errors import PermissionDenied, ValidationFailed
from tongzhirong.risksharing import services

from .helpers import bank_officer, city_user, pool_for, registered_application, score_with


def _filed_pool(city, officer, amounts=("300000.00", "500000.00", "200000.00"), pds=("0.02", "0.05", "0.10")):
    pool = pool_for(city, fund="100000.00", leverage="10")  # fund 40%, bank 60%
    applications = [registered_application(officer, amount=a) for a in amounts]
    for application, pd in zip(applications, pds, strict=True):
        services.pool_file(actor=officer, pool=pool, application=application)
        score_with(application, pd)
    return pool, applications


@pytest.mark.django_db
def test_the_what_if_reads_the_filings_their_scores_and_the_pools_shares():
    city, officer = city_user(), bank_officer()
    pool, applications = _filed_pool(city, officer)
    pds = {a.pk: float(ApplicationScore.objects.get(application=a).pd) for a in applications}
    result = services.pool_what_if(actor=city, pool=pool, recovery_rate=D("0.25"), scenarios=5_000)
    assert (result.loans, result.unscored_loans) == (3, 0)
    assert result.exposure == D("1000000.00")
    assert (result.capacity, result.capacity_left) == (D("1000000.00"), D("0.00"))
    # The fund pays 40% of the loss after a 25% recovery on each default.
    expected = sum(pds[a.pk] * float(a.approved_amount) * 0.75 * 0.40 for a in applications)
    assert float(result.expected_loss) == pytest.approx(expected, abs=0.02)
    assert result.quantile_95 <= result.quantile_99
    assert D(0) <= result.probability_exhausted <= D(1)


@pytest.mark.django_db
def test_the_top_up_it_names_keeps_exhaustion_at_the_target():
    city, officer = city_user(), bank_officer()
    # A likely default costing the fund 320,000 (40% of 80% of 1,000,000) against 100,000 of cash.
    pool, _ = _filed_pool(city, officer, amounts=("1000000.00",), pds=("0.40",))
    before = services.pool_what_if(actor=city, pool=pool, target=D("0.05"), scenarios=5_000)
    assert before.probability_exhausted > D("0.05")
    assert before.top_up_for_target == D("220000.00")
    services.pool_top_up(actor=city, pool=pool, sponsor=city.organisation, amount=before.top_up_for_target + 1)
    after = services.pool_what_if(actor=city, pool=pool, target=D("0.05"), scenarios=5_000)
    assert after.probability_exhausted <= D("0.05")
    assert after.fund_balance == D("100000.00") + before.top_up_for_target + 1


@pytest.mark.django_db
def test_an_unscored_loan_takes_the_mean_pd_of_the_scored_ones():
    city, officer = city_user(), bank_officer()
    pool, _ = _filed_pool(city, officer, amounts=("100000.00", "100000.00"), pds=("0.02", "0.06"))
    unscored = registered_application(officer, amount="100000.00")
    services.pool_file(actor=officer, pool=pool, application=unscored)
    result = services.pool_what_if(actor=city, pool=pool, recovery_rate=D("0"), scenarios=2_000)
    assert (result.loans, result.unscored_loans) == (3, 1)
    assert result.expected_loss == D("4800.00")  # 40% of 100,000 × (0.02 + 0.06 + 0.04)


@pytest.mark.django_db
def test_the_what_if_is_the_city_offices_and_its_inputs_are_bounded():
    city, officer = city_user(), bank_officer()
    pool, _ = _filed_pool(city, officer)
    with pytest.raises(PermissionDenied):
        services.pool_what_if(actor=officer, pool=pool)
    with pytest.raises(PermissionDenied):  # another city office: not its fund
        services.pool_what_if(actor=city_user(), pool=pool)
    with pytest.raises(ValidationFailed) as refused:
        services.pool_what_if(actor=city, pool=pool, correlation=D("0.9"), target=D("0"), scenarios=10)
    assert set(refused.value.errors) == {"correlation", "target", "scenarios"}
