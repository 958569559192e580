"""The dashboard summary and the monthly volume series against the plan's targets."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from tongzhirong.core.money import to_yuan
from tongzhirong.financing.models import Loan
from tongzhirong.financing.rollups import PLATFORM, REPORTED

from ..forecast import bootstrap_forecast
from ..models import ReportedLoan, Target
from .figures import Figures, Split, figures, target_reached
from .rolled import (
    data_days,
    firms_exact,
    rolled_days,
    rolled_group,
    rolled_months,
    rolled_window_firms,
)
from .scope import PLAN_START, ReportFilters, Scope, day_start, platform_loans, reported_loans


def _months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_fraction_left(as_of: dt.date) -> float:
    """The share of ``as_of``'s month still to come after ``as_of`` ends."""
    first = as_of.replace(day=1)
    days = ((first + dt.timedelta(days=32)).replace(day=1) - first).days
    return (days - as_of.day) / days


def volume_series(
    *, scope: Scope, filters: ReportFilters, bucket: str = "month", targets: list[Target] | None = None
) -> list[dict[str, Any]]:
    """Figures per month, quarter or year (every bucket of the period, empty ones too), with running totals
    of amount and count and, per target, the share of it reached by the end of the bucket."""
    start = filters.start or PLAN_START
    end = filters.end or timezone.localdate()
    filters = replace(filters, start=start, end=end)
    group = rolled_group(scope, filters)
    if group is not None and _months_exact(start, end, bucket):
        found = rolled_months(filters, lo=start, hi=end, bucket=bucket, group=group)
    else:
        found = figures(platform_loans(scope, filters), reported_loans(scope, filters), bucket=bucket)
    buckets = sorted({_bucket_start(m, bucket) for m in _months_between(start, end)})
    targets = targets if targets is not None else list(Target.objects.filter(is_active=True))
    series, running = [], {"platform": Figures(), "reported": Figures(), "total": Figures()}
    reached = {t.code: Decimal(0) for t in targets}
    for first in buckets:
        split = found.get((first,), Split())
        last = bucket_end(first, bucket)
        for part in running:
            running[part].amount += getattr(split, part).amount
            running[part].count += getattr(split, part).count
        for t in targets:  # the buckets wholly inside the target's period, up to this one
            if t.period_start <= first and last <= t.period_end:
                reached[t.code] += split.total.amount if t.includes_reported else split.platform.amount
        row = {"period": first, **split.as_dict()}
        row["cumulative"] = {part: {"amount": to_yuan(f.amount), "count": f.count} for part, f in running.items()}
        row["targets"] = {t.code: _share(reached[t.code], t.amount) for t in targets if t.period_start <= last}
        series.append(row)
    return series


def _months_exact(start: dt.date, end: dt.date, bucket: str = "month") -> bool:
    """Firms per month (quarter, year) from the buckets' day rows are exact unless the period starts and ends
    inside one bucket."""
    first = _bucket_start(start.replace(day=1), bucket)
    return not (
        first == _bucket_start(end.replace(day=1), bucket) and first < start and end < bucket_end(first, bucket)
    )


def _bucket_start(month: dt.date, bucket: str) -> dt.date:
    if bucket == "year":
        return month.replace(month=1)
    if bucket == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1)
    return month


def bucket_end(first: dt.date, bucket: str) -> dt.date:
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    year, month = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)


def _share(reached: Decimal, target: Decimal) -> Decimal:
    return (Decimal(reached) / target * 100).quantize(Decimal("0.0001"), ROUND_HALF_UP) if target else Decimal(0)


def dashboard_summary(*, scope: Scope, filters: ReportFilters, as_of: dt.date | None = None) -> dict[str, Any]:
    """Progress to each active target (both readings side by side), platform and reported apart and together,
    with a run-rate forecast to each target's end. Five queries, whatever the number of loans or targets."""
    as_of = as_of or timezone.localdate()
    targets = list(Target.objects.filter(is_active=True))
    start = min([PLAN_START, *(t.period_start for t in targets)])
    per_target, months = summary_figures(scope, filters, targets, start=start, as_of=as_of)
    current = as_of.replace(day=1)
    complete = [m for m in _months_between(start, as_of) if m < current]
    answer = []
    for target in targets:
        split = per_target[target.code]
        reached = target_reached(target, split)
        history = [
            months.get(m, (0, 0))[0] + (months.get(m, (0, 0))[1] if target.includes_reported else 0) for m in complete
        ]
        left = _months_left(as_of, target.period_end)
        forecast = (
            bootstrap_forecast(reached=reached, recent_months=history, months_remaining=left, target=target.amount)
            if as_of <= target.period_end
            else None
        )
        answer.append(
            {
                "code": target.code,
                "name": target.name,
                "reading": target.reading,
                "measure": target.measure,
                "amount": target.amount,
                "period_start": target.period_start,
                "period_end": target.period_end,
                "includes_reported": target.includes_reported,
                **split.as_dict(),
                "reached": to_yuan(reached),
                "percent_of_target": _share(reached, target.amount),
                "forecast": None
                if forecast is None
                else {
                    "point": forecast.point,
                    "low": forecast.low,
                    "high": forecast.high,
                    "percent_of_target": _share(forecast.point, target.amount),
                    "probability_of_target": forecast.probability_of_target,
                    "months_remaining": forecast.months_remaining,
                    "months_used": forecast.months_used,
                    "method": forecast.method,
                },
            }
        )
    return {"as_of": as_of, "city_wide": scope.city_wide, "bank": scope.bank_id, "targets": answer}


