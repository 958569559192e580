"""The city's figures are read from the replica when there is one, and nothing else is: sign-in, writes and every
other page stay on the primary. The test settings stand a mirror of the primary in for the replica."""

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import CityAnalystFactory, LoanFactory
from tongzhirong.core.db_routing import ReportingReplicaRouter, reporting_reads
from tongzhirong.financing.models import Loan
from tongzhirong.settings.databases import database, databases

PG = "postgres://app:secret@db.internal:5432/tongzhirong"


def test_a_pool_is_configured_on_postgresql_only_and_turns_persistent_connections_off():
    pooled = database(PG, conn_max_age=60, pool_max_size=8, pool_min_size=2, pool_timeout=5)
    assert pooled["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 5}
    assert pooled["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert "pool" not in database(PG, conn_max_age=60).get("OPTIONS", {})
    assert database(PG, conn_max_age=60)["CONN_MAX_AGE"] == 60
    assert "pool" not in database("sqlite:////tmp/x.sqlite3", pool_max_size=8).get("OPTIONS", {})
    with pytest.raises(ValueError, match="DATABASE_POOL_MIN_SIZE"):
        database(PG, pool_max_size=2, pool_min_size=3)


def test_postgresql_connections_run_without_jit():
    assert database(PG)["OPTIONS"]["options"] == "-c jit=off"
    assert "options" not in database("sqlite:////tmp/x.sqlite3").get("OPTIONS", {})


def test_a_replica_url_adds_the_replica_with_the_same_options():
    assert set(databases(PG)) == {"default"}
    both = databases(PG, PG.replace("db.internal", "standby.internal"), pool_max_size=4)
    assert set(both) == {"default", "replica"}
    assert both["replica"]["HOST"] == "standby.internal"
    assert both["replica"]["OPTIONS"]["pool"]["max_size"] == 4


@override_settings(REPORTING_DATABASE="replica")
def test_only_reads_inside_reporting_reads_go_to_the_reporting_database():
    router = ReportingReplicaRouter()
    assert Loan.objects.all().db == "default"
    with reporting_reads():
        assert Loan.objects.all().db == "replica"
        assert router.db_for_write(Loan) == "default"
    assert Loan.objects.all().db == "default"
    assert router.allow_migrate("default", "financing")
    assert not router.allow_migrate("replica", "financing")


def test_without_a_replica_the_reporting_reads_stay_on_the_primary():
    with reporting_reads():
        assert Loan.objects.all().db == "default"


def _split(capture) -> tuple[str, str]:
    """Every query each connection ran, as one text."""
    return tuple(" ".join(q["sql"] for q in c.captured_queries) for c in capture)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@override_settings(REPORTING_DATABASE="replica")
@pytest.mark.parametrize("page", ["api", "web"])
def test_the_dashboard_reads_its_figures_from_the_replica_and_the_user_from_the_primary(page):
    analyst = CityAnalystFactory()
    LoanFactory()
    if page == "api":
        client = APIClient()
        client.force_authenticate(analyst)
        url = "/api/v1/reporting/summary/"
    else:
        client = Client()
        client.force_login(analyst)
        url = "/city/"
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        assert client.get(url).status_code == 200
    on_primary, on_replica = _split((primary, replica))
    figures = ('"financing_', '"reporting_')  # the loans, the rollups and the targets the figures come from
    assert all(table in on_replica for table in figures)
    assert not any(table in on_primary for table in figures)
    if page == "web":  # the session and its user are read where they are written
        assert '"django_session"' in on_primary
        assert '"django_session"' not in on_replica
