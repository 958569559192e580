"""Rebuilding the office's rollups (``financing.rollups``) from the loans themselves: the same groups the
reporting selectors compute from raw rows (``selectors.breakdowns.DIMENSIONS``), one ``INSERT … SELECT … GROUP BY``
per dimension and source, so that a million loans rebuild in the database without passing through Python.

Used by ``manage.py rebuild_rollups`` after bulk loads (``generate_load``) and by the migration that created the
tables; day to day the rollups are kept by every loan written (``Loan.save``, ``ReportedLoan.save``, the import)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import CharField, Count, F, Max, Min, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat

from tongzhirong.financing.models import Application, ApplicationAsset, Loan
from tongzhirong.financing.rollups import (
    ALL,
    BOTH,
    CROSSED,
    KEY_SEPARATOR,
    LARGE_LOAN,
    NONE_KEY,
    PERIODS,
    PLAN,
    PLAN_START,
    PLATFORM,
    REPORTED,
    TECH_MARKERS,
    WAIT_GRAINS,
    LargeLoanAsset,
    LoanBookFigure,
    LoanDayFigure,
    LoanFirmSpan,
    LoanWaitFigure,
    book_band_sql,
)

from .models import ReportedLoan
from .selectors.breakdowns import DIMENSIONS
from .selectors.figures import LocalPeriodStart
from .selectors.scope import day_start


def _text(expression):
    return Coalesce(Cast(expression, output_field=CharField()), Value(NONE_KEY), output_field=CharField())


def _groups(platform: QuerySet, reported: QuerySet):
    """(source, dimension, queryset, key expression) for every group the rollups hold."""
    for source, qs in ((PLATFORM, platform), (REPORTED, reported)):
        yield source, ALL, qs, Value("")
        for name, dimension in DIMENSIONS.items():
            yield source, name, qs, _text(dimension.platform if source == PLATFORM else dimension.reported)
        for flags, key in _marker_filters(source):
            yield source, "tech_marker", qs.filter(**flags), Value(key)


def _crossed_groups(platform: QuerySet, reported: QuerySet):
    """The crossed groups (``financing.rollups.CROSSED``): the key is the period's first day (if the group has a
    period) and the dimensions' keys, joined as ``loan_entry`` joins them. A tech marker, which a loan may hold
    several of, is one query per marker (and one for none), as for the plain dimension."""
    for name, (period, dimensions) in CROSSED.items():
        for source, qs in ((PLATFORM, platform), (REPORTED, reported)):
            parts = []
            if period == PLAN:
                qs, parts = qs.filter(disbursed_at__gte=day_start(PLAN_START)), [Value(PLAN_START.isoformat())]
            elif period is not None:
                parts = [_text(LocalPeriodStart("disbursed_at", period))]
            variants = [(qs, [])]
            for dimension in dimensions:
                if dimension == "tech_marker":
                    variants = [
                        (q.filter(**flags), [*ps, Value(key)])
                        for q, ps in variants
                        for flags, key in _marker_filters(source)
                    ]
                    continue
                expression = DIMENSIONS[dimension].platform if source == PLATFORM else DIMENSIONS[dimension].reported
                variants = [(q, [*ps, _text(expression)]) for q, ps in variants]
            for variant, keys in variants:
                joined = [*parts, *keys]
                with_separators = [joined[0]]
                for part in joined[1:]:
                    with_separators += [Value(KEY_SEPARATOR), part]
                yield source, name, variant, Concat(*with_separators, output_field=CharField())


def _marker_filters(source: str) -> list[tuple[dict, str]]:
    """(filter, key) per tech marker group of ``source``'s loans: each marker held, and none held."""
    prefix = "borrower__" if source == PLATFORM else ""
    held = [({prefix + marker: True}, marker.removeprefix("is_")) for marker in TECH_MARKERS]
    return [*held, ({prefix + marker: False for marker in TECH_MARKERS}, "none")]


def _insert_select(cursor, model, columns: list[str], constants: list, qs: QuerySet) -> None:
    """``INSERT INTO model's table (columns) SELECT constants, the queryset's named columns``."""
    sql, params = qs.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    picked = [
        f"sub.{connection.ops.quote_name(name)}" for name in [*qs.query.values_select, *qs.query.annotation_select]
    ]
    selected = ", ".join(["%s"] * len(constants) + picked)
    cursor.execute(
        # The tables and columns are the models' own; values are parameters.
        f"INSERT INTO {table} ({names}) SELECT {selected} FROM ({sql}) sub",  # noqa: S608
        [*constants, *params],
    )


def rollups_rebuild(*, dimensions: Iterable[str] | None = None) -> dict[str, int]:
    """Replace the rollup tables with what the loans say now, in one transaction; ``dimensions``: only the rows of
    these (a new dimension's first build), leaving the others and the waits and book as they are."""
    day = LocalPeriodStart("disbursed_at", "day")
    platform, reported = Loan.objects.order_by(), ReportedLoan.objects.order_by()
    wanted = set(dimensions) if dimensions is not None else None
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (LoanDayFigure, LoanFirmSpan):
            rows = model.objects.all() if wanted is None else model.objects.filter(dimension__in=wanted)
            rows.delete()
        groups = [*_groups(platform, reported)]
        for period in PERIODS:
            groups += [
                (source, period, qs, _text(LocalPeriodStart("disbursed_at", period)))
                for source, qs in ((PLATFORM, platform), (REPORTED, reported))
            ]
        groups += [*_crossed_groups(platform, reported)]
        for source, dimension, qs, key in groups:
            if wanted is not None and dimension not in wanted:
                continue
            figures = (
                qs.annotate(day_=day, key_=key)
                .values("day_", "key_")
                .annotate(amount_=Sum("principal"), count_=Count("pk"))
            )
            _insert_select(cursor, LoanDayFigure, FIGURE_COLUMNS, [dimension, source, 0, 0], figures)
            _insert_select(cursor, LoanFirmSpan, SPAN_COLUMNS, [dimension, source], _spans(qs, source, key, day))
        _firm_counts(cursor, wanted)
        if wanted is None:
            waits_and_book_rebuild()
    return {
        "figures": LoanDayFigure.objects.count(),
        "spans": LoanFirmSpan.objects.count(),
        "waits": LoanWaitFigure.objects.count(),
        "book": LoanBookFigure.objects.count(),
    }


