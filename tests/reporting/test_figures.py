"""The dashboard's figures against the hand-computed world of conftest.py (amounts in 万元 there).

Cumulative 2024-01-01 → 2026-12-31: platform L1 300 + L2 500 + L3 1200 = 2000 (3 loans, firms E1 E2);
reported R1 400 + R2 50 = 450 (2 loans, firms E1 and an outsider); total 2450, 5 loans, 3 firms (E1 once).
Annual 2026: platform L2 + L3 = 1700 (2, E1 E2); reported R1 400 (1, E1); total 2100, 3 loans, 2 firms."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_uscc
from tongzhirong.reporting.models import Indicator, OfficialFigure, Target
from tongzhirong.reporting.selectors import (
    ReportFilters,
    Scope,
    breakdown,
    coverage,
    dashboard_summary,
    reporting_scope,
    risk_figures,
    speed_league,
    volume_series,
)

from .conftest import yuan

CITY = Scope(bank_id=None)
AFTER = dt.date(2027, 1, 15)


def by_code(summary):
    return {t["code"]: t for t in summary["targets"]}


def test_both_targets_are_configured_by_the_migration(db):
    targets = {t.code: t for t in Target.objects.all()}
    assert targets["pledge-2026-annual"].period_start == dt.date(2026, 1, 1)
    assert targets["pledge-2024-2026-cumulative"].period_start == dt.date(2024, 1, 1)
    assert {t.amount for t in targets.values()} == {Decimal("20000000000.00")}


def test_cumulative_reading_matches_the_hand_computed_figures(world):
    target = by_code(dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=AFTER))["pledge-2024-2026-cumulative"]
    assert target["platform"] == {"amount": yuan(2000), "count": 3, "firms": 2}
    assert target["reported"] == {"amount": yuan(450), "count": 2, "firms": 2}
    assert target["total"] == {"amount": yuan(2450), "count": 5, "firms": 3}
    assert target["percent_of_target"] == Decimal("0.1225")


def test_annual_reading_counts_the_loan_of_2026_12_31_at_23_30_shanghai(world):
    target = by_code(dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=AFTER))["pledge-2026-annual"]
    assert target["platform"] == {"amount": yuan(1700), "count": 2, "firms": 2}
    assert target["total"] == {"amount": yuan(2100), "count": 3, "firms": 2}
    assert target["percent_of_target"] == Decimal("0.1050")


def test_the_monthly_series_puts_the_23_30_loan_in_december_and_the_00_30_loan_in_january(world):
    series = volume_series(
        scope=CITY, filters=ReportFilters(start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 31)), bucket="month"
    )
    assert [(row["period"], row["platform"]["amount"]) for row in series] == [
        (dt.date(2026, 12, 1), yuan(500)),
        (dt.date(2027, 1, 1), yuan(200)),
    ]


def test_yearly_series_with_running_totals(world):
    series = volume_series(scope=CITY, filters=ReportFilters(end=dt.date(2026, 12, 31)), bucket="year")
    assert [(r["period"].year, r["total"]["amount"], r["total"]["firms"]) for r in series] == [
        (2024, yuan(300), 1),
        (2025, yuan(50), 1),
        (2026, yuan(2100), 2),
    ]
    assert series[-1]["cumulative"]["total"] == {"amount": yuan(2450), "count": 5}
    assert series[-1]["targets"] == {
        "pledge-2026-annual": Decimal("0.1050"),
        "pledge-2024-2026-cumulative": Decimal("0.1225"),
    }


def test_a_bank_sees_its_own_book_only(world):
    scope = reporting_scope(user=world.officer_a)
    target = by_code(dashboard_summary(scope=scope, filters=ReportFilters(), as_of=AFTER))[
        "pledge-2024-2026-cumulative"
    ]
    assert target["platform"] == {"amount": yuan(800), "count": 2, "firms": 1}
    assert target["reported"] == {"amount": yuan(50), "count": 1, "firms": 1}


def test_an_sme_sees_no_figures(world):
    from tongzhirong.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        reporting_scope(user=world.sme)


def test_district_filter_and_breakdown(world):
    rows = {
        r["key"]: r
        for r in breakdown(
            scope=CITY, filters=ReportFilters(start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31)), by="district"
        )
    }
    assert rows["320613"]["total"] == {"amount": yuan(1200), "count": 3, "firms": 1}  # L1, L2, R1: E1 once
    assert rows["320612"]["total"] == {"amount": yuan(1200), "count": 1, "firms": 1}
    assert rows["320682"]["reported"] == {"amount": yuan(50), "count": 1, "firms": 1}
    filtered = dashboard_summary(scope=CITY, filters=ReportFilters(district="320613"), as_of=AFTER)
    assert by_code(filtered)["pledge-2024-2026-cumulative"]["total"]["amount"] == yuan(1200)


def test_size_bands_mark_inclusive_loans(world):
    rows = {
        r["key"]: r
        for r in breakdown(
            scope=CITY, filters=ReportFilters(start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31)), by="size_band"
        )
    }
    assert rows["10m_to_20m"]["total"]["amount"] == yuan(1200)
    assert rows["10m_to_20m"]["inclusive"] is False
    assert rows["1m_to_5m"]["total"]["count"] == 2  # 300 (platform) and 400 (reported)
    assert rows["5m_to_10m"]["total"]["amount"] == yuan(500)  # bands are [floor, ceiling): 500万 is not under 500万
    assert rows["1m_to_5m"]["inclusive"] is True


@pytest.mark.parametrize("by", ["cluster", "chain", "bank", "product_type", "ip_type", "first_time", "tech_marker"])
def test_every_breakdown_adds_up_or_overlaps_as_documented(world, by):
    period = ReportFilters(start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31))
    rows = breakdown(scope=CITY, filters=period, by=by)
    total = sum(r["total"]["amount"] for r in rows)
    if by == "tech_marker":
        assert {r["key"] for r in rows} >= {"tech_sme", "none"}
    else:
        assert total == yuan(2450)


def test_first_time_uses_history_and_earlier_loans(world):
    rows = {r["key"]: r for r in breakdown(scope=CITY, filters=ReportFilters(), by="first_time")}
    # L1 is E1's first; L2 follows it; E2 had a loan before the platform; E3's L4 is its first; R2 said so.
    assert rows["first"]["platform"]["count"] == 2
    assert rows["repeat"]["platform"]["count"] == 3
    assert rows["first"]["reported"]["count"] == 1
    assert rows["unknown"]["reported"]["count"] == 1


def test_coverage_counts_tech_smes_with_a_loan(world):
    found = coverage(scope=CITY, filters=ReportFilters(start=dt.date(2024, 1, 1)), as_of=dt.date(2026, 12, 31))
    # Tech SMEs E1 and E3 (and the factory's defaults are not tech SMEs); E3's only loan is in 2027.
    assert found["platform_register"]["tech_smes"] == 2
    assert found["platform_register"]["with_loan"] == 1
    assert found["platform_register"]["coverage"] == Decimal("0.5000")
    assert found["baseline"] == Decimal("0.025")


def test_coverage_against_the_official_register_adds_off_platform_tech_borrowers_once(world):
    OfficialFigure.objects.create(
        indicator=Indicator.objects.get(code="registered_tech_smes"), as_of=dt.date(2026, 1, 1), value=40
    )
    outsider = make_uscc(999_002, division="320682")
    for day in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):  # two loans, one firm
        world.reported(world.bank_a, outsider, 80, day, world.officer_a, district="320682", is_tech_sme=True)

    found = coverage(scope=CITY, filters=ReportFilters(start=dt.date(2024, 1, 1)), as_of=dt.date(2026, 12, 31))

    # E1 (on the platform, also reported as a tech SME: counted once) and the outsider; R2's firm is no tech SME.
    assert found["official_register"]["with_loan"] == 2
    assert found["official_register"]["tech_smes"] == 40


def test_the_office_figures_never_test_membership_with_not_in(world, client):
    """PostgreSQL runs NOT IN (subquery) as a scan per row once the subquery outgrows memory: at a million
    loans one such count ran for over eleven minutes. Every query behind the office's page is checked."""
    client.force_login(world.city)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/city/").status_code == 200
    not_in = [q["sql"] for q in captured.captured_queries if re.search(r"NOT \(\S+ IN \(SELECT", q["sql"])]
    assert not_in == []