def _months_left(as_of: dt.date, end: dt.date) -> float:
    if as_of >= end:
        return 0.0
    whole = (end.year - as_of.year) * 12 + end.month - as_of.month
    return whole + _month_fraction_left(as_of) - _month_fraction_left(end)


def summary_figures(
    scope: Scope, filters: ReportFilters, targets: list[Target], *, start: dt.date, as_of: dt.date
) -> tuple[dict[str, Split], dict[dt.date, tuple[Decimal, Decimal]]]:
    """Each target's figures and the monthly amounts (platform, reported) from ``start`` to ``as_of``, in four
    queries whatever the number of targets.

    Amounts and loans: one query per source, in slices of days cut at every month start and at every target
    window's edges (Asia/Shanghai), added up here per window and per month: one pass over the loans instead of one
    per target and one for the months, and no time-zone conversion per row. Firms: the platform's distinct
    borrowers per window from one ``GROUP BY borrower`` (the ``loan_borrower_disbursed`` index gives the groups in
    order: no sort, no hash); then the reported firms, and those of them without a platform loan in the same
    window, in one query. A target's window is its period up to ``as_of``, narrowed by the filters' period; the
    monthly history (the forecast's) ignores the filters' period."""
    end = as_of + dt.timedelta(days=1)
    if end <= start:  # before the plan: no window, no month
        return {target.code: Split() for target in targets}, {}
    windows: dict[str, tuple[dt.date, dt.date] | None] = {}
    for target in targets:
        lo = max(target.period_start, filters.start or target.period_start)
        hi = min(target.period_end, as_of, filters.end or target.period_end) + dt.timedelta(days=1)
        windows[target.code] = (lo, hi) if lo < hi else None
    live = [w for w in windows.values() if w]
    group = rolled_group(scope, filters)
    if group is not None:
        span = data_days()
        if all(firms_exact(lo, hi - dt.timedelta(days=1), span) for lo, hi in live):
            return _rolled_summary(filters, windows, start=start, as_of=as_of, span=span, group=group)
    months = [m for m in _months_between(start, as_of) if m > start]
    days = sorted({start, end, *months, *(day for w in live for day in w)})
    everywhere = replace(filters, start=None, end=None)
    platform, reported = platform_loans(scope, everywhere), reported_loans(scope, everywhere)
    by_range = scope.city_wide and not (filters.district or filters.cluster or filters.bank)
    slices = [_sliced(qs, days, by_range=by_range) for qs in (platform, reported)]
    in_range = {"disbursed_at__gte": day_start(start), "disbursed_at__lt": day_start(end)}
    platform, reported = platform.filter(**in_range), reported.filter(**in_range)

    def summed(side: int, lo: dt.date, hi: dt.date) -> tuple[Decimal, int]:
        rows = [row for i, row in slices[side].items() if lo <= days[i] and days[i + 1] <= hi]
        return sum((a for a, _c in rows), Decimal(0)), sum(c for _a, c in rows)

    firms = _firms(platform, reported, live)
    per_target = {}
    for code, window in windows.items():
        split = Split()
        if window is not None:
            p_firms, r_firms, new_firms = firms[window]
            split.platform = Figures(*summed(0, *window), p_firms)
            split.reported = Figures(*summed(1, *window), r_firms)
            split.total = Figures(
                split.platform.amount + split.reported.amount,
                split.platform.count + split.reported.count,
                p_firms + new_firms,
            )
        per_target[code] = split
    found: dict[dt.date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for side in (0, 1):
        for i, (amount, _count) in slices[side].items():
            found[days[i].replace(day=1)][side] += amount
    return per_target, {month: (p, r) for month, (p, r) in found.items()}


def _rolled_summary(
    filters: ReportFilters,
    windows: dict[str, tuple[dt.date, dt.date] | None],
    *,
    start: dt.date,
    as_of: dt.date,
    span: tuple[dt.date, dt.date] | None,
    group: tuple[str, str],
) -> tuple[dict[str, Split], dict[dt.date, tuple[Decimal, Decimal]]]:
    """``summary_figures`` from the rollups (the city's ``all`` rows, or one bank's): the days' amounts in one
    query, every window's firms in another."""
    days = rolled_days(replace(filters, start=None, end=None), lo=start, hi=as_of, group=group)
    live = sorted({w for w in windows.values() if w is not None})
    firms = rolled_window_firms(filters, [(lo, hi - dt.timedelta(days=1)) for lo, hi in live], span, group)
    per_target = {}
    for code, window in windows.items():
        split = Split()
        if window is not None:
            lo, hi = window
            for day, parts in days.items():
                if lo <= day < hi:
                    for source, (amount, count) in parts.items():
                        part = getattr(split, source)
                        part.amount += amount
                        part.count += count
            p, r, t = firms[(lo, hi - dt.timedelta(days=1))]
            split.platform.firms, split.reported.firms = p, r
            split.total = Figures(
                split.platform.amount + split.reported.amount, split.platform.count + split.reported.count, t
            )
        per_target[code] = split
    months: dict[dt.date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for day, parts in days.items():
        for side, source in enumerate((PLATFORM, REPORTED)):
            if source in parts:
                months[day.replace(day=1)][side] += parts[source][0]
    return per_target, {month: (p, r) for month, (p, r) in months.items()}


def _slice_of(days: list[dt.date], lo: int, hi: int):
    """The ``i`` with ``days[i] <= disbursed_at < days[i + 1]`` (Asia/Shanghai days) for a loan between
    ``days[lo]`` and ``days[hi]``: a binary search written as nested CASEs, log2(slices) comparisons per row."""
    if hi - lo == 1:
        return Value(lo)
    mid = (lo + hi) // 2
    return Case(
        When(disbursed_at__lt=day_start(days[mid]), then=_slice_of(days, lo, mid)),
        default=_slice_of(days, mid, hi),
        output_field=IntegerField(),
    )


def _sliced(qs: QuerySet, days: list[dt.date], *, by_range: bool) -> dict[int, tuple[Decimal, int]]:
    """Amount and loans per slice ``[days[i], days[i + 1])``, keyed by ``i``, empty slices left out.

    ``by_range`` (the query holds nothing but the dates): one range aggregate per slice, all in one UNION ALL, so
    each is a range scan of the ``disbursed_at`` index (on PostgreSQL an index-only scan of ``loan_disbursed_cover``)
    and no row is compared with every edge. Otherwise (a bank, a district: each range aggregate would apply those
    conditions again over the same rows) one pass, sliced by nested CASEs."""
    if by_range:
        parts = [
            qs.filter(disbursed_at__gte=day_start(lo), disbursed_at__lt=day_start(hi))
            .values(slice_=Value(i))
            .annotate(amount=Sum("principal"), count=Count("disbursed_at"))
            .order_by()
            for i, (lo, hi) in enumerate(itertools.pairwise(days))
        ]
        rows = parts[0].union(*parts[1:], all=True)
    else:
        rows = (
            qs.filter(disbursed_at__gte=day_start(days[0]), disbursed_at__lt=day_start(days[-1]))
            .annotate(slice_=_slice_of(days, 0, len(days) - 1))
            .values("slice_")
            .annotate(amount=Sum("principal"), count=Count("disbursed_at"))
            .order_by()
        )
    return {row["slice_"]: (row["amount"], row["count"]) for row in rows if row["count"]}


def _firms(
    platform: QuerySet[Loan], reported: QuerySet[ReportedLoan], windows: list[tuple[dt.date, dt.date]]
) -> dict[tuple[dt.date, dt.date], tuple[int, int, int]]:
    """Per window: (platform firms, reported firms, reported firms without a platform loan in the window)."""
    if not windows:
        return {}

    def within(lo: dt.date, hi: dt.date) -> Q:
        return Q(disbursed_at__gte=day_start(lo), disbursed_at__lt=day_start(hi))

    # Counting ``disbursed_at`` (not the id, which the index does not hold) keeps the scan index-only.
    per_borrower = platform.values("borrower_id").annotate(
        **{f"n{i}": Count("disbursed_at", filter=within(*w)) for i, w in enumerate(windows)}
    )
    p_row = per_borrower.aggregate(
        **{f"f{i}": Count("borrower_id", filter=Q(**{f"n{i}__gt": 0})) for i in range(len(windows))}
    )
    r_aggs = {}
    for i, w in enumerate(windows):
        # A platform loan of the firm with the reported USCC in the window (``platform_firm``: a join, once).
        seen = platform.filter(within(*w), borrower_id=OuterRef("platform_firm__id")).order_by().values("pk")
        r_aggs |= {
            f"f{i}": Count("borrower_uscc", distinct=True, filter=within(*w)),
            f"n{i}": Count("borrower_uscc", distinct=True, filter=within(*w) & ~Exists(seen)),
        }
    r_row = reported.aggregate(**r_aggs)
    return {w: (p_row[f"f{i}"] or 0, r_row[f"f{i}"] or 0, r_row[f"n{i}"] or 0) for i, w in enumerate(windows)}
