"""The same figures read from the rollups (``financing.rollups``) instead of the loans: a few thousand rows per
request whatever the number of loans.

They hold the whole city by group and each bank's own book by group (its series and breakdowns: the bank-crossed
groups), so they answer the city-wide scope and a bank's (or the bank filter) without a district or cluster filter
(a filtered view reads the loans, which their indexes narrow to a slice). Amounts and loans
are exact for any period; firms are exact when the period reaches back to the first loan or on to the last one
(``firms_exact``), which the dashboard's windows do; otherwise the callers count firms from the loans."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Max, Min, Q, Sum

from tongzhirong.financing.rollups import (
    ALL,
    BANK_CROSSED_BY,
    BANK_PERIODS,
    BOTH,
    CROSSED,
    KEY_SEPARATOR,
    MONTH,
    NONE_KEY,
    PLATFORM,
    REPORTED,
    LoanDayFigure,
    period_start,
)

from .figures import Figures, Split
from .scope import ReportFilters, Scope, Source


def rollups_answer(scope: Scope, filters: ReportFilters) -> bool:
    return scope.city_wide and not (filters.district or filters.cluster or filters.bank)


def rolled_group(scope: Scope, filters: ReportFilters) -> tuple[str, str] | None:
    """The rollup group whose day rows answer the whole of a scope and filters, as (dimension, key): the city's
    ``all``, or one bank's ``bank`` rows for its own book (or the bank filter); None when a district or cluster
    narrows it (the day rows do not cross groups)."""
    if filters.district or filters.cluster:
        return None
    banks = {scope.bank_id, filters.bank} - {None}
    if not banks:
        return (ALL, "")
    return ("bank", str(banks.pop())) if len(banks) == 1 else None


def data_days() -> tuple[dt.date, dt.date] | None:
    """The first and last day with a loan of either source (two index lookups)."""
    row = LoanDayFigure.objects.filter(dimension=ALL).aggregate(lo=Min("day"), hi=Max("day"))
    return None if row["lo"] is None else (row["lo"], row["hi"])


def window_days(lo: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """``data_days()`` for a window with a first day, where ``firms_exact`` and ``_firms_column`` need it; None (no
    query) for a window open at the start, which both answer without it (every firm's first loan is in it)."""
    return None if lo is None else data_days()


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


def _firm_sources(filters: ReportFilters) -> tuple[str, ...]:
    return (*_sources(filters), BOTH) if filters.source == Source.ALL else _sources(filters)


def _firms_column(lo: dt.date | None, days: tuple[dt.date, dt.date] | None) -> str:
    """Which count gives the firms of a window ``firms_exact`` accepts: a window that reaches back to the first
    loan sums ``firms_first`` up to its end, else (it reaches on to the last loan) ``firms_last`` from its start."""
    return "firms_first" if lo is None or days is None or lo <= days[0] else "firms_last"


def _split_of(rows, key_of, filters: ReportFilters) -> dict:
    """Rows of (key, source, amount, count, firms) into Splits; the total's firms from ``both`` (or the one
    source asked for)."""
    result: dict = defaultdict(Split)
    for key, source, amount, count, firms in rows:
        split = result[key_of(key)]
        if source == BOTH:
            split.total.firms = firms
            continue
        setattr(split, source, Figures(amount, count, firms))
        split.total.amount += amount
        split.total.count += count
        if filters.source != Source.ALL:
            split.total.firms = firms
    return {key: split for key, split in result.items() if split.total.count}


def rolled_figures(
    filters: ReportFilters,
    dimension: str,
    *,
    lo: dt.date | None,
    hi: dt.date | None,
    days=None,
    group: tuple[str, str] = (ALL, ""),
) -> dict[tuple, Split]:
    """Figures per group of ``dimension`` for loans disbursed ``lo``..``hi`` (inclusive; None: open), a window
    ``firms_exact`` accepts, in one query over the day rows. Groups without a loan are left out. ``group`` (see
    ``rolled_group``): the city's, or one bank's own groups (``financing.rollups.BANK_CROSSED``)."""
    within = Q()
    if lo is not None:
        within &= Q(day__gte=lo)
    if hi is not None:
        within &= Q(day__lte=hi)
    name, part = dimension, lambda key: key
    if group != (ALL, ""):  # one bank's own book: its bank group, or its groups crossed with the dimension
        bank = group[1]
        if dimension == "bank":
            within &= Q(key=bank)
        else:
            dimension = BANK_CROSSED_BY[dimension]
            within &= Q(key__startswith=f"{bank}{KEY_SEPARATOR}")
            part = lambda key: key.split(KEY_SEPARATOR, 1)[1]  # noqa: E731
    firms = _firms_column(lo, days if days is not None else window_days(lo))
    rows = (
        LoanDayFigure.objects.filter(within, dimension=dimension, source__in=_firm_sources(filters))
        .values_list("key", "source")
        .annotate(Sum("amount"), Sum("count"), Sum(firms))
        .order_by()
    )
    return _split_of(rows, lambda key: (_key(name, part(key)),), filters)


def rolled_days(
    filters: ReportFilters, *, lo: dt.date, hi: dt.date, group: tuple[str, str] = (ALL, "")
) -> dict[dt.date, dict[str, tuple[Decimal, int]]]:
    """Amount and loans per day and source of ``group`` (see ``rolled_group``), ``lo``..``hi`` inclusive (one
    query, a row per day and source)."""
    dimension, key = group
    rows = (
        LoanDayFigure.objects.filter(
            dimension=dimension, key=key, source__in=_sources(filters), day__gte=lo, day__lte=hi
        )
        .values_list("day", "source", "amount", "count")
        .order_by()
    )
    found: dict[dt.date, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    for day, source, amount, count in rows:
        if count:
            found[day][source] = (amount, count)
    return found


def rolled_months(
    filters: ReportFilters, *, lo: dt.date, hi: dt.date, bucket: str = MONTH, group: tuple[str, str] = (ALL, "")
) -> dict[tuple, Split]:
    """Figures per month (quarter, year: ``bucket``) ``lo``..``hi``, where at most the first bucket starts after
    ``lo``'s bucket start or the last ends before ``hi``'s bucket end, not both in one bucket: a partial first
    bucket counts its firms by their last loan from ``lo``, any other by their first loan up to ``hi``. ``group``:
    the city's buckets, or one bank's (``financing.rollups.BANK_PERIODS``, keyed ``2026-06-01|7``)."""
    mine = Q(dimension=bucket)
    if group != (ALL, ""):  # one bank's buckets, by their keys (the period's first day, then the bank)
        starts, month = set(), lo.replace(day=1)
        while month <= hi:
            starts.add(period_start(month, bucket))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        keys = [f"{start.isoformat()}{KEY_SEPARATOR}{group[1]}" for start in sorted(starts)]
        mine = Q(dimension=BANK_PERIODS[bucket], key__in=keys)
    rows = (
        LoanDayFigure.objects.filter(mine, source__in=_firm_sources(filters), day__gte=lo, day__lte=hi)
        .values_list("key", "source")
        .annotate(Sum("amount"), Sum("count"), Sum("firms_first"), Sum("firms_last"))
        .order_by()
    )
    first = period_start(lo, bucket)
    partial = first.isoformat() if first < lo else None
    picked = []
    for key, source, amount, count, first_, last in rows:
        start = key.split(KEY_SEPARATOR)[0]  # a bank's bucket is keyed by its start, then the bank
        picked.append((start, source, amount, count, last if start == partial else first_))
    return _split_of(picked, lambda key: (dt.date.fromisoformat(key),), filters)


def rolled_window_firms(
    filters: ReportFilters,
    windows: list[tuple[dt.date, dt.date]],
    days: tuple[dt.date, dt.date] | None,
    group: tuple[str, str] = (ALL, ""),
) -> dict[tuple[dt.date, dt.date], tuple[int, int, int]]:
    """Per window ``(lo, hi)`` (inclusive days, each one ``firms_exact`` accepts): firms with a loan in it
    (platform, reported, both sources counted once), all windows in one query."""
    if not windows:
        return {}
    aggregates = {}
    for i, (lo, hi) in enumerate(windows):
        column = _firms_column(lo, days)
        aggregates[f"w{i}"] = Sum(column, filter=Q(day__gte=lo, day__lte=hi))
    rows = {
        row["source"]: row
        for row in LoanDayFigure.objects.filter(dimension=group[0], key=group[1], source__in=_firm_sources(filters))
        .values("source")
        .annotate(**aggregates)
        .order_by()
    }
    result = {}
    for i, window in enumerate(windows):
        p, r = (rows.get(source, {}).get(f"w{i}") or 0 for source in (PLATFORM, REPORTED))
        both = (rows.get(BOTH, {}).get(f"w{i}") or 0) if filters.source == Source.ALL else p + r
        result[window] = (p, r, both)
    return result


def rolled_crossed(filters: ReportFilters, dimension: str, lo: dt.date, hi: dt.date) -> dict[tuple, Split]:
    """Figures per group of a period-partitioned dimension (``financing.rollups.CROSSED``) for days ``lo``..``hi``,
    where ``lo`` is the start of every period the window touches (a month from its first day, the year to date,
    the plan to date): a group holds one period's loans, so its firms in the window are the sum of ``firms_first``
    up to ``hi``, exact. Keyed by the group's parts after the period (a bank as its id, no value as None)."""
    names = CROSSED[dimension][1]
    rows = (
        LoanDayFigure.objects.filter(dimension=dimension, source__in=_firm_sources(filters), day__gte=lo, day__lte=hi)
        .values_list("key", "source")
        .annotate(Sum("amount"), Sum("count"), Sum("firms_first"))
        .order_by()
    )

    def key_of(key: str) -> tuple:
        parts = key.split(KEY_SEPARATOR)[1:]
        return tuple(_key(name, part) for name, part in zip(names, parts, strict=True))

    return _split_of(rows, key_of, filters)
