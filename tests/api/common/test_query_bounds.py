"""Out-of-range values in a query string or a path are refused (400) or not found (404), never a crash, on
SQLite as on PostgreSQL: ids beyond what a database integer holds, day counts beyond any date."""

import pytest

from tests.api.helpers import client_for
from tests.factories import BankOfficerFactory, PlatformAdminFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # over 2**63


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications/?min_days_in_stage=9999999",
        f"/api/v1/applications/?product={HUGE}",
        f"/api/v1/applications/?min_amount={HUGE}",
        f"/api/v1/products/?bank={HUGE}",
        f"/api/v1/pool-filings/?pool={HUGE}",
        f"/api/v1/collateral-flags/?loan={HUGE}",
        f"/api/v1/subsidy-claims/?policy={HUGE}",
        f"/api/v1/facts/?enterprise={HUGE}",
        f"/api/v1/fact-disputes/?enterprise={HUGE}",
        f"/api/v1/reporting/summary/?bank={HUGE}",
        "/api/v1/reporting/summary/?as_of=9999-12-31",
        "/api/v1/applications/stage-times/?days=9999999",
        f"/api/v1/applications/?product=-{HUGE}",
        "/api/v1/reporting/district-report/?month=0000-01",
    ],
)
def test_a_value_past_any_bound_is_a_400(url):
    response = client_for(PlatformAdminFactory()).get(url)

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/products/{HUGE}/",
        f"/api/v1/applications/{HUGE}/timeline/",
        f"/api/v1/loans/{HUGE}/payoff-quote/",
        f"/api/v1/applications/?page={HUGE}",
        "/api/v1/applications/?page=0",
        "/api/v1/applications/null,null/timeline/",
        "/api/v1/disposal-cases/%C2%AC/bids/",
    ],
)
def test_an_id_or_page_past_any_bound_is_a_404(url):
    response = client_for(BankOfficerFactory()).get(url)

    assert response.status_code == 404, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "url", ["/api/v1/ip-assets/import-template/?format=AAA", "/api/v1/reporting/export/?format=pdf&table=series"]
)
def test_a_format_the_endpoint_cannot_write_is_a_406(url):
    response = client_for(PlatformAdminFactory()).get(url)

    assert response.status_code == 406, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
