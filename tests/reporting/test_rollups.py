"""The rollups always equal the loans: after any sequence of platform loans (written in any order of their
disbursement days, on any pledged rights, after any wait), reported loans (one by one and through the import),
repayments and defaults, every breakdown, the district report of a month, the monthly series (the city's and
each bank's own: its breakdowns and series read its bank-crossed groups), the summary's windows, the speed league,
the risk panel and coverage read from the rollups equal the same figures computed from the rows, and rebuilding
the rollups from the rows changes nothing."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    LoanFactory,
    LoanProductFactory,
    make_uscc,
)
from tongzhirong.core.money import wan
from tongzhirong.core.reference import SHANGHAI, IPType
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, Loan, LoanStatus
from tongzhirong.financing.rollups import (
    BANK_CROSSED,
    CROSSED,
    WAIT_STEP_SECONDS,
    LargeLoanAsset,
    LoanBookFigure,
    LoanDayFigure,
    LoanFirmSpan,
    LoanWaitFigure,
    leading_ip_type,
)
from tongzhirong.reporting.importing import reported_loans_import
from tongzhirong.reporting.models import ReportedLoan
from tongzhirong.reporting.rollups import rollups_rebuild
from tongzhirong.reporting.selectors import (
    BREAKDOWNS,
    PLAN_START,
    ReportFilters,
    Scope,
    Source,
    day_start,
    risk_figures,
    speed_league,
)
from tongzhirong.reporting.selectors.breakdowns import loan_groups, rolled_groups
from tongzhirong.reporting.selectors.district import loan_report_groups, rolled_report_groups
from tongzhirong.reporting.selectors.figures import figures
from tongzhirong.reporting.selectors.performance import _coverage_from_loans, _rolled_coverage
from tongzhirong.reporting.selectors.rolled import (
    data_days,
    firms_exact,
    rolled_days,
    rolled_months,
    rolled_window_firms,
)
from tongzhirong.reporting.selectors.scope import platform_loans, reported_loans
from tongzhirong.reporting.selectors.summary import _months_exact, bucket_end

CITY = Scope(bank_id=None)
LAST_DAY = 700  # days after the plan's start; all before today, as the import requires
IP_TYPES = [IPType.INVENTION_PATENT, IPType.UTILITY_MODEL, IPType.TRADEMARK, IPType.SOFTWARE_COPYRIGHT]

days = st.integers(0, LAST_DAY)
platform_loan = st.fixed_dictionaries(
    {
        "firm": st.integers(0, 3),
        "bank": st.integers(0, 1),
        "kind": st.integers(0, 3),  # pledge only, insured, guaranteed, both
        "day": days,
        "minute": st.sampled_from([0, 30, 23 * 60 + 45]),  # 23:45 in Shanghai is still the same local day
        "amount": st.sampled_from([50, 300, 800, 1500, 2500]),  # 万, one per size band
        "rights": st.lists(st.sampled_from(IP_TYPES), max_size=2),
        # Minutes from submission: each in a 0.01-day step of its own, where the league's median is exact.
        "wait": st.sampled_from([None, 5, 12 * 60, 3 * 24 * 60 + 7, 3 * 24 * 60 + 61, 20 * 24 * 60]),
    }
)
reported_loan = st.fixed_dictionaries(
    {
        "firm": st.integers(0, 5),  # 0-3: a platform firm's USCC; 4-5: firms off the platform
        "bank": st.integers(0, 1),
        "day": days,
        "amount": st.sampled_from([40, 700, 2200]),
        "first": st.sampled_from([True, False, None]),
        "imported": st.booleans(),
    }
)
events = st.lists(
    st.one_of(
        st.tuples(st.just("loan"), platform_loan),
        st.tuples(st.just("reported"), reported_loan),
        st.tuples(st.just("repay"), st.integers(0, 30)),
        st.tuples(st.just("default"), st.integers(0, 30)),
    ),
    min_size=1,
    max_size=10,
)


class City:
    def __init__(self):
        self.banks = [BankFactory(name="Bank A"), BankFactory(name="Bank B")]
        self.officers = [BankOfficerFactory(organisation=bank) for bank in self.banks]
        self.firms = [
            EnterpriseFactory(district="320613", cluster="next_gen_it", chain="software_it_services", is_tech_sme=True),
            EnterpriseFactory(district="320612", cluster="high_end_textiles", chain="fabrics", prior_ip_loans=1),
            EnterpriseFactory(district="320613", cluster="new_energy", chain="pv_storage", is_high_tech=True),
            EnterpriseFactory(
                district="park-netda", cluster="new_energy", chain="pv_storage", is_specialised=True, is_tech_sme=True
            ),
        ]
        self.outsiders = [make_uscc(990_001, division="320682"), make_uscc(990_002, division="320681")]
        insurance, guarantee = InsuranceProductFactory(), GuaranteeProductFactory()
        self.products = [LoanProductFactory(bank=bank) for bank in self.banks]
        self.enhancements = [(None, None), (insurance, None), (None, guarantee), (insurance, guarantee)]
        self.contracts = 0

    def loan(self, e: dict) -> Loan:
        firm = self.firms[e["firm"]]
        insurance, guarantee = self.enhancements[e["kind"]]
        application = ApplicationFactory(
            enterprise=firm,
            product=self.products[e["bank"]],
            status=ApplicationStatus.DISBURSED,
            insurance_product=insurance,
            guarantee_product=guarantee,
        )
        for ip_type in e["rights"]:
            ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=firm, ip_type=ip_type))
        moment = day_start(PLAN_START + dt.timedelta(days=e["day"])) + dt.timedelta(minutes=e["minute"])
        if e.get("wait") is not None:
            application.submitted_at = moment - dt.timedelta(minutes=e["wait"])
            application.save(update_fields=["submitted_at"])
        return LoanFactory(application=application, principal=wan(e["amount"]), disbursed_at=moment)

    def reported(self, e: dict) -> None:
        self.contracts += 1
        uscc = self.firms[e["firm"]].uscc if e["firm"] < 4 else self.outsiders[e["firm"] - 4]
        day = PLAN_START + dt.timedelta(days=e["day"])
        if e["imported"]:
            row = {
                "合同编号": f"WB-{self.contracts}",
                "借款人统一社会信用代码": uscc,
                "质押知识产权编号": "201710601862.3",
                "贷款金额（元）": str(wan(e["amount"])),
                "放款日": day.isoformat(),
                "首贷": {True: "是", False: "否", None: ""}[e["first"]],
            }
            reported_loans_import(actor=self.officers[e["bank"]], rows=[row])
            return
        ReportedLoan.objects.create(
            bank=self.banks[e["bank"]],
            contract_number=f"R-{self.contracts}",
            borrower_uscc=uscc,
            ip_type=IPType.TRADEMARK,
            principal=wan(e["amount"]),
            disbursed_on=day,
            disbursed_at=day_start(day),
            first_loan=e["first"],
            district="320682",
            is_tech_sme=e["firm"] % 2 == 0,
            imported_by=self.officers[e["bank"]],
        )


def _repay_or_default(kind: str, index: int) -> None:
    loans = list(Loan.objects.order_by("pk"))
    if not loans:
        return
    loan = loans[index % len(loans)]
    if kind == "repay":
        loan.outstanding_principal, loan.status = Decimal(0), LoanStatus.REPAID
    else:
        loan.status, loan.days_past_due = LoanStatus.DEFAULTED, 95
    loan.save(update_fields=["outstanding_principal", "status", "days_past_due"])


def _rollup_rows() -> tuple[set, set]:
    figures_ = {
        (r.dimension, r.day, r.source, r.key, r.amount, r.count, r.firms_first, r.firms_last)
        for r in LoanDayFigure.objects.all()
        if r.count or r.firms_first or r.firms_last
    }
    spans = {(r.dimension, r.key, r.source, r.firm, r.first_day, r.last_day) for r in LoanFirmSpan.objects.all()}
    return figures_, spans, _book_and_waits()


def _book_and_waits() -> tuple[set, set, set]:
    book = {
        (r.bank, r.status, r.band, r.loans, r.outstanding, r.principal)
        for r in LoanBookFigure.objects.all()
        if r.loans or r.outstanding or r.principal
    }
    waits = {(r.bank, r.grain, r.step, r.count, r.seconds) for r in LoanWaitFigure.objects.all() if r.count}
    large = set(LargeLoanAsset.objects.values_list("asset_id", flat=True))
    return book, waits, large


# A period that holds every loan of the test sends the league and the risk panel to the loans.
EVERY_LOAN = ReportFilters(start=PLAN_START - dt.timedelta(days=1))


def _plain_window(lo: dt.date, hi: dt.date, source: str, scope: Scope = CITY) -> tuple[Decimal, int, int, int, int]:
    """Amount, loans, platform firms, reported firms and firms of both counted once, straight from the rows."""
    between = {"disbursed_at__gte": day_start(lo), "disbursed_at__lt": day_start(hi + dt.timedelta(days=1))}
    platform = platform_loans(scope, ReportFilters(source=source)).filter(**between)
    reported = reported_loans(scope, ReportFilters(source=source)).filter(**between)
    p = platform.aggregate(a=Sum("principal"), n=Count("pk"))
    r = reported.aggregate(a=Sum("principal"), n=Count("pk"))
    p_firms = set(platform.values_list("borrower__uscc", flat=True))
    r_firms = set(reported.values_list("borrower_uscc", flat=True))
    amount = (p["a"] or Decimal(0)) + (r["a"] or Decimal(0))
    return amount, p["n"] + r["n"], len(p_firms), len(r_firms), len(p_firms | r_firms)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events, lo=days, hi=days, source=st.sampled_from(Source.CHOICES))
def test_the_rollups_always_equal_the_rows(events, lo, hi, source):
    with transaction.atomic():
        city = City()
        for kind, event in events:
            if kind == "loan":
                city.loan(event)
            elif kind == "reported":
                city.reported(event)
            else:
                _repay_or_default(kind, event)

        for loan in Loan.objects.prefetch_related("application__pledged_assets__asset"):
            pledged = [link.asset.ip_type for link in loan.application.pledged_assets.all()]
            assert loan.ip_type == leading_ip_type(pledged)

        span = data_days()
        start, end = PLAN_START + dt.timedelta(days=min(lo, hi)), PLAN_START + dt.timedelta(days=max(lo, hi))
        periods = [(None, None), (start, None), (None, end), (start, end)]
        for first, last in periods:
            filters = ReportFilters(start=first, end=last, source=source)
            if not firms_exact(first, last, span):
                continue
            for by in BREAKDOWNS:
                assert rolled_groups(filters, by) == loan_groups(CITY, filters, by), (by, first, last)
                for bank in city.banks:  # each bank's own breakdowns, from its bank-crossed groups
                    mine, group = Scope(bank_id=bank.pk), ("bank", str(bank.pk))
                    rolled = rolled_groups(filters, by, group=group)
                    assert rolled == loan_groups(mine, filters, by), (bank.name, by, first, last)

        groups = [(CITY, ("all", ""))] + [(Scope(bank_id=b.pk), ("bank", str(b.pk))) for b in city.banks]
        for scope, group in groups if span is not None else []:  # the city's rows, and each bank's own book
            windows = [(span[0], end), (start, span[1])]
            firms = rolled_window_firms(ReportFilters(source=source), windows, span, group)
            daily = rolled_days(ReportFilters(source=source), lo=span[0], hi=span[1], group=group)
            for window_lo, window_hi in windows:
                amount = sum(
                    (a for day, parts in daily.items() if window_lo <= day <= window_hi for a, _n in parts.values()),
                    Decimal(0),
                )
                count = sum(
                    n for day, parts in daily.items() if window_lo <= day <= window_hi for _a, n in parts.values()
                )
                found = (amount, count, *firms[(window_lo, window_hi)])
                assert found == _plain_window(window_lo, window_hi, source, scope), group

        for day in (start, end):  # the district report of the months the window starts and ends in
            month = day.replace(day=1)
            month_end = bucket_end(month, "month")
            rolled = rolled_report_groups(ReportFilters(source=source), month, month_end)
            assert rolled == loan_report_groups(CITY, ReportFilters(source=source), month, month_end), month

        series = ReportFilters(start=start, end=end, source=source)
        for bucket in ("month", "quarter", "year"):
            by_bucket = figures(platform_loans(CITY, series), reported_loans(CITY, series), bucket=bucket)
            if _months_exact(series.start, series.end, bucket):
                assert rolled_months(series, lo=series.start, hi=series.end, bucket=bucket) == by_bucket, bucket
                for bank in city.banks:  # each bank's own series, from its bank × period groups
                    mine = Scope(bank_id=bank.pk)
                    by_bucket = figures(platform_loans(mine, series), reported_loans(mine, series), bucket=bucket)
                    rolled = rolled_months(
                        series, lo=series.start, hi=series.end, bucket=bucket, group=("bank", str(bank.pk))
                    )
                    assert rolled == by_bucket, (bank.name, bucket)

        league, risk = (
            speed_league(scope=CITY, filters=ReportFilters(source=source)),
            risk_figures(scope=CITY, filters=ReportFilters(source=source)),
        )
        assert league == speed_league(scope=CITY, filters=replace(EVERY_LOAN, source=source))
        assert risk == risk_figures(scope=CITY, filters=replace(EVERY_LOAN, source=source))
        for first, last in periods:
            filters = ReportFilters(start=first, end=last or PLAN_START + dt.timedelta(days=LAST_DAY), source=source)
            if firms_exact(filters.start, filters.end, span):
                rolled = _rolled_coverage(filters, official=True)
                assert rolled == _coverage_from_loans(CITY, filters, official=True), (first, last)

        kept = _rollup_rows()
        rollups_rebuild(dimensions=["quarter", "year"])  # a new dimension's first build leaves the others
        assert _rollup_rows() == kept
        rollups_rebuild(dimensions=list(CROSSED))  # the district report's groups, as their migration builds them
        assert _rollup_rows() == kept
        rollups_rebuild(dimensions=list(BANK_CROSSED))  # a bank's own groups, as their migration builds them
        assert _rollup_rows() == kept
        rollups_rebuild()
        assert _rollup_rows() == kept
        transaction.set_rollback(True)


def test_a_loan_written_before_its_borrowers_earlier_loans_makes_them_repeats(db):
    city = City()
    later = city.loan({"firm": 0, "bank": 0, "kind": 0, "day": 300, "minute": 0, "amount": 300, "rights": []})
    city.loan({"firm": 0, "bank": 1, "kind": 0, "day": 100, "minute": 0, "amount": 800, "rights": []})
    groups = rolled_groups(ReportFilters(), "first_time")
    assert groups == loan_groups(CITY, ReportFilters(), "first_time")
    assert groups[("repeat",)].platform.amount == later.principal
    for bank in city.banks:  # the later loan's bank now holds a repeat loan, the earlier one's a first loan
        mine = rolled_groups(ReportFilters(), "first_time", group=("bank", str(bank.pk)))
        assert mine == loan_groups(Scope(bank_id=bank.pk), ReportFilters(), "first_time"), bank.name
    assert rolled_groups(ReportFilters(), "first_time", group=("bank", str(city.banks[0].pk))).keys() == {("repeat",)}


def test_a_day_is_the_shanghai_day(db):
    city = City()
    loan = city.loan({"firm": 0, "bank": 0, "kind": 0, "day": 10, "minute": 23 * 60 + 45, "amount": 50, "rights": []})
    figure = LoanDayFigure.objects.get(dimension="all", source="platform")
    assert figure.day == loan.disbursed_at.astimezone(SHANGHAI).date() == PLAN_START + dt.timedelta(days=10)


def test_a_median_inside_one_wait_step_is_within_the_step(db):
    """Two loans whose waits differ by less than the histogram's step: the league's median is their step's mean,
    within 0.01 day of the exact one (here exact, being the mean of the two)."""
    city = City()
    loan = {"firm": 0, "bank": 0, "kind": 0, "minute": 0, "amount": 50, "rights": []}
    city.loan(loan | {"day": 10, "wait": 3 * 24 * 60})
    city.loan(loan | {"day": 11, "wait": 3 * 24 * 60 + 10})
    city.loan(loan | {"day": 12, "wait": 9 * 24 * 60})
    (row,) = speed_league(scope=CITY, filters=ReportFilters())
    (exact,) = speed_league(scope=CITY, filters=EVERY_LOAN)
    assert exact["median_days"] == Decimal("3.0")
    assert abs(row["median_days"] - exact["median_days"]) <= Decimal("0.1")
    assert LoanWaitFigure.objects.get(grain=0, step=3 * 86400 // WAIT_STEP_SECONDS).count == 2


def test_every_write_of_a_loan_moves_the_book(db):
    """A status change, a bulk UPDATE around the model (the delinquency refresh's path) and a deletion each move
    the risk panel's book in their own statement (database triggers)."""
    city = City()
    loan = city.loan({"firm": 0, "bank": 0, "kind": 0, "day": 10, "minute": 0, "amount": 300, "rights": []})
    Loan.objects.filter(pk=loan.pk).update(days_past_due=120, status=LoanStatus.OVERDUE)
    assert risk_figures(scope=CITY, filters=ReportFilters())["npl_loans"] == 1
    assert risk_figures(scope=CITY, filters=ReportFilters()) == risk_figures(scope=CITY, filters=EVERY_LOAN)
    Loan.objects.filter(pk=loan.pk).delete()
    assert risk_figures(scope=CITY, filters=ReportFilters())["open_loans"] == 0


def _book_row_writes() -> int:
    """Rows this transaction inserted into or updated in the book table (PostgreSQL's statistics)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'financing_loanbookfigure'"
        )
        return cursor.fetchone()[0]


def test_a_bulk_write_moves_each_book_row_once(db):
    """A bulk UPDATE (the delinquency refresh) or a COPY of many loans writes each book row it moves once, not once
    per loan: a row per loan stacked a million versions on a few book rows in one transaction and a COPY of 1M loans
    ran for over half an hour."""
    if connection.vendor != "postgresql":
        pytest.skip("statement triggers and their statistics are PostgreSQL's; SQLite keeps row triggers")
    city = City()
    ids = [
        city.loan({"firm": i % 3, "bank": 0, "kind": 0, "day": 10 + i, "minute": 0, "amount": 300, "rights": []}).pk
        for i in range(20)
    ]
    before = _book_row_writes()
    Loan.objects.filter(pk__in=ids).update(days_past_due=40, status=LoanStatus.OVERDUE)
    assert _book_row_writes() - before == 2  # the row the loans left and the row they joined
    assert risk_figures(scope=CITY, filters=ReportFilters())["open_loans"] == 20
    assert risk_figures(scope=CITY, filters=ReportFilters()) == risk_figures(scope=CITY, filters=EVERY_LOAN)
    before = _book_row_writes()
    Loan.objects.filter(pk__in=ids).update(updated_at=timezone.now())  # no book column changed
    assert _book_row_writes() == before


def test_a_firms_first_loan_day_survives_a_save_of_the_firm_as_it_was_read_before(db):
    """Coverage counts firms by their first loan day, kept by the database from the firms' spans: saving a firm
    object read before its first loan (its ``first_loan_on`` still empty) does not undo it."""
    city = City()
    stale = type(city.firms[0]).objects.get(pk=city.firms[0].pk)
    city.loan({"firm": 0, "bank": 0, "kind": 0, "day": 10, "minute": 0, "amount": 300, "rights": []})
    stale.legal_name = "改名科技"
    stale.save()
    stale.refresh_from_db()
    assert stale.first_loan_on == PLAN_START + dt.timedelta(days=10)
