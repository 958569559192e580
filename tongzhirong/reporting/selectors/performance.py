"""Coverage of tech SMEs, the banks' speed league, risk figures and the risk pools' figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tongzhirong.accounts.models import Organisation
from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import OPEN_LOAN_STATUSES, LoanStatus
from tongzhirong.financing.rollups import (
    ALL,
    BOTH,
    COARSE,
    DAY_SECONDS,
    FINE,
    PLATFORM,
    REPORTED,
    WAIT_STEP_SECONDS,
    LoanBookFigure,
    LoanFirmSpan,
    LoanWaitFigure,
)
from tongzhirong.risksharing.models import FilingStatus, Pool, PoolFiling
from tongzhirong.risksharing.selectors import pools_positions

from ..registers import FirmFigure, FirstLoanFigure
from .figures import latest_official_figure
from .rolled import firms_exact, rollups_answer, window_days
from .scope import ReportFilters, Scope, Source, platform_loans, reported_loans

# Share of tech SMEs that had ever pledged IP in 2021: the baseline of "widen coverage" (BRIEF §3).
COVERAGE_BASELINE = Decimal("0.025")


def coverage(*, scope: Scope, filters: ReportFilters, as_of: dt.date | None = None) -> dict[str, Any]:
    """Tech SMEs with an IP pledge loan over tech SMEs, against the 2.5% baseline. On the platform's own
    register: tech SMEs (科技型中小企业) registered on it with a platform or reported loan in the period (and,
    as "ever", also those whose credit history shows an earlier IP pledge loan). Against the official count
    of registered tech SMEs when the office has entered one: the platform's and the reported loans' tech-SME
    borrowers, matched by USCC."""
    as_of = as_of or timezone.localdate()
    filters = replace(filters, end=min(filters.end or as_of, as_of))
    official = latest_official_figure("registered_tech_smes", as_of) if scope.city_wide else None
    lo, hi = filters.start, filters.end
    if rollups_answer(scope, filters) and firms_exact(lo, hi, window_days(lo)):
        counts, off_platform = _rolled_coverage(filters, official=official is not None)
    else:
        counts, off_platform = _coverage_from_loans(scope, filters, official=official is not None)
    return {
        "as_of": as_of,
        "baseline": COVERAGE_BASELINE,
        "platform_register": {
            "tech_smes": counts["registered"],
            "with_loan": counts["with_loan"],
            "coverage": _ratio(counts["with_loan"], counts["registered"]),
            "ever_pledged": counts["ever"],
            "ever_coverage": _ratio(counts["ever"], counts["registered"]),
        },
        "official_register": None
        if official is None
        else {
            "tech_smes": int(official.value),
            "as_of": official.as_of,
            "with_loan": counts["with_loan"] + off_platform,
            "coverage": _ratio(counts["with_loan"] + off_platform, official.value),
        },
    }


def _rolled_coverage(filters: ReportFilters, *, official: bool) -> tuple[dict[str, int], int]:
    """Coverage from the firms' counts (``registers.FirmFigure`` and ``FirstLoanFigure``: the firms by flags, and
    by each firm's first loan day, ``Enterprise.first_loan_on``, kept from the spans by triggers; counted by
    triggers on the firms: a few thousand rows whatever the number of firms) or, for one source or a window with a
    start, from the firms' spans (``LoanFirmSpan``, group ``all``: each firm's first and last loan day, by USCC, per
    source and for both; a firm with a loan in a window that reaches the first or the last loan is one whose span
    overlaps it: the tech SMEs joined to their spans, no subquery per firm)."""
    source = {Source.PLATFORM: PLATFORM, Source.REPORTED: REPORTED}.get(filters.source, BOTH)
    if source == BOTH and filters.start is None:
        # Up to a day, both sources: the tech SMEs, and those with a first loan up to the day, as counted.
        tech = FirmFigure.objects.filter(is_tech_sme=True).aggregate(
            registered=_sum("firms"), prior=_sum("firms", Q(prior_loans=True))
        )
        borrowers = FirstLoanFigure.objects.filter(is_tech_sme=True, first_loan_on__lte=filters.end).aggregate(
            with_loan=_sum("firms"), with_loan_prior=_sum("firms", Q(prior_loans=True))
        )
        # Ever pledged: a loan up to the day, or earlier IP pledge loans in the credit history (either, once).
        ever = borrowers["with_loan"] + tech["prior"] - borrowers["with_loan_prior"]
        counts = {"registered": tech["registered"], "with_loan": borrowers["with_loan"], "ever": ever}
        return counts, _off_platform(filters) if official else 0
    window, params = _span_window(filters)
    connection = _reading(LoanFirmSpan)
    spans = connection.ops.quote_name(LoanFirmSpan._meta.db_table)
    firms = connection.ops.quote_name(Enterprise._meta.db_table)
    true = "true" if connection.vendor == "postgresql" else "1"
    with connection.cursor() as cursor:
        cursor.execute(
            # Table names are the models' own; every value is a parameter.
            f"SELECT COUNT(*), COUNT(s.firm), COUNT(*) FILTER (WHERE s.firm IS NOT NULL OR e.prior_ip_loans > 0) "  # noqa: S608
            f"FROM {firms} e LEFT JOIN (SELECT firm FROM {spans} s WHERE s.dimension = %s "
            f"AND s.source = %s AND {window}) s ON s.firm = e.uscc WHERE e.is_tech_sme = {true}",
            [ALL, source, *params],
        )
        registered, with_loan, ever = cursor.fetchone()
    off_platform = _off_platform(filters) if official and source != PLATFORM else 0
    return {"registered": registered, "with_loan": with_loan, "ever": ever}, off_platform


def _sum(column: str, condition: Q | None = None):
    return Coalesce(Sum(column, filter=condition), 0)


def _span_window(filters: ReportFilters) -> tuple[str, list]:
    """The SQL condition (and its parameters) for a firm span ``s`` overlapping the filters' window."""
    if filters.start is None:
        return "s.first_day <= %s", [filters.end]
    return "s.first_day <= %s AND s.last_day >= %s", [filters.end, filters.start]


