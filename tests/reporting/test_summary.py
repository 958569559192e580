"""The dashboard summary's figures against a recomputation from the raw rows, one plain query per figure, on a
generated load and on the hand-computed world; and the summary's fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from tongzhirong.demo.load import generate_load
from tongzhirong.financing.models import Loan
from tongzhirong.reporting.models import ReportedLoan, Target
from tongzhirong.reporting.selectors import ReportFilters, Scope, dashboard_summary, day_start

from .conftest import yuan

CITY = Scope(bank_id=None)
AS_OF = dt.date(2026, 11, 20)


def recomputed(target: Target, as_of: dt.date, *, bank: int | None = None) -> dict:
    """The target's figures straight from the rows: a window filter and plain aggregates, a reported firm
    counted in the total unless a platform loan of the firm with its USCC falls in the same window."""
    lo, hi = day_start(target.period_start), day_start(min(target.period_end, as_of) + dt.timedelta(days=1))
    loans = Loan.objects.filter(disbursed_at__gte=lo, disbursed_at__lt=hi)
    reported = ReportedLoan.objects.filter(disbursed_at__gte=lo, disbursed_at__lt=hi)
    if bank is not None:
        loans, reported = loans.filter(bank_id=bank), reported.filter(bank_id=bank)
    p = loans.aggregate(amount=Sum("principal"), count=Count("pk"), firms=Count("borrower", distinct=True))
    r = reported.aggregate(amount=Sum("principal"), count=Count("pk"), firms=Count("borrower_uscc", distinct=True))
    platform_usccs = set(loans.values_list("borrower__uscc", flat=True))
    new = {uscc for uscc in reported.values_list("borrower_uscc", flat=True) if uscc not in platform_usccs}
    zero = Decimal("0.00")
    return {
        "platform": {"amount": p["amount"] or zero, "count": p["count"], "firms": p["firms"]},
        "reported": {"amount": r["amount"] or zero, "count": r["count"], "firms": r["firms"]},
        "total": {
            "amount": (p["amount"] or zero) + (r["amount"] or zero),
            "count": p["count"] + r["count"],
            "firms": p["firms"] + len(new),
        },
    }


@pytest.fixture
def load(db):
    return generate_load(loans=600, assets=150, enterprises=120, reported=80, seed=3, as_of=AS_OF)


def test_every_target_equals_a_recomputation_from_the_rows(load):
    summary = dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=AS_OF)
    assert len(summary["targets"]) == 2
    for target in Target.objects.filter(is_active=True):
        figures = next(t for t in summary["targets"] if t["code"] == target.code)
        assert {part: figures[part] for part in ("platform", "reported", "total")} == recomputed(target, AS_OF)


def test_a_bank_book_equals_a_recomputation_from_its_rows(load):
    """A bank's book is sliced in one pass (nested CASEs), the city's by range aggregates: both must agree."""
    bank = Loan.objects.values_list("bank_id", flat=True).order_by("bank_id").first()
    summary = dashboard_summary(scope=Scope(bank_id=bank), filters=ReportFilters(), as_of=AS_OF)
    for target in Target.objects.filter(is_active=True):
        figures = next(t for t in summary["targets"] if t["code"] == target.code)
        assert {part: figures[part] for part in ("platform", "reported", "total")} == recomputed(
            target, AS_OF, bank=bank
        )


def test_a_target_that_starts_mid_month_and_ends_before_as_of(load):
    Target.objects.create(
        code="mid-2025",
        name="Mid 2025",
        reading="annual",
        amount=Decimal("1000000000.00"),
        period_start=dt.date(2025, 3, 17),
        period_end=dt.date(2025, 9, 9),
    )
    summary = dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=AS_OF)
    target = Target.objects.get(code="mid-2025")
    figures = next(t for t in summary["targets"] if t["code"] == "mid-2025")
    assert figures["platform"]["count"] > 0
    assert {part: figures[part] for part in ("platform", "reported", "total")} == recomputed(target, AS_OF)


def test_a_reported_firm_that_joined_the_platform_later_is_counted_once(world):
    """The report named no platform borrower (the firm was not registered yet): it is matched by its USCC."""
    before = dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=dt.date(2027, 1, 15))
    world.reported(world.bank_b, world.e2.uscc, 70, dt.date(2026, 3, 3), world.officer_a)  # no borrower set
    after = dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=dt.date(2027, 1, 15))
    for old, new in zip(before["targets"], after["targets"], strict=True):
        assert new["reported"]["firms"] == old["reported"]["firms"] + 1
        assert new["total"]["firms"] == old["total"]["firms"]  # E2 has L3 (2026-06-15) in both windows
        assert new["total"]["amount"] == old["total"]["amount"] + yuan(70)


def test_the_summary_takes_five_queries_whatever_the_targets(world, django_assert_num_queries):
    # Targets, the rollups' first and last day; then, as this world has a loan after the annual target's end
    # (its firms cannot come from the rollups' spans), from the loans: amounts per slice (platform, reported),
    # platform firms, reported firms.
    with django_assert_num_queries(6):
        dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=dt.date(2027, 1, 15))
    for year in (2024, 2025):
        Target.objects.create(
            code=f"annual-{year}",
            name=str(year),
            reading="annual",
            amount=Decimal("1000000000.00"),
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
        )
    with django_assert_num_queries(6):
        summary = dashboard_summary(scope=CITY, filters=ReportFilters(), as_of=dt.date(2027, 1, 15))
    assert len(summary["targets"]) == 4


@pytest.mark.parametrize(
    "query",
    [
        "summary/?as_of=9999-12-31",
        "monthly/?end=9999-12-31",
        "breakdowns/?start=0001-01-01",
        "indicators/?as_of=0001-01-01",
    ],
)
def test_a_day_out_of_range_is_a_400_problem_not_an_error(world, query):
    from tests.api.helpers import client_for

    response = client_for(world.city).get(f"/api/v1/reporting/{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_indicators_pledge_financing_is_the_dashboards_cumulative_figure(world):
    from tongzhirong.core.money import YI
    from tongzhirong.reporting.selectors import indicators

    scope, as_of = CITY, dt.date(2026, 6, 30)
    targets = dashboard_summary(scope=scope, filters=ReportFilters(), as_of=as_of)["targets"]
    reached = next(t["reached"] for t in targets if t["reading"] == "cumulative")
    derived = {row["code"]: row["platform"] for row in indicators(scope=scope, as_of=as_of)}
    assert reached > 0
    assert derived["pledge_financing"] == (reached / YI).quantize(Decimal("0.0001"))
