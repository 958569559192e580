"""POST /api/v1/pools/{id}/what-if/ and /top-up/ (issue 20, item 5): the city office's figures, everyone
else refused, bad input as problem details."""

from decimal import Decimal as D

import pytest

from tests.api.helpers import client_for
from tests.risksharing.helpers import bank_officer, city_user, pool_for, registered_application, score_with
from tongzhirong.risksharing import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed_pool():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, fund="100000.00", leverage="10")
    for amount, pd in (("300000.00", "0.03"), ("200000.00", "0.08")):
        application = registered_application(officer, amount=amount)
        services.pool_file(actor=officer, pool=pool, application=application)
        score_with(application, pd)
    return city, officer, pool


def test_the_city_office_reads_the_what_if(filed_pool):
    city, _, pool = filed_pool
    response = client_for(city).post(
        f"/api/v1/pools/{pool.pk}/what-if/", {"correlation": "0.2", "scenarios": 5000}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["loans"], body["exposure"], body["capacity"]) == (2, "500000.00", "1000000.00")
    assert (body["correlation"], body["scenarios"]) == ("0.200", 5000)
    # 40% of 80% of each loan (20% recovered by default), times its PD.
    assert D(body["expected_loss"]) == D("0.32") * (D("300000") * D("0.03") + D("200000") * D("0.08"))
    assert {"quantile_95", "quantile_99", "probability_exhausted", "top_up_for_target"} <= set(body)


def test_a_bank_may_not_run_the_what_if(filed_pool):
    _, officer, pool = filed_pool
    response = client_for(officer).post(f"/api/v1/pools/{pool.pk}/what-if/", {}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_out_of_range_inputs_are_a_validation_problem(filed_pool):
    city, _, pool = filed_pool
    response = client_for(city).post(
        f"/api/v1/pools/{pool.pk}/what-if/", {"correlation": "0.9", "scenarios": 10}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert {"correlation", "scenarios"} <= set(response.json()["errors"])


def test_a_top_up_raises_the_capacity(filed_pool):
    city, _, pool = filed_pool
    response = client_for(city).post(
        f"/api/v1/pools/{pool.pk}/top-up/", {"sponsor": city.organisation_id, "amount": "50000.00"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["capacity"] == "1500000.00"
    assert response.json()["position"]["balance"] == "150000.00"