def _off_platform(filters: ReportFilters) -> int:
    """Reported tech-SME borrowers with a loan in the window and no firm on the register: the reported loans'
    tech-SME spans without a registered firm (an anti-join)."""
    window, params = _span_window(filters)
    connection = _reading(LoanFirmSpan)
    spans = connection.ops.quote_name(LoanFirmSpan._meta.db_table)
    firms = connection.ops.quote_name(Enterprise._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # Table names are the models' own; every value is a parameter.
            f"SELECT COUNT(*) FROM {spans} s WHERE s.dimension = 'tech_marker' AND s.key = 'tech_sme' "  # noqa: S608
            f"AND s.source = %s AND {window} AND NOT EXISTS (SELECT 1 FROM {firms} e WHERE e.uscc = s.firm)",
            [REPORTED, *params],
        )
        return cursor.fetchone()[0]


def _coverage_from_loans(scope: Scope, filters: ReportFilters, *, official: bool) -> tuple[dict[str, int], int]:
    """Coverage for a bank's book, a district or cluster, or a window inside the data: from the loans."""
    platform, reported = platform_loans(scope, filters), reported_loans(scope, filters)
    tech = Enterprise.objects.filter(is_tech_sme=True)
    if filters.district:
        tech = tech.filter(district=filters.district)
    if filters.cluster:
        tech = tech.filter(cluster=filters.cluster)
    with_loan = Q(Exists(platform.filter(borrower_id=OuterRef("pk")).values("pk"))) | Q(
        Exists(reported.filter(borrower_uscc=OuterRef("uscc")).values("pk"))
    )
    counts = tech.aggregate(
        registered=Count("pk"),
        with_loan=Count("pk", filter=with_loan),
        ever=Count("pk", filter=with_loan | Q(prior_ip_loans__gt=0)),
    )
    # NOT EXISTS, not exclude(borrower_uscc__in=...): PostgreSQL runs NOT IN (subquery) as a scan of the
    # subquery per reported loan once the register no longer fits in memory as a hash (11+ minutes at 1M loans).
    off_platform = 0
    if official:
        off_platform = (
            reported.filter(is_tech_sme=True)
            .exclude(Exists(Enterprise.objects.filter(uscc=OuterRef("borrower_uscc"))))
            .aggregate(n=Count("borrower_uscc", distinct=True))["n"]
        )
    return counts, off_platform


def _reading(model):
    """The connection the router reads ``model`` from (the replica inside ``reads_reporting``): raw SQL's too."""
    return connections[router.db_for_read(model)]


def _ratio(part, whole) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


class Median(Aggregate):
    """The median, computed by the database: ``percentile_cont`` on PostgreSQL, and on SQLite the ``MEDIAN``
    aggregate this app registers on every connection (``apps.py``)."""

    function = "MEDIAN"
    name = "Median"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        )


