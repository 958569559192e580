"""The financial office's rollups: amounts and loans per day and dashboard group, and each firm's first and last
day per group, kept in the same transaction as every loan written (platform loans on insert, reported loans on
import), so that the dashboard reads a few thousand rows instead of every loan.

Two tables, both keyed by ``source`` (``platform`` or ``reported``), ``dimension`` and ``key``:

- ``LoanDayFigure``: per Asia/Shanghai day, the principal and the number of loans. Any period adds up exactly.
- ``LoanFirmSpan``: per firm (its USCC, so that a firm with loans of both sources counts once in the total), the
  first and last day it borrowed in the group. The firms of a period ``[lo, hi]`` are those with
  ``first_day <= hi and last_day >= lo``: exact whenever the period reaches back to the first loan or forward to
  the last one (the dashboard's plan-to-date and year-to-date windows); for a period strictly inside the data the
  reporting selectors count firms from the loans themselves. The ``month`` dimension (key: the month's first day)
  gives exact firms per month for the monthly series.

The dimensions: ``all`` (key ``""``), district, cluster, chain, bank, product type, IP type, size band, first-time
borrower, tech marker (a loan counts under every marker its borrower holds, or ``none``) and ``month`` (spans
only). A group the loan has no value for is keyed ``NONE_KEY``. The groups are the borrower's as the loan is
written; ``rollups_rebuild`` (``manage.py rebuild_rollups``) recomputes both tables from the loans. Nothing here
imports the loan models: they call ``rollup_record`` with plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.money import WAN
from tongzhirong.core.reference import IPType

PLATFORM, REPORTED = "platform", "reported"
NONE_KEY = "~"  # a group the loan has no value for (a loan without pledged assets has no IP type)
ALL = "all"
MONTH = "month"
TECH_MARKERS = ("is_high_tech", "is_tech_sme", "is_specialised", "is_little_giant")

SIZE_BANDS: tuple[tuple[Decimal | None, str], ...] = (
    (100 * WAN, "under_1m"),
    (500 * WAN, "1m_to_5m"),
    (1000 * WAN, "5m_to_10m"),
    (2000 * WAN, "10m_to_20m"),
    (None, "20m_and_over"),
)

# A loan on several rights is counted under its leading one, in this order, so that the groups add up.
IP_TYPE_PRECEDENCE = (
    IPType.INVENTION_PATENT,
    IPType.UTILITY_MODEL,
    IPType.DESIGN_PATENT,
    IPType.SOFTWARE_COPYRIGHT,
    IPType.TRADEMARK,
    IPType.COPYRIGHT,
    IPType.IC_LAYOUT,
    IPType.GEOGRAPHICAL_INDICATION,
)


def leading_ip_type(ip_types: Iterable[str]) -> str:
    present = set(ip_types)
    return next((t.value for t in IP_TYPE_PRECEDENCE if t in present), "")


def size_band(principal: Decimal) -> str:
    return next(band for ceiling, band in SIZE_BANDS if ceiling is None or principal < ceiling)


def product_type(*, insured: bool, guaranteed: bool) -> str:
    if insured and guaranteed:
        return "insured_and_guaranteed"
    return "insured" if insured else "guaranteed" if guaranteed else "pledge_only"


def tech_marker_keys(flags: Mapping[str, bool]) -> list[str]:
    held = [marker.removeprefix("is_") for marker in TECH_MARKERS if flags.get(marker)]
    return held or ["none"]


def group_key(value) -> str:
    return NONE_KEY if value is None else str(value)


class LoanDayFigure(models.Model):
    day = models.DateField(_("day (Asia/Shanghai)"))
    source = models.CharField(_("source"), max_length=8)
    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.CharField(_("group"), max_length=40)
    amount = models.DecimalField(_("principal (yuan)"), max_digits=20, decimal_places=2, default=0)
    count = models.IntegerField(_("loans"), default=0)

    class Meta:
        verbose_name = _("loan figures of a day")
        verbose_name_plural = _("loan figures per day")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "day", "source", "key"], name="loandayfigure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.source} {self.dimension}={self.key}"


class LoanFirmSpan(models.Model):
    source = models.CharField(_("source"), max_length=8)
    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.CharField(_("group"), max_length=40)
    firm = models.CharField(_("borrower USCC"), max_length=18)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("firm's span in a group")
        verbose_name_plural = _("firms' spans per group")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "source", "firm"], name="loanfirmspan_unique"),
        ]
        indexes = [models.Index(fields=["dimension", "key", "last_day", "first_day"], name="loanfirmspan_window")]

    def __str__(self) -> str:
        return f"{self.firm} {self.source} {self.dimension}={self.key}"


@dataclass
class RollupEntry:
    """One loan's contribution: ``keys`` maps each dimension to its group keys (several for tech markers)."""

    source: str
    day: dt.date
    firm: str
    amount: Decimal
    keys: dict[str, list[str]] = field(default_factory=dict)
    count: int = 1


