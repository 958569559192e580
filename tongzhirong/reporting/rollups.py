"""Rebuilding the office's rollups (``financing.rollups``) from the loans themselves: the same groups the
reporting selectors compute from raw rows (``selectors.breakdowns.DIMENSIONS``), one ``INSERT … SELECT … GROUP BY``
per dimension and source, so that a million loans rebuild in the database without passing through Python.

Used by ``manage.py rebuild_rollups`` after bulk loads (``generate_load``) and by the migration that created the
tables; day to day the rollups are kept by every loan written (``Loan.save``, ``ReportedLoan.save``, the import)."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import CharField, Count, F, Max, Min, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce

from tongzhirong.financing.models import Loan
from tongzhirong.financing.rollups import (
    ALL,
    BOTH,
    MONTH,
    NONE_KEY,
    PLATFORM,
    REPORTED,
    TECH_MARKERS,
    LoanDayFigure,
    LoanFirmSpan,
)

from .models import ReportedLoan
from .selectors.breakdowns import DIMENSIONS
from .selectors.figures import LocalPeriodStart


def _text(expression):
    return Coalesce(Cast(expression, output_field=CharField()), Value(NONE_KEY), output_field=CharField())


def _groups(platform: QuerySet, reported: QuerySet):
    """(source, dimension, queryset, key expression) for every group the rollups hold."""
    for source, qs in ((PLATFORM, platform), (REPORTED, reported)):
        prefix = "borrower__" if source == PLATFORM else ""
        yield source, ALL, qs, Value("")
        for name, dimension in DIMENSIONS.items():
            yield source, name, qs, _text(dimension.platform if source == PLATFORM else dimension.reported)
        for marker in TECH_MARKERS:
            yield source, "tech_marker", qs.filter(**{prefix + marker: True}), Value(marker.removeprefix("is_"))
        none = qs.filter(**{prefix + marker: False for marker in TECH_MARKERS})
        yield source, "tech_marker", none, Value("none")


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


def rollups_rebuild() -> dict[str, int]:
    """Replace both rollup tables with what the loans say now, in one transaction."""
    day = LocalPeriodStart("disbursed_at", "day")
    month = _text(LocalPeriodStart("disbursed_at", "month"))
    platform, reported = Loan.objects.order_by(), ReportedLoan.objects.order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        LoanDayFigure.objects.all().delete()
        LoanFirmSpan.objects.all().delete()
        for source, dimension, qs, key in _groups(platform, reported):
            figures = (
                qs.annotate(day_=day, key_=key)
                .values("day_", "key_")
                .annotate(amount_=Sum("principal"), count_=Count("pk"))
            )
            _insert_select(cursor, LoanDayFigure, FIGURE_COLUMNS, [dimension, source, 0, 0], figures)
            _insert_select(cursor, LoanFirmSpan, SPAN_COLUMNS, [dimension, source], _spans(qs, source, key, day))
        for source, qs in ((PLATFORM, platform), (REPORTED, reported)):
            figures = (
                qs.annotate(day_=day, key_=month)
                .values("day_", "key_")
                .annotate(amount_=Sum("principal"), count_=Count("pk"))
            )
            _insert_select(cursor, LoanDayFigure, FIGURE_COLUMNS, [MONTH, source, 0, 0], figures)
            _insert_select(cursor, LoanFirmSpan, SPAN_COLUMNS, [MONTH, source], _spans(qs, source, month, day))
        _firm_counts(cursor)
    return {"figures": LoanDayFigure.objects.count(), "spans": LoanFirmSpan.objects.count()}


def _firm_counts(cursor) -> None:
    """The spans of both sources merged per firm, then each day's count of firms' first and last loans."""
    spans = connection.ops.quote_name(LoanFirmSpan._meta.db_table)
    figures = connection.ops.quote_name(LoanDayFigure._meta.db_table)
    cursor.execute(
        # The tables are the models' own; the values are parameters.
        f"INSERT INTO {spans} (dimension, source, key, firm, first_day, last_day) "  # noqa: S608
        f"SELECT dimension, %s, key, firm, MIN(first_day), MAX(last_day) FROM {spans} GROUP BY dimension, key, firm",
        [BOTH],
    )
    for column, day, counts in (("firms_first", "first_day", "COUNT(*), 0"), ("firms_last", "last_day", "0, COUNT(*)")):
        cursor.execute(
            f"INSERT INTO {figures} (dimension, day, source, key, amount, count, firms_first, firms_last) "  # noqa: S608
            f"SELECT dimension, {day}, source, key, 0, 0, {counts} "
            f"FROM {spans} WHERE 1 = 1 GROUP BY dimension, {day}, source, key "
            f"ON CONFLICT (dimension, day, source, key) DO UPDATE SET {column} = excluded.{column}"
        )


FIGURE_COLUMNS = ["dimension", "source", "firms_first", "firms_last", "day", "key", "amount", "count"]
SPAN_COLUMNS = ["dimension", "source", "key", "firm", "first_day", "last_day"]


def _spans(qs: QuerySet, source: str, key, day) -> QuerySet:
    firm = F("borrower__uscc") if source == PLATFORM else F("borrower_uscc")
    return qs.annotate(key_=key, firm_=firm).values("key_", "firm_").annotate(first_=Min(day), last_=Max(day))
