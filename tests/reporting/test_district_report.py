"""The district's monthly report: June 2026 on the world of conftest.py, with more loans in three districts.

June 2026 (Asia/Shanghai), amounts in 万元:

========== ====== ========================================== =============================================
district   bank   platform                                   reported
========== ====== ========================================== =============================================
崇川 320613 A      E1 300 (06-02), E4 50 (06-10)               outsider 60 (06-06)
崇川 320613 B      E1 80 (06-30 23:30, still June)             E1 400 (06-05: a firm already on the platform)
通州 320612 A      —                                           outsider 20 (06-07)
通州 320612 B      E2 1200 (L3, 06-15)                         —
开发区      A      E3 1500 (06-20)                             —
========== ====== ========================================== =============================================

E1's loan of 07-01 00:10 Shanghai time (still June in UTC) is July's."""

import datetime as dt

import pytest

from tests.factories import EnterpriseFactory, make_uscc
from tongzhirong.core.reference import District
from tongzhirong.financing.models import Loan
from tongzhirong.reporting.exports import district_report_xlsx
from tongzhirong.reporting.models import ReportedLoan
from tongzhirong.reporting.selectors import (
    PLAN_START,
    ReportFilters,
    Scope,
    breakdown,
    day_start,
    district_month_report,
)
from tongzhirong.reporting.selectors.district import loan_report_groups, rolled_report_groups
from tongzhirong.reporting.selectors.summary import bucket_end

from .conftest import at, yuan

CITY = Scope(bank_id=None)
JUNE = dt.date(2026, 6, 1)
JUNE_END = dt.date(2026, 6, 30)
SECTIONS = {"by_bank": "bank", "by_chain": "chain", "by_size_band": "size_band"}


@pytest.fixture
def june(world):
    w = world
    w.e4 = EnterpriseFactory(district="320613", chain="fabrics")
    w.loan(w.product_a, w.e1, 300, at(2026, 6, 2, 10, 0), submitted=at(2026, 5, 20, 10, 0))
    w.loan(w.product_a, w.e4, 50, at(2026, 6, 10, 10, 0), submitted=at(2026, 5, 20, 10, 0))
    w.loan(w.product_b, w.e1, 80, at(2026, 6, 30, 23, 30), submitted=at(2026, 5, 20, 10, 0))
    w.loan(w.product_a, w.e3, 1500, at(2026, 6, 20, 10, 0), submitted=at(2026, 5, 20, 10, 0))
    w.loan(w.product_a, w.e1, 70, at(2026, 7, 1, 0, 10), submitted=at(2026, 6, 20, 10, 0))
    w.reported(w.bank_b, w.e1.uscc, 400, dt.date(2026, 6, 5), w.officer_a, borrower=w.e1, district="320613")
    w.reported(w.bank_a, make_uscc(999_002, division="320613"), 60, dt.date(2026, 6, 6), w.officer_a, district="320613")
    w.reported(w.bank_a, make_uscc(999_003, division="320612"), 20, dt.date(2026, 6, 7), w.officer_a, district="320612")
    return w


def recomputed_by_bank(district: str) -> dict[str, dict]:
    """The month's figures of one district by bank, counted from the loan rows themselves."""
    moments = {"disbursed_at__gte": day_start(JUNE), "disbursed_at__lt": day_start(JUNE_END + dt.timedelta(days=1))}
    platform = [
        (loan.bank_id, loan.principal, loan.borrower.uscc)
        for loan in Loan.objects.filter(borrower__district=district, **moments).select_related("borrower")
    ]
    reported = [
        (loan.bank_id, loan.principal, loan.borrower_uscc)
        for loan in ReportedLoan.objects.filter(district=district, **moments)
    ]

    def part(rows):
        return {"amount": sum((r[1] for r in rows), yuan(0)), "count": len(rows), "firms": len({r[2] for r in rows})}

    result = {}
    for bank in {r[0] for r in platform + reported}:
        mine = [r for r in platform if r[0] == bank], [r for r in reported if r[0] == bank]
        result[str(bank)] = {"platform": part(mine[0]), "reported": part(mine[1]), "total": part(mine[0] + mine[1])}
    return result


def test_two_districts_by_bank_match_a_recount_of_their_loans(june):
    districts = district_month_report(scope=CITY, month=JUNE)["districts"]
    for code in ("320613", "320612"):
        found = {
            r["key"]: {part: r[part] for part in ("platform", "reported", "total")} for r in districts[code]["by_bank"]
        }
        assert found == recomputed_by_bank(code)
    chongchuan_b = next(r for r in districts["320613"]["by_bank"] if r["key"] == str(june.bank_b.pk))
    assert chongchuan_b["total"] == {"amount": yuan(480), "count": 2, "firms": 1}  # E1 on both sides, once


@pytest.mark.parametrize("month", [JUNE, dt.date(2023, 12, 1), dt.date(2026, 12, 1)])
def test_the_city_wide_report_from_the_rollups_equals_the_loans_counted(june, month):
    """Also around the plan's start (L5, 23:59 on its eve, is in December 2023 but in no plan-to-date figure) and
    the year's last evening (L2, 23:30 Shanghai time on 31 December 2026)."""
    month_end = bucket_end(month, "month")
    rolled = rolled_report_groups(ReportFilters(), month, month_end)
    assert rolled == loan_report_groups(CITY, ReportFilters(), month, month_end)
    assert rolled[0]["month"]  # each of these months has loans
    if month < PLAN_START:
        assert rolled[0]["plan_to_date"] == {}


@pytest.mark.parametrize("scope", ["city", "bank"])
def test_every_district_section_is_the_breakdown_of_that_district(june, scope):
    scope = CITY if scope == "city" else Scope(bank_id=june.bank_a.pk)
    report = district_month_report(scope=scope, month=JUNE)
    assert list(report["districts"]) == list(District.values)
    for code, detail in report["districts"].items():
        month = ReportFilters(start=JUNE, end=JUNE_END, district=code)
        assert detail["label"] == str(District(code).label)
        for section, by in SECTIONS.items():
            assert detail[section] == breakdown(scope=scope, filters=month, by=by), (code, section)


def test_the_report_takes_seven_queries_whatever_the_number_of_districts(june, django_assert_num_queries):
    """City-wide, one query over the rollups' day rows per period by district and per section by district and
    dimension, and the banks' names once; a bank's own book, two over its loans for each instead."""
    with django_assert_num_queries(7):
        district_month_report(scope=CITY, month=JUNE)
    with django_assert_num_queries(13):
        district_month_report(scope=Scope(bank_id=june.bank_a.pk), month=JUNE)
    for i, code in enumerate(("320614", "320623", "park-sxt")):
        firm = EnterpriseFactory(district=code)
        june.loan(june.product_b, firm, 10 + i, at(2026, 6, 3, 10, 0), submitted=at(2026, 5, 20, 10, 0))
    with django_assert_num_queries(7):
        report = district_month_report(scope=CITY, month=JUNE)
    assert sum(1 for detail in report["districts"].values() if detail["by_bank"]) == 6
    assert district_report_xlsx(scope=CITY, month=JUNE)  # the sheet still builds from it