def test_speed_league_has_median_days_per_bank(world):
    league = speed_league(scope=CITY, filters=ReportFilters())
    assert [(row["bank_name"], row["median_days"]) for row in league] == [
        ("Bank A", Decimal("10.0")),  # 9, 10 and 31.0 days
        ("Bank B", Decimal("30.5")),
    ]
    assert [row["rank"] for row in league] == [1, 2]


def test_risk_ratios_and_the_pools(world):
    loan = world.loans["L3"]
    loan.status, loan.days_past_due = "overdue", 95
    loan.save()
    risk = risk_figures(scope=CITY, filters=ReportFilters())
    assert risk["outstanding"] == yuan(2300)
    assert risk["overdue_amount"] == yuan(1200)
    assert risk["npl_ratio"] == (yuan(1200) / yuan(2300)).quantize(Decimal("0.0001"))
    assert risk["pool"] == {
        "pools": 0,
        "balance": yuan(0),
        "exposure": yuan(0),
        "claims_paid": yuan(0),
        "recoveries": yuan(0),
    }


def test_the_pools_figures_add_up_the_ledgers(world):
    from tests.risksharing.helpers import city_user, pool_for

    city = city_user()
    pool_for(city, fund="100000.00", name="A")
    pool_for(city, fund="250000.00", name="B")
    pool = risk_figures(scope=CITY, filters=ReportFilters())["pool"]
    assert pool["pools"] == 2
    assert pool["balance"] == Decimal("350000.00")  # the contributions, nothing paid out yet


def test_forecast_states_its_method_and_interval(world):
    summary = dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=dt.date(2026, 11, 20))
    forecast = by_code(summary)["pledge-2026-annual"]["forecast"]
    assert "Bootstrap" in forecast["method"]
    assert forecast["low"] <= forecast["point"] <= forecast["high"]
    assert forecast["point"] >= by_code(summary)["pledge-2026-annual"]["reached"]