def _epoch(column: str) -> str:
    """A moment's whole seconds since 1970 (cut, as ``financing.rollups.wait_seconds`` does)."""
    if connection.vendor == "sqlite":
        return f"CAST(strftime('%s', {column}) AS INTEGER)"  # run without parameters: no %% escape
    return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"


def waits_and_book_rebuild() -> None:
    """The speed league's wait histogram, the rights pledged for large loans and the risk panel's book from the
    loans (one ``INSERT … SELECT`` each). On
    PostgreSQL the loans are locked against writes meanwhile: the book's triggers move rows a concurrent write
    would otherwise count twice or lose."""
    waits, book = (connection.ops.quote_name(m._meta.db_table) for m in (LoanWaitFigure, LoanBookFigure))
    loans, applications = (connection.ops.quote_name(m._meta.db_table) for m in (Loan, Application))

    def step(n: int) -> str:
        return f"CASE WHEN w >= 0 THEN w / {n} ELSE -((-w + {n - 1}) / {n}) END"  # floor, as Python's //

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {loans} IN SHARE MODE")
        LoanWaitFigure.objects.all().delete()
        LoanBookFigure.objects.all().delete()
        for grain, width in WAIT_GRAINS.items():
            cursor.execute(
                # The tables are the models' own; nothing here comes from outside.
                f"INSERT INTO {waits} (bank, grain, step, count, seconds) "  # noqa: S608
                f"SELECT bank, {grain}, {step(width)}, COUNT(*), SUM(w) FROM (SELECT l.bank_id AS bank, "
                f"{_epoch('l.disbursed_at')} - {_epoch('a.submitted_at')} AS w FROM {loans} l "
                f"JOIN {applications} a ON a.id = l.application_id WHERE a.submitted_at IS NOT NULL) sub "
                f"GROUP BY bank, {step(width)}"
            )
        large = connection.ops.quote_name(LargeLoanAsset._meta.db_table)
        links = connection.ops.quote_name(ApplicationAsset._meta.db_table)
        LargeLoanAsset.objects.all().delete()
        cursor.execute(
            f"INSERT INTO {large} (asset_id) SELECT DISTINCT p.asset_id FROM {links} p "  # noqa: S608
            f"JOIN {loans} l ON l.application_id = p.application_id WHERE l.principal >= {LARGE_LOAN}"
        )
        band = book_band_sql("days_past_due")
        cursor.execute(
            f"INSERT INTO {book} (bank, status, band, loans, outstanding, principal) "  # noqa: S608
            f"SELECT bank_id, status, {band}, COUNT(*), SUM(outstanding_principal), SUM(principal) FROM {loans} "
            f"GROUP BY bank_id, status, {band}"
        )


def _firm_counts(cursor, dimensions: set[str] | None) -> None:
    """The spans of both sources merged per firm, then each day's count of firms' first and last loans (of
    ``dimensions`` only, when given)."""
    spans = connection.ops.quote_name(LoanFirmSpan._meta.db_table)
    figures = connection.ops.quote_name(LoanDayFigure._meta.db_table)
    only, params = "", []
    if dimensions is not None:
        only, params = f" AND dimension IN ({', '.join(['%s'] * len(dimensions))})", sorted(dimensions)
    cursor.execute(
        # The tables are the models' own; the values are parameters.
        f"INSERT INTO {spans} (dimension, source, key, firm, first_day, last_day) "  # noqa: S608
        f"SELECT dimension, %s, key, firm, MIN(first_day), MAX(last_day) FROM {spans} "
        f"WHERE source IN (%s, %s){only} GROUP BY dimension, key, firm",
        [BOTH, PLATFORM, REPORTED, *params],
    )
    for column, day, counts in (("firms_first", "first_day", "COUNT(*), 0"), ("firms_last", "last_day", "0, COUNT(*)")):
        cursor.execute(
            f"INSERT INTO {figures} (dimension, day, source, key, amount, count, firms_first, firms_last) "  # noqa: S608
            f"SELECT dimension, {day}, source, key, 0, 0, {counts} "
            f"FROM {spans} WHERE 1 = 1{only} GROUP BY dimension, {day}, source, key "
            f"ON CONFLICT (dimension, day, source, key) DO UPDATE SET {column} = excluded.{column}",
            params,
        )


FIGURE_COLUMNS = ["dimension", "source", "firms_first", "firms_last", "day", "key", "amount", "count"]
SPAN_COLUMNS = ["dimension", "source", "key", "firm", "first_day", "last_day"]


def _spans(qs: QuerySet, source: str, key, day) -> QuerySet:
    firm = F("borrower__uscc") if source == PLATFORM else F("borrower_uscc")
    return qs.annotate(key_=key, firm_=firm).values("key_", "firm_").annotate(first_=Min(day), last_=Max(day))
