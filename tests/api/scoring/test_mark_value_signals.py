"""Issue 20, item 4: a mark's or a copyright's value reads its own signals — use evidence (sales under the
right), well-known recognition, disputes — entered through the API as a firm registers the right."""

import pytest
from rest_framework.test import APIClient

from tests.factories import EnterpriseFactory, UserFactory
from tongzhirong.accounts.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    enterprise = EnterpriseFactory()
    return UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _valued(owner, capture, **fields):
    body = {
        "ip_type": "trademark",
        "title": "通知（第25类）",
        "legal_status": "valid",
        "filing_date": "2014-03-01",
        "grant_date": "2015-01-07",
        "nice_classes": [25, 35],
        **fields,
    }
    with capture(execute=True):  # the valuation is queued on commit
        created = _client(owner).post("/api/v1/ip-assets/", body, format="json")
    assert created.status_code == 201, created.json()
    valuation = _client(owner).get(f"/api/v1/ip-assets/{created.json()['id']}/valuation/")
    assert valuation.status_code == 200
    return created.json(), valuation.json()


def test_a_mark_in_use_is_worth_more_than_the_same_mark_unused(owner, django_capture_on_commit_callbacks):
    _, unused = _valued(owner, django_capture_on_commit_callbacks, identifier="13800001")
    asset, in_use = _valued(owner, django_capture_on_commit_callbacks, identifier="13800002", use_revenue="8000000.00")
    assert asset["use_revenue"] == "8000000.00"
    assert float(in_use["p50"]) > 1.5 * float(unused["p50"])


def test_a_well_known_mark_is_worth_more_and_a_disputed_one_less(owner, django_capture_on_commit_callbacks):
    sales = {"use_revenue": "5000000.00"}
    _, plain = _valued(owner, django_capture_on_commit_callbacks, identifier="13800003", **sales)
    asset, famous = _valued(owner, django_capture_on_commit_callbacks, identifier="13800004", well_known=True, **sales)
    _, disputed = _valued(
        owner, django_capture_on_commit_callbacks, identifier="13800005", invalidation_pending=True, **sales
    )
    assert asset["well_known"] is True
    assert float(famous["p50"]) > float(plain["p50"]) > float(disputed["p50"])


def test_negative_sales_are_refused_in_the_error_shape(owner):
    body = {
        "ip_type": "trademark",
        "identifier": "13800006",
        "title": "通知",
        "filing_date": "2014-03-01",
        "use_revenue": "-1",
    }
    response = _client(owner).post("/api/v1/ip-assets/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "use_revenue" in str(response.json())