def _whole_book(filters: ReportFilters) -> bool:
    """Whether the book-wide tables (waits, book) answer: no period, district or cluster (a bank is a key)."""
    return not (filters.start or filters.end or filters.district or filters.cluster)


def speed_league(*, scope: Scope, filters: ReportFilters) -> list[dict[str, Any]]:
    """Median days from submission to disbursement per bank (platform loans: reported ones carry no
    application), fastest first, with the rank. Over the whole book from the waits' histogram
    (``LoanWaitFigure``: exact unless the middle loans' 0.01-day step holds several waits, then within 0.01 day);
    for a period, district or cluster from the loans."""
    if filters.source == Source.REPORTED:
        return []
    if _whole_book(filters):
        rows = _rolled_medians(scope, filters)
    else:
        loans = platform_loans(scope, filters).filter(application__submitted_at__isnull=False)
        waited = ExpressionWrapper(F("disbursed_at") - F("application__submitted_at"), output_field=DurationField())
        rows = [
            (row["bank_id"], row["count"], row["median"].total_seconds())
            for row in loans.annotate(waited_=waited)
            .values("bank_id")
            .annotate(median=Median("waited_", output_field=DurationField()), count=Count("pk"))
            .order_by()
        ]
    rows.sort(key=lambda row: (row[2], row[0]))
    names = dict(Organisation.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "name"))
    return [
        {
            "rank": rank,
            "bank": bank,
            "bank_name": names.get(bank, ""),
            "loans": count,
            "median_days": Decimal(seconds / 86400).quantize(Decimal("0.1")),
        }
        for rank, (bank, count, seconds) in enumerate(rows, start=1)
    ]


