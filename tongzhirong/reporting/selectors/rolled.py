"""The same figures read from the rollups (``financing.rollups``) instead of the loans: a few thousand rows per
request whatever the number of loans.

They hold the whole city by group, so they answer the city-wide scope without a district, cluster or bank filter
(a bank's own book and a filtered view read the loans, which their indexes narrow to a slice). Amounts and loans
are exact for any period; firms are exact when the period reaches back to the first loan or on to the last one
(``firms_exact``), which the dashboard's windows do; otherwise the callers count firms from the loans."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum

from tongzhirong.financing.rollups import ALL, NONE_KEY, PLATFORM, REPORTED, LoanDayFigure, LoanFirmSpan

from .figures import Figures, Split
from .scope import ReportFilters, Scope, Source


def rollups_answer(scope: Scope, filters: ReportFilters) -> bool:
    return scope.city_wide and not (filters.district or filters.cluster or filters.bank)


def data_days() -> tuple[dt.date, dt.date] | None:
    """The first and last day with a loan of either source (two index lookups)."""
    row = LoanDayFigure.objects.filter(dimension=ALL).aggregate(lo=Min("day"), hi=Max("day"))
    return None if row["lo"] is None else (row["lo"], row["hi"])


def firms_exact(lo: dt.date | None, hi: dt.date | None, days: tuple[dt.date, dt.date] | None) -> bool:
    """Whether firms with ``first_day <= hi and last_day >= lo`` are exactly those with a loan in ``[lo, hi]``:
    when nothing lies before ``lo`` or nothing after ``hi``."""
    return days is None or lo is None or hi is None or lo <= days[0] or hi >= days[1]


def _sources(filters: ReportFilters) -> tuple[str, ...]:
    return {Source.PLATFORM: (PLATFORM,), Source.REPORTED: (REPORTED,)}.get(filters.source, (PLATFORM, REPORTED))


def _key(dimension: str, key: str):
    if key == NONE_KEY:
        return None
    return int(key) if dimension == "bank" else key


def rolled_figures(
    filters: ReportFilters, dimension: str, *, lo: dt.date | None, hi: dt.date | None
) -> dict[tuple, Split]:
    """Figures per group of ``dimension`` for loans disbursed ``lo``..``hi`` (inclusive; None: open), in two
    queries. Groups without a loan are left out."""
    sources = _sources(filters)
    days = Q()
    if lo is not None:
        days &= Q(day__gte=lo)
    if hi is not None:
        days &= Q(day__lte=hi)
    rows = (
        LoanDayFigure.objects.filter(days, dimension=dimension, source__in=sources)
        .values("source", "key")
        .annotate(amount_=Sum("amount"), count_=Sum("count"))
        .order_by()
    )
    result: dict[tuple, Split] = defaultdict(Split)
    for row in rows:
        if row["count_"]:
            part = result[(_key(dimension, row["key"]),)]
            setattr(part, row["source"], Figures(row["amount_"], row["count_"], 0))
    spans = Q()
    if lo is not None:
        spans &= Q(last_day__gte=lo)
    if hi is not None:
        spans &= Q(first_day__lte=hi)
    firms = (
        LoanFirmSpan.objects.filter(spans, dimension=dimension, source__in=sources)
        .values("key")
        .annotate(
            p=Count("pk", filter=Q(source=PLATFORM)),
            r=Count("pk", filter=Q(source=REPORTED)),
            t=Count("firm", distinct=True),
        )
        .order_by()
    )
    for row in firms:
        split = result.get((_key(dimension, row["key"]),))
        if split is not None:
            split.platform.firms, split.reported.firms, split.total.firms = row["p"], row["r"], row["t"]
    for split in result.values():
        split.total.amount = split.platform.amount + split.reported.amount
        split.total.count = split.platform.count + split.reported.count
    return dict(result)


def rolled_days(filters: ReportFilters, *, lo: dt.date, hi: dt.date) -> dict[dt.date, dict[str, tuple[Decimal, int]]]:
    """Amount and loans per day and source, ``lo``..``hi`` inclusive (one query, a row per day and source)."""
    rows = (
        LoanDayFigure.objects.filter(dimension=ALL, source__in=_sources(filters), day__gte=lo, day__lte=hi)
        .values_list("day", "source", "amount", "count")
        .order_by()
    )
    found: dict[dt.date, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    for day, source, amount, count in rows:
        if count:
            found[day][source] = (amount, count)
    return found


def rolled_firms(filters: ReportFilters, *, lo: dt.date, hi: dt.date, dimension: str = ALL, keys=None) -> dict:
    """Firms with a loan ``lo``..``hi`` (inclusive; exact as ``firms_exact`` says): per key, (platform, reported,
    both sources counted once)."""
    qs = LoanFirmSpan.objects.filter(
        dimension=dimension, source__in=_sources(filters), last_day__gte=lo, first_day__lte=hi
    )
    if keys is not None:
        qs = qs.filter(key__in=keys)
    rows = (
        qs.values("key")
        .annotate(
            p=Count("pk", filter=Q(source=PLATFORM)),
            r=Count("pk", filter=Q(source=REPORTED)),
            t=Count("firm", distinct=True),
        )
        .order_by()
    )
    return {row["key"]: (row["p"], row["r"], row["t"]) for row in rows}


def rolled_window_firms(
    filters: ReportFilters, windows: list[tuple[dt.date, dt.date]]
) -> dict[tuple[dt.date, dt.date], tuple[int, int, int]]:
    """Per window ``(lo, hi)`` (inclusive days): firms with a loan in it (platform, reported, both counted once),
    all windows in one query."""
    if not windows:
        return {}
    aggregates = {}
    for i, (lo, hi) in enumerate(windows):
        within = Q(last_day__gte=lo, first_day__lte=hi)
        aggregates |= {
            f"p{i}": Count("pk", filter=within & Q(source=PLATFORM)),
            f"r{i}": Count("pk", filter=within & Q(source=REPORTED)),
            f"t{i}": Count("firm", distinct=True, filter=within),
        }
    row = LoanFirmSpan.objects.filter(dimension=ALL, source__in=_sources(filters)).aggregate(**aggregates)
    return {w: (row[f"p{i}"], row[f"r{i}"], row[f"t{i}"]) for i, w in enumerate(windows)}
