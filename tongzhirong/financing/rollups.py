"""The financial office's rollups: amounts and loans per day and dashboard group, and each firm's first and last
day per group, kept in the same transaction as every loan written (platform loans on insert, reported loans on
import), so that the dashboard reads a few thousand rows instead of every loan.

Two tables, both keyed by ``source`` (``platform``, ``reported``; ``both`` for firms of either counted once),
``dimension`` and ``key``:

- ``LoanDayFigure``: per Asia/Shanghai day, the principal and the number of loans (any period adds up exactly),
  and the firms whose first and whose last loan in the group fall on that day (``firms_first``, ``firms_last``).
  The firms of a period that reaches back to the first loan are the sum of ``firms_first`` up to its end; of a
  period that reaches on to the last loan, the sum of ``firms_last`` from its start: exact, and read from the day
  rows alone whatever the number of firms. For a period strictly inside the data (a past month) the reporting
  selectors count firms from the loans themselves. The ``month`` dimension (key: the month's first day) gives the
  firms per month of the monthly series.
- ``LoanFirmSpan``: per firm (its USCC, so that a firm with loans of both sources counts once in the total), the
  first and last day it borrowed in the group: what the writers read (under a lock) to move those counts. Nothing
  on the dashboard reads it.

The dimensions: ``all`` (key ``""``), district, cluster, chain, bank, product type, IP type, size band, first-time
borrower, tech marker (a loan counts under every marker its borrower holds, or ``none``) and ``month``. A group
the loan has no value for is keyed ``NONE_KEY``. The groups are the borrower's as the loan is written;
``rollups_rebuild`` (``manage.py rebuild_rollups``) recomputes both tables from the loans. Nothing here imports
the loan models: they call ``rollup_record`` with plain values."""

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
BOTH = "both"  # firms of either source, counted once (the total's firms); its rows carry no amounts
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
    # Firms whose first (last) loan in the group falls on this day: the firms of a window reaching back to the
    # first loan are the sum of firms_first up to its end; of a window reaching on to the last, of firms_last
    # from its start. Read from this table alone, whatever the number of firms.
    firms_first = models.IntegerField(_("firms' first loans"), default=0)
    firms_last = models.IntegerField(_("firms' last loans"), default=0)

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
    """Add entries to both tables. A negative ``count`` takes a loan's figures out of a group and leaves spans as
    they are (the caller then sets them with ``span_set``). A handful of statements, whatever the number of loans."""
    figures: dict[tuple, list] = {}
    wanted: dict[tuple, list] = {}
    for entry in entries:
        for dimension, groups in entry.keys.items():
            for key in groups:
                _add(figures, (dimension, entry.day, entry.source, key), amount=entry.amount, count=entry.count)
                if entry.count > 0:
                    for source in (entry.source, BOTH):
                        span = wanted.setdefault((dimension, key, source, entry.firm), [entry.day, entry.day])
                        span[0], span[1] = min(span[0], entry.day), max(span[1], entry.day)
    with connection.cursor() as cursor:
        # New spans first (a concurrent writer of the same firm and group waits on this insert, so no first
        # loan is counted twice), then the others locked (PostgreSQL) and widened.
        inserted = _insert_new(cursor, wanted)
        for span_key in inserted:
            _move(figures, span_key, None, tuple(wanted[span_key]))
        current = _spans_locked(cursor, [k for k in wanted if k not in inserted])
        changed = []
        for span_key, old in current.items():
            lo, hi = wanted[span_key]
            new = (min(lo, old[0]), max(hi, old[1]))
            if new != old:
                _move(figures, span_key, old, new)
                changed.append((*span_key, *new))
        _write(cursor, figures, changed)


def span_set(firm_spans: dict[tuple, tuple[dt.date, dt.date] | None]) -> None:
    """Set spans to exactly these ``(first_day, last_day)`` (None: the firm has no loan left in the group),
    moving the first/last counts with them."""
    figures: dict[tuple, list] = {}
    with connection.cursor() as cursor:
        current = _spans_locked(cursor, list(firm_spans))
        changed, gone = [], []
        for span_key, new in firm_spans.items():
            old = current.get(span_key)
            if new != old:
                _move(figures, span_key, old, new)
                (changed.append((*span_key, *new)) if new is not None else gone.append(span_key))
        _write(cursor, figures, changed)
        for dimension, key, source, firm in gone:
            LoanFirmSpan.objects.filter(dimension=dimension, key=key, source=source, firm=firm).delete()


def _add(figures: dict, row: tuple, *, amount=Decimal(0), count=0, first=0, last=0) -> None:
    total = figures.setdefault(row, [Decimal(0), 0, 0, 0])
    total[0] += amount
    total[1] += count
    total[2] += first
    total[3] += last


def _move(figures: dict, span_key: tuple, old, new) -> None:
    """A firm's span in a group moves from ``old`` to ``new``: the days that count its first and last loan."""
    dimension, key, source, _firm = span_key
    for span, sign in ((old, -1), (new, 1)):
        if span is not None:
            _add(figures, (dimension, span[0], source, key), first=sign)
            _add(figures, (dimension, span[1], source, key), last=sign)


def _spans_locked(cursor, keys: list[tuple]) -> dict[tuple, tuple[dt.date, dt.date]]:
    """The stored spans of ``keys``, locked until the transaction ends (PostgreSQL), after making sure each has a
    row: a concurrent writer of the same firm and group waits on the insert, so no first loan is counted twice."""
    table = connection.ops.quote_name(LoanFirmSpan._meta.db_table)
    found: dict[tuple, tuple[dt.date, dt.date]] = {}
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        where = " OR ".join(["(dimension = %s AND key = %s AND source = %s AND firm = %s)"] * len(batch))
        cursor.execute(
            # The table's own name; every value is a parameter.
            f"SELECT dimension, key, source, firm, first_day, last_day FROM {table} WHERE {where}{lock}",  # noqa: S608
            [value for span_key in batch for value in span_key],
        )
        for dimension, key, source, firm, first, last in cursor.fetchall():
            found[(dimension, key, source, firm)] = (_date(first), _date(last))
    return found


def _insert_new(cursor, wanted: dict[tuple, list]) -> set[tuple]:
    table = connection.ops.quote_name(LoanFirmSpan._meta.db_table)
    rows = [(*k, lo, hi) for k, (lo, hi) in wanted.items()]
    inserted: set[tuple] = set()
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch))
        cursor.execute(
            # The table's own name; every value is a parameter.
            f"INSERT INTO {table} (dimension, key, source, firm, first_day, last_day) VALUES {values} "  # noqa: S608
            "ON CONFLICT (dimension, key, source, firm) DO NOTHING RETURNING dimension, key, source, firm",
            [value for row in batch for value in row],
        )
        inserted.update(tuple(row) for row in cursor.fetchall())
    return inserted


def _date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _write(cursor, figures: dict, spans: list[tuple]) -> None:
    _upsert(
        cursor,
        LoanDayFigure,
        ["dimension", "day", "source", "key", "amount", "count", "firms_first", "firms_last"],
        [(*k, *v) for k, v in figures.items()],
        conflict=["dimension", "day", "source", "key"],
        updates={c: f"{{t}}.{c} + excluded.{c}" for c in ("amount", "count", "firms_first", "firms_last")},
    )
    _upsert(
        cursor,
        LoanFirmSpan,
        ["dimension", "key", "source", "firm", "first_day", "last_day"],
        spans,
        conflict=["dimension", "key", "source", "firm"],
        updates={"first_day": "excluded.first_day", "last_day": "excluded.last_day"},
    )


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
