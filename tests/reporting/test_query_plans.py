"""The office's figures stay fast at a million loans because no request reads the loans city-wide: on
PostgreSQL, with planner statistics of a city-sized book (a million loans and applications, a hundred thousand
reported loans, ten million firm spans: ``pg_class`` set inside the test's transaction, so the planner plans as
it would there), every query behind ``/city/`` and each city-wide reporting endpoint is explained, and

- none tests membership with ``NOT IN`` (PostgreSQL runs ``NOT (SubPlan)`` as a scan of the subquery per row
  once it outgrows memory: at a million loans one such count ran for over eleven minutes), nor through any
  hashed or per-row subplan over a big table;
- the rollup-backed ones touch no raw loan table at all (loans, applications, pledged rights, reported loans),
  and none reads the firms' spans but through their ``all`` index; a bank's own summary, series and breakdowns
  (its day rows and bank-crossed groups) alike.

SQLite plans differently and is skipped."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import IPAssetFactory
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.reporting.rollups import rollups_rebuild
from tongzhirong.reporting.selectors import BREAKDOWNS

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")

# Rows the planner is told each big table holds (Nantong at a million loans, as bench/bench_city.py loads it).
CITY_SIZED = {
    "financing_loan": 1_000_000,
    "financing_application": 1_000_000,
    "financing_applicationasset": 1_000_000,
    "reporting_reportedloan": 100_000,
    "enterprises_enterprise": 200_000,
    "assets_ipasset": 200_000,
    "financing_loanfirmspan": 10_000_000,
}
RAW_TABLES = ("financing_loan", "financing_application", "financing_applicationasset", "reporting_reportedloan")
API = "/api/v1/reporting/"
LAST_MONTH = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")

ROLLED = [
    "/city/",
    f"{API}summary/",
    f"{API}monthly/",
    f"{API}monthly/?bucket=quarter",
    f"{API}monthly/?bucket=year",
    *(f"{API}breakdowns/?by={by}" for by in BREAKDOWNS),
    f"{API}coverage/",
    f"{API}speed/",
    f"{API}risk/",
    f"{API}export/?table=series",
    f"{API}export/?table=breakdown&by=chain",
    f"{API}district-report/?month={LAST_MONTH}",
]
# A bank's own dashboard: its summary, series and breakdowns read its own day rows (the ``bank`` group and the
# bank-crossed groups, ``financing.rollups.BANK_CROSSED``), its speed and risk the per-bank waits and book, not
# its slice of the loans. (A bank's coverage still counts its loans' firms from the loans.)
BANK_ROLLED = [
    f"{API}summary/",
    f"{API}monthly/",
    f"{API}monthly/?bucket=quarter",
    f"{API}monthly/?bucket=year",
    *(f"{API}breakdowns/?by={by}" for by in BREAKDOWNS),
    f"{API}export/?table=series",
    f"{API}export/?table=breakdown&by=chain",
    f"{API}speed/",
    f"{API}risk/",
]
# This reads other tables as well (the IP register); it is held to the subplan rule.
OTHERS = [f"{API}indicators/"]


def _city_sized() -> None:
    with connection.cursor() as cursor:
        for table, rows in CITY_SIZED.items():
            # The table's real pages (at least one row each in the test world) at a city's density.
            cursor.execute(
                "UPDATE pg_class SET reltuples = %s, relpages = GREATEST(pg_relation_size(oid) / 8192, 1) "
                "WHERE relname = %s AND relkind = 'r'",
                [rows, table],
            )
        cursor.execute("EXPLAIN SELECT * FROM financing_loan")
        assert "rows=1000000" in cursor.fetchone()[0]  # the planner sees the city's size


def _plans(client, url: str) -> list[tuple[str, str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not re.match(r"\s*(SELECT|WITH)\b", sql, re.IGNORECASE) or "django_session" in sql:
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


@pytest.fixture
def planned(world, client):
    # The world's loans of 31 December 2026 and 1 January 2027 lie after today (a real book has none): the
    # windows up to today would not reach the last loan.
    world.loans.pop("L4").delete()
    world.loans.pop("L2").delete()
    rollups_rebuild()
    ApplicationAsset.objects.create(
        application=world.loans["L1"].application, asset=IPAssetFactory(owner=world.e1, ip_type="invention_patent")
    )
    client.force_login(world.city)
    _city_sized()
    return client


@pytest.fixture
def planned_bank(planned, world):
    planned.force_login(world.officer_a)
    return planned


def _subplans(plan: str) -> list[str]:
    """Each subplan's own lines: those under its ``SubPlan n`` line, up to the next line as shallow."""
    lines, found = plan.splitlines(), []
    for i, line in enumerate(lines):
        if line.strip().startswith("SubPlan"):
            depth, body = len(line) - len(line.lstrip()), []
            for rest in lines[i + 1 :]:
                if len(rest) - len(rest.lstrip()) <= depth:
                    break
                body.append(rest)
            found.append("\n".join(body))
    return found


@pytest.mark.parametrize("url", [*ROLLED, *OTHERS])
def test_no_figure_tests_membership_through_a_subplan(planned, url):
    for sql, plan in _plans(planned, url):
        assert not re.search(r"NOT \(\S+ IN \(SELECT", sql), sql
        assert not re.search(r"NOT \((hashed )?SubPlan", plan), (url, sql, plan)
        for body in _subplans(plan):
            # A subplan over a big table, run per row or hashed: what NOT IN and correlated counts turn into.
            assert not [t for t in CITY_SIZED if re.search(rf" on {t}\b", body)], (url, sql, plan)


def _reads_no_loan(client, url: str) -> None:
    plans = _plans(client, url)
    assert plans
    for sql, plan in plans:
        touched = [t for t in RAW_TABLES if re.search(rf" on {t}\b", plan)]
        assert touched == [], (url, sql, plan)
        assert not re.search(r"Seq Scan on financing_loanfirmspan", plan), (url, sql, plan)


@pytest.mark.parametrize("url", ROLLED)
def test_the_city_wide_figures_read_no_loan(planned, url):
    _reads_no_loan(planned, url)


@pytest.mark.parametrize("url", BANK_ROLLED)
def test_a_banks_own_figures_read_no_loan(planned_bank, url):
    _reads_no_loan(planned_bank, url)


# The plan's indicators and coverage read the registers' counts (``reporting.registers``), kept by triggers: not the
# IP register nor the firms, which grow with the city (and the national register is tens of millions of rights).
REGISTERS = ("assets_ipasset", "enterprises_enterprise")


@pytest.mark.parametrize("url", [f"{API}indicators/", f"{API}coverage/"])
def test_indicators_and_coverage_read_no_right_and_no_firm(planned, url):
    plans = _plans(planned, url)
    assert plans
    for sql, plan in plans:
        touched = [t for t in (*RAW_TABLES, *REGISTERS) if re.search(rf" on {t}\b", plan)]
        assert touched == [], (url, sql, plan)