def _rolled_medians(scope: Scope, filters: ReportFilters) -> list[tuple[int, int, float]]:
    """(bank, loans, median wait in seconds) per bank from the histogram, as ``PERCENTILE_CONT(0.5)`` reads it:
    the mean of the two middle loans (the middle one for an odd count), each taken as its fine step's mean wait.
    Two small queries: the whole-day steps with running counts per bank find the middle loans' days (one or two
    rows per bank come back), then those days' fine steps."""
    banks = sorted({scope.bank_id, filters.bank} - {None})
    connection = _reading(LoanWaitFigure)
    table = connection.ops.quote_name(LoanWaitFigure._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # The table's own name; every value is a parameter.
            "SELECT bank, n, step, upto - count FROM (SELECT bank, step, count, "  # noqa: S608
            "SUM(count) OVER (PARTITION BY bank ORDER BY step) AS upto, SUM(count) OVER (PARTITION BY bank) AS n "
            f"FROM {table} WHERE grain = %s AND count > 0{' AND bank = %s' * len(banks)}) h "
            "WHERE upto > (n - 1) / 2 AND upto - count <= n / 2",
            [COARSE, *banks],
        )
        days = [(bank, int(n), day, int(before)) for bank, n, day, before in cursor.fetchall()]
        if not days:
            return []
        per_day = DAY_SECONDS // WAIT_STEP_SECONDS
        cursor.execute(
            f"SELECT bank, step, count, seconds FROM {table} WHERE grain = %s AND count > 0 AND ("  # noqa: S608
            + " OR ".join(["(bank = %s AND step >= %s AND step < %s)"] * len(days))
            + ") ORDER BY bank, step",
            [FINE, *(v for bank, _n, day, _b in days for v in (bank, day * per_day, (day + 1) * per_day))],
        )
        fine = cursor.fetchall()
    totals = {bank: n for bank, n, _day, _before in days}
    before_day = {(bank, day): before for bank, _n, day, before in days}
    steps: dict[int, list[tuple[int, int, int]]] = {}
    running: dict[tuple[int, int], int] = {}
    for bank, step, count, seconds in fine:
        day = step // per_day
        before = before_day[(bank, day)] + running.get((bank, day), 0)
        running[(bank, day)] = running.get((bank, day), 0) + count
        steps.setdefault(bank, []).append((before, count, seconds))
    rows = []
    for bank, n in totals.items():
        middle = [_nth_wait(steps[bank], (n - 1) // 2), _nth_wait(steps[bank], n // 2)]
        rows.append((bank, n, sum(middle) / 2))
    return rows


def _nth_wait(steps: list[tuple[int, int, int]], n: int) -> float:
    """The ``n``-th loan's wait (0-based, in wait order) as its step's mean wait, from steps given as (loans before
    the step, loans in it, their waits' sum)."""
    return next(seconds / count for before, count, seconds in steps if before <= n < before + count)


def risk_figures(*, scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    """Overdue and non-performing ratios of the platform's open book (outstanding principal and loans), as the
    loans stand now: overdue = any day past due; non-performing = defaulted or over 90 days past due."""
    if filters.source != Source.REPORTED and _whole_book(filters):
        row = _rolled_book(scope, filters)
    else:
        row = _book_from_loans(scope, filters)
    zero = Decimal("0.00")
    outstanding = row["outstanding"] or zero
    return {
        "outstanding": to_yuan(outstanding),
        "open_loans": row["open_loans"],
        "overdue_amount": to_yuan(row["overdue_amount"] or zero),
        "overdue_loans": row["overdue_loans"],
        "overdue_ratio": _ratio(row["overdue_amount"] or 0, outstanding),
        "npl_amount": to_yuan(row["npl_amount"] or zero),
        "npl_loans": row["npl_loans"],
        "npl_ratio": _ratio(row["npl_amount"] or 0, outstanding),
        "written_off_loans": row["written_off_loans"],
        "written_off_principal": to_yuan(row["written_off_principal"] or zero),
        "pool": pool_figures(scope=scope, filters=filters),
    }


def _book_from_loans(scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    open_ = Q(status__in=OPEN_LOAN_STATUSES)
    overdue = open_ & (Q(status__in=(LoanStatus.OVERDUE, LoanStatus.DEFAULTED)) | Q(days_past_due__gt=0))
    npl = open_ & (Q(status=LoanStatus.DEFAULTED) | Q(days_past_due__gt=DEFAULT_AFTER_DAYS))
    return platform_loans(scope, filters).aggregate(
        outstanding=Sum("outstanding_principal", filter=open_),
        open_loans=Count("pk", filter=open_),
        overdue_amount=Sum("outstanding_principal", filter=overdue),
        overdue_loans=Count("pk", filter=overdue),
        npl_amount=Sum("outstanding_principal", filter=npl),
        npl_loans=Count("pk", filter=npl),
        written_off_loans=Count("pk", filter=Q(status=LoanStatus.WRITTEN_OFF)),
        written_off_principal=Sum("principal", filter=Q(status=LoanStatus.WRITTEN_OFF)),
    )


def _rolled_book(scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    """The same sums from the book (``LoanBookFigure``: per bank, status and band of days past due; band 1 is 1 to
    ``DEFAULT_AFTER_DAYS`` days, band 2 beyond), a few hundred rows."""
    rows = LoanBookFigure.objects.all()
    for bank in {scope.bank_id, filters.bank} - {None}:
        rows = rows.filter(bank=bank)
    row = dict.fromkeys(
        ("outstanding", "overdue_amount", "npl_amount", "written_off_principal"), Decimal(0)
    ) | dict.fromkeys(("open_loans", "overdue_loans", "npl_loans", "written_off_loans"), 0)
    for status, band, loans, outstanding, principal in rows.values_list(
        "status", "band", "loans", "outstanding", "principal"
    ):
        if status in OPEN_LOAN_STATUSES:
            row["outstanding"] += outstanding
            row["open_loans"] += loans
            if status in (LoanStatus.OVERDUE, LoanStatus.DEFAULTED) or band > 0:
                row["overdue_amount"] += outstanding
                row["overdue_loans"] += loans
            if status == LoanStatus.DEFAULTED or band > 1:
                row["npl_amount"] += outstanding
                row["npl_loans"] += loans
        elif status == LoanStatus.WRITTEN_OFF:
            row["written_off_loans"] += loans
            row["written_off_principal"] += principal
    return row


def pool_figures(*, scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    """The risk-compensation pools as their ledgers stand now (two queries, whatever the number of pools):
    city-wide, the pools' cash, exposure, claims paid and recoveries; for a bank, the exposure its own
    filings hold in the pools (the pools' books are the city's)."""
    live = (FilingStatus.FILED, FilingStatus.COVERED, FilingStatus.CLAIMED)
    if not scope.city_wide:
        held = PoolFiling.objects.filter(bank_id=scope.bank_id, status__in=live).aggregate(s=Sum("amount"))["s"]
        return {"pools": None, "exposure": to_yuan(held or 0), "balance": None, "claims_paid": None, "recoveries": None}
    positions = list(pools_positions(pools=list(Pool.objects.all())).values())
    total = {
        name: to_yuan(sum((getattr(p, name) for p in positions), Decimal(0)))
        for name in ("balance", "exposure", "claims_paid", "recoveries")
    }
    return {"pools": len(positions), **total}