def loan_entry(*, source: str, day: dt.date, firm: str, amount: Decimal, groups: dict[str, list[str]]) -> RollupEntry:
    """A loan's entry under every dimension: its groups, plus ``all`` and its month."""
    keys = {dimension: [group_key(key) for key in keys] for dimension, keys in groups.items()}
    return RollupEntry(source, day, firm, amount, {ALL: [""], **keys, MONTH: [day.replace(day=1).isoformat()]})


def rollup_record(entries: Iterable[RollupEntry]) -> None:
    """Add entries to both tables (a negative ``count`` takes a loan's figures out of a group; its firm's span is
    then left as it is). Two statements, whatever the number of loans."""
    figures: dict[tuple, list] = {}
    spans: dict[tuple, list] = {}
    for entry in entries:
        for dimension, groups in entry.keys.items():
            for key in groups:
                if dimension != MONTH:
                    total = figures.setdefault((dimension, entry.day, entry.source, key), [Decimal(0), 0])
                    total[0] += entry.amount
                    total[1] += entry.count
                if entry.count > 0:
                    span = spans.setdefault((dimension, key, entry.source, entry.firm), [entry.day, entry.day])
                    span[0], span[1] = min(span[0], entry.day), max(span[1], entry.day)
    with connection.cursor() as cursor:
        _upsert(
            cursor,
            LoanDayFigure,
            ["dimension", "day", "source", "key", "amount", "count"],
            [(*k, a, c) for k, (a, c) in figures.items()],
            conflict=["dimension", "day", "source", "key"],
            updates={"amount": "{t}.amount + excluded.amount", "count": "{t}.count + excluded.count"},
        )
        _upsert(
            cursor,
            LoanFirmSpan,
            ["dimension", "key", "source", "firm", "first_day", "last_day"],
            [(*k, lo, hi) for k, (lo, hi) in spans.items()],
            conflict=["dimension", "key", "source", "firm"],
            updates={
                "first_day": _EARLIER.format(c="first_day"),
                "last_day": _EARLIER.format(c="last_day").replace("<", ">"),
            },
        )


# LEAST/GREATEST are PostgreSQL's and MIN/MAX(a, b) SQLite's: a CASE reads the same on both.
_EARLIER = "CASE WHEN excluded.{c} < {{t}}.{c} THEN excluded.{c} ELSE {{t}}.{c} END"

# Rows per statement: SQLite allows 32,766 parameters.
_BATCH = 4000


def _upsert(cursor, model, columns: list[str], rows: list[tuple], *, conflict: list[str], updates: dict) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sets = ", ".join(f"{connection.ops.quote_name(c)} = {sql.format(t=table)}" for c, sql in updates.items())
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        values = ", ".join([placeholders] * len(batch))
        cursor.execute(
            # Table and column names are the models' own; every value is a parameter.
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {sets}",
            [value for row in batch for value in row],
        )
