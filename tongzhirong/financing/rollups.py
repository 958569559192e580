"""The financial office's rollups: amounts and loans per day and dashboard group, and each firm's first and last
day per group, kept in the same transaction as every loan written (platform loans on insert, reported loans on
import), so that the dashboard reads a few thousand rows instead of every loan.

Two tables, both keyed by ``source`` (``platform``, ``reported``; ``both`` for firms of either counted once),
``dimension`` and ``key``:

- ``LoanDayFigure``: per Asia/Shanghai day, the principal and the number of loans (any period adds up exactly),
  and the firms whose first and whose last loan in the group fall on that day (``firms_first``, ``firms_last``).
  The firms of a period that reaches back to the first loan are the sum of ``firms_first`` up to its end; of a
  period that reaches on to the last loan, the sum of ``firms_last`` from its start: exact, and read from the day
  rows alone whatever the number of firms. For a period strictly inside the data the period-partitioned groups
  (``CROSSED``) answer the district report; other such windows are counted from the loans. The ``month``,
  ``quarter`` and ``year`` dimensions (key: the period's first day) give the firms per period of the volume series.
- ``LoanFirmSpan``: per firm (its USCC, so that a firm with loans of both sources counts once in the total), the
  first and last day it borrowed in the group: what the writers read (under a lock) to move those counts; coverage
  reads the ``all`` spans (which tech SMEs borrowed).

Beside them, the speed league's wait histogram (``LoanWaitFigure``) and the risk panel's book (``LoanBookFigure``,
kept by triggers on the loans table).

The dimensions: ``all`` (key ``""``), district, cluster, chain, bank, product type, IP type, size band, first-time
borrower, tech marker (a loan counts under every marker its borrower holds, or ``none``), ``month``, ``quarter``
and ``year``; and the crossed groups of ``CROSSED``: period-partitioned for the district report (district × month,
year and plan period; district × bank, chain and size band × month), and a bank's own (bank × month, quarter,
year and bank × each other dimension of the breakdowns, ``BANK_CROSSED``). A group
the loan has no value for is keyed ``NONE_KEY``. The groups are the borrower's as the loan is written;
``rollups_rebuild`` (``manage.py rebuild_rollups``) recomputes both tables from the loans. Nothing here imports
the loan models: they call ``rollup_record`` with plain values."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.money import WAN
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS, IPType

PLATFORM, REPORTED = "platform", "reported"
BOTH = "both"  # firms of either source, counted once (the total's firms); its rows carry no amounts
NONE_KEY = "~"  # a group the loan has no value for (a loan without pledged assets has no IP type)
ALL = "all"
MONTH, QUARTER, YEAR = "month", "quarter", "year"
PERIODS = (MONTH, QUARTER, YEAR)
# The plan period (2024-2026) as a period of its own: loans from its first day on; earlier loans have none.
PLAN = "plan"
PLAN_START = dt.date(2024, 1, 1)
# Groups partitioned by period, for firm counts of a window inside the data (the district's monthly report):
# each loan's group is its period's start (ISO day) and its groups of the named dimensions, joined by ``|``
# (``2026-06-01|320613|7``). A period's firms are all the group's firms (the sum of ``firms_first``); a
# window from the period's start, the sum of ``firms_first`` up to its end: exact, from the day rows alone.
# A group without a period (``None``) is keyed by its dimensions' keys alone and counts its firms as the plain
# dimensions do: ``firms_first`` up to a window's end, ``firms_last`` from its start.
CROSSED: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "dist_month": (MONTH, ("district",)),
    "dist_year": (YEAR, ("district",)),
    "dist_plan": (PLAN, ("district",)),
    "dist_bank_month": (MONTH, ("district", "bank")),
    "dist_chain_month": (MONTH, ("district", "chain")),
    "dist_size_month": (MONTH, ("district", "size_band")),
}
# A bank's own dashboard: its monthly (quarterly, yearly) series and its breakdowns, each a group of the bank
# crossed with the period or the dimension (``2026-06-01|7``, ``7|320613``), so that a bank's page reads its own
# day rows instead of its slice of the loans. Its breakdown by bank is its own ``bank`` group.
BANK_PERIODS = {period: f"bank_{period}" for period in PERIODS}
BANK_CROSSED_BY = {
    "district": "bank_district",
    "cluster": "bank_cluster",
    "chain": "bank_chain",
    "product_type": "bank_product",
    "ip_type": "bank_ip_type",
    "size_band": "bank_size",
    "first_time": "bank_first",
    "tech_marker": "bank_tech",
}
CROSSED |= {name: (period, ("bank",)) for period, name in BANK_PERIODS.items()}
CROSSED |= {name: (None, ("bank", by)) for by, name in BANK_CROSSED_BY.items()}
BANK_CROSSED = (*BANK_PERIODS.values(), *BANK_CROSSED_BY.values())
KEY_SEPARATOR = "|"
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
    key = models.CharField(_("group"), max_length=64)
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
        indexes = [
            # One bank's own groups among every bank's (``BANK_CROSSED``): its keys' prefix (``7|…``) or its
            # periods' keys, found by key instead of reading the whole dimension (at 100,000 loans a bank's chain
            # breakdown read 13,704 of 164,011 rows: 33 ms against a 245 ms scan). Pattern operators, so that a
            # prefix ``LIKE`` uses it whatever the database's collation (SQLite ignores them).
            models.Index(
                fields=["dimension", "key"],
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                condition=models.Q(dimension__in=BANK_CROSSED),
                name="loandayfigure_bank_groups",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.source} {self.dimension}={self.key}"


class LoanFirmSpan(models.Model):
    source = models.CharField(_("source"), max_length=8)
    dimension = models.CharField(_("dimension"), max_length=16)
    key = models.CharField(_("group"), max_length=64)
    firm = models.CharField(_("borrower USCC"), max_length=18)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("firm's span in a group")
        verbose_name_plural = _("firms' spans per group")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key", "source", "firm"], name="loanfirmspan_unique"),
        ]
        indexes = [
            # Coverage joins the tech SMEs to their first and last loan days: an index-only scan of the firms'
            # ``all`` spans on PostgreSQL (SQLite ignores include).
            models.Index(
                fields=["source", "firm"],
                include=["first_day", "last_day"],
                condition=models.Q(dimension="all"),
                name="loanfirmspan_all_firms",
            ),
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
    """A loan's entry under every dimension: its groups, plus ``all`` and its month, quarter and year."""
    keys = {dimension: [group_key(key) for key in keys] for dimension, keys in groups.items()}
    periods = {period: [period_start(day, period).isoformat()] for period in PERIODS}
    crossed = {}
    for name, (period, dimensions) in CROSSED.items():
        if period == PLAN and day < PLAN_START:
            continue
        start = () if period is None else (period_start(day, period).isoformat(),)
        combos = itertools.product(*(keys[dimension] for dimension in dimensions))
        crossed[name] = [KEY_SEPARATOR.join((*start, *combo)) for combo in combos]
    return RollupEntry(source, day, firm, amount, {ALL: [""], **keys, **periods, **crossed})


def period_start(day: dt.date, period: str) -> dt.date:
    if period == PLAN:
        return PLAN_START
    if period == YEAR:
        return day.replace(month=1, day=1)
    if period == QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


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


def _upsert_rows(model, columns: list[str], rows: list[tuple], *, conflict: list[str], updates: dict) -> None:
    with connection.cursor() as cursor:
        _upsert(cursor, model, columns, rows, conflict=conflict, updates=updates)


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


# --- The speed league's waits and the risk panel's book ------------------------------------------------------

# The waits' histogram: fine steps of 0.01 day (864 s), a tenth of the 0.1 day the league shows, and whole days
# (the coarse grain that finds the middle loans' day before the fine steps of that day are read).
WAIT_STEP_SECONDS = 864
DAY_SECONDS = 86_400
FINE, COARSE = 0, 1
WAIT_GRAINS = {FINE: WAIT_STEP_SECONDS, COARSE: DAY_SECONDS}


class LoanWaitFigure(models.Model):
    """Per bank and grain, the platform loans whose wait from the application's submission to disbursement falls
    in one step (``FINE``: 0.01 day; ``COARSE``: a whole day), and the sum of their waits (whole seconds): the
    speed league's medians from a few hundred rows. The median is the middle loans' fine steps' mean wait: exact
    when each of those steps holds loans of one wait (the sum says which), else within the step (0.01 day) of the
    exact one, a tenth of the 0.1 day the league shows. Kept by ``Loan.save`` when a loan is written (a loan's wait
    never changes); ``rebuild_rollups`` recomputes it."""

    bank = models.IntegerField(_("bank"))
    grain = models.SmallIntegerField(_("grain"), default=FINE)
    step = models.IntegerField(_("wait step"))
    count = models.IntegerField(_("loans"), default=0)
    seconds = models.BigIntegerField(_("waits' sum (seconds)"), default=0)

    class Meta:
        verbose_name = _("loan waits of a step")
        verbose_name_plural = _("loan waits per step")
        constraints = [models.UniqueConstraint(fields=["bank", "grain", "step"], name="loanwaitfigure_unique")]

    def __str__(self) -> str:
        return f"{self.bank} {self.grain} {self.step}"


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def wait_seconds(submitted_at: dt.datetime, disbursed_at: dt.datetime) -> int:
    """Whole seconds between two moments, each cut to its whole second (as the rebuild's SQL does)."""
    second = dt.timedelta(seconds=1)
    return (disbursed_at - _EPOCH) // second - (submitted_at - _EPOCH) // second


def wait_record(*, bank: int, seconds: int) -> None:
    _upsert_rows(
        LoanWaitFigure,
        ["bank", "grain", "step", "count", "seconds"],
        [(bank, grain, seconds // width, 1, seconds) for grain, width in WAIT_GRAINS.items()],
        conflict=["bank", "grain", "step"],
        updates={c: f"{{t}}.{c} + excluded.{c}" for c in ("count", "seconds")},
    )


class LoanBookFigure(models.Model):
    """The platform's book as the loans stand now, per bank, status and band of days past due (0: current; 1: 1 to
    ``DEFAULT_AFTER_DAYS``; 2: beyond): loans, outstanding and original principal. The risk panel reads these few
    hundred rows. Kept by database triggers on the loans table (``BOOK_TRIGGERS``), so every write — a repayment,
    a status change, the daily delinquency update, a bulk ``UPDATE`` or COPY — moves it in its own transaction.
    The triggers take the two rows a change moves in a fixed order (no deadlock between two single-loan
    transactions); ``rebuild_rollups`` recomputes it."""

    bank = models.IntegerField(_("bank"))
    status = models.CharField(_("status"), max_length=16)
    band = models.SmallIntegerField(_("days past due band"))
    loans = models.IntegerField(_("loans"), default=0)
    outstanding = models.DecimalField(_("outstanding principal (yuan)"), max_digits=20, decimal_places=2, default=0)
    principal = models.DecimalField(_("principal (yuan)"), max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("book figures of a status")
        verbose_name_plural = _("book figures per status")
        constraints = [models.UniqueConstraint(fields=["bank", "status", "band"], name="loanbookfigure_unique")]

    def __str__(self) -> str:
        return f"{self.bank} {self.status} {self.band}"


def book_band_sql(days: str) -> str:
    return f"CASE WHEN {days} > {DEFAULT_AFTER_DAYS} THEN 2 WHEN {days} > 0 THEN 1 ELSE 0 END"


def _book_upsert(row: str, sign: str) -> str:
    """SQLite's row trigger: adds (``sign`` +) or takes out (-) the loan ``row`` (NEW or OLD) from its book row."""
    return (
        # Trigger text: the columns of the loan row, no value from outside.
        "INSERT INTO financing_loanbookfigure (bank, status, band, loans, outstanding, principal) "  # noqa: S608
        f"VALUES ({row}.bank_id, {row}.status, {book_band_sql(f'{row}.days_past_due')}, {sign}1, "
        f"{sign}{row}.outstanding_principal, {sign}{row}.principal) "
        "ON CONFLICT (bank, status, band) DO UPDATE SET loans = loans + excluded.loans, "
        "outstanding = outstanding + excluded.outstanding, principal = principal + excluded.principal;"
    )


def _book_delta(parts: list[tuple[str, str]]) -> str:
    """PostgreSQL's statement trigger: the net change of the statement's rows (``parts``: transition table and
    sign) per book row, one upsert per row the statement moved, in key order (two statements moving loans between
    the same rows never deadlock). A row per loan would rewrite the same few book rows once per loan inside one
    transaction: a COPY or a bulk ``UPDATE`` of a million loans stacked a million versions on a handful of rows
    and ran for tens of minutes."""
    rows = " UNION ALL ".join(
        f"SELECT bank_id, status, {book_band_sql('days_past_due')} AS band, {sign}1 AS loans, "  # noqa: S608
        f"{sign}outstanding_principal AS outstanding, {sign}principal AS principal FROM {table}"
        for table, sign in parts
    )
    return (
        "INSERT INTO financing_loanbookfigure AS t (bank, status, band, loans, outstanding, principal) "  # noqa: S608
        f"SELECT bank_id, status, band, SUM(loans), SUM(outstanding), SUM(principal) FROM ({rows}) AS d "
        "GROUP BY bank_id, status, band "
        "HAVING SUM(loans) <> 0 OR SUM(outstanding) <> 0 OR SUM(principal) <> 0 ORDER BY bank_id, status, band "
        "ON CONFLICT (bank, status, band) DO UPDATE SET loans = t.loans + excluded.loans, "
        "outstanding = t.outstanding + excluded.outstanding, principal = t.principal + excluded.principal;"
    )


_BOOK_COLUMNS = "bank_id, status, days_past_due, outstanding_principal, principal"
_BOOK_EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}

BOOK_TRIGGERS = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION financing_loanbook_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_book_delta([('new_rows', '')])} "
        f"ELSIF TG_OP = 'DELETE' THEN {_book_delta([('old_rows', '-')])} "
        f"ELSE {_book_delta([('old_rows', '-'), ('new_rows', '')])} END IF; "
        "RETURN NULL; END $$",
        # An UPDATE trigger with transition tables takes no column list: every UPDATE statement runs it, and a
        # statement that changed none of the book's columns nets to nothing and writes nothing.
        *(
            f"CREATE TRIGGER financing_loanbook_{op} AFTER {op.upper()} ON financing_loan REFERENCING {tables} "
            "FOR EACH STATEMENT EXECUTE FUNCTION financing_loanbook_apply()"
            for op, tables in _BOOK_EVENTS.items()
        ),
    ],
    "sqlite": [
        f"CREATE TRIGGER financing_loanbook_insert AFTER INSERT ON financing_loan BEGIN {_book_upsert('NEW', '')} END",
        f"CREATE TRIGGER financing_loanbook_delete AFTER DELETE ON financing_loan BEGIN {_book_upsert('OLD', '-')} END",
        f"CREATE TRIGGER financing_loanbook_update AFTER UPDATE OF {_BOOK_COLUMNS} ON financing_loan "
        "WHEN OLD.bank_id IS NOT NEW.bank_id OR OLD.status IS NOT NEW.status OR OLD.days_past_due IS NOT "
        "NEW.days_past_due OR OLD.outstanding_principal IS NOT NEW.outstanding_principal OR OLD.principal IS NOT "
        f"NEW.principal BEGIN {_book_upsert('OLD', '-')} {_book_upsert('NEW', '')} END",
    ],
}
BOOK_TRIGGERS_DROP = {
    "postgresql": [
        # financing_loanbook_keep: the row trigger of financing 0015, replaced by the statement triggers in 0018.
        *(f"DROP TRIGGER IF EXISTS financing_loanbook_{op} ON financing_loan" for op in ("keep", *_BOOK_EVENTS)),
        "DROP FUNCTION IF EXISTS financing_loanbook_keep()",
        "DROP FUNCTION IF EXISTS financing_loanbook_apply()",
    ],
    "sqlite": [f"DROP TRIGGER IF EXISTS financing_loanbook_{op}" for op in ("insert", "delete", "update")],
}


# --- Each firm's first loan day, on the firm (coverage) -------------------------------------------------------

_FIRST_SPAN = (
    "(SELECT s.first_day FROM financing_loanfirmspan s WHERE s.dimension = 'all' AND s.source = 'both' "
    "AND s.firm = {uscc})"
)
_SPAN_ALL_BOTH = "{row}.dimension = 'all' AND {row}.source = 'both'"

# ``Enterprise.first_loan_on`` is the first day of the firm's ``all`` span of both sources: set from the span
# whenever the firm is written (so a save of a stale firm cannot undo it) and whenever the span is.
FIRST_LOAN_TRIGGERS = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION enterprise_first_loan_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.first_loan_on := {_FIRST_SPAN.format(uscc='NEW.uscc')}; RETURN NEW; END $$",
        "CREATE TRIGGER enterprise_first_loan_keep BEFORE INSERT OR UPDATE ON enterprises_enterprise "
        "FOR EACH ROW EXECUTE FUNCTION enterprise_first_loan_keep()",
        # Touching the firm runs the trigger above, which reads the span as it now is.
        "CREATE OR REPLACE FUNCTION financing_span_first_loan() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE enterprises_enterprise SET first_loan_on = NULL "
        "WHERE uscc = CASE WHEN TG_OP = 'DELETE' THEN OLD.firm ELSE NEW.firm END; RETURN NULL; END $$",
        "CREATE TRIGGER financing_span_first_loan_insert AFTER INSERT ON financing_loanfirmspan FOR EACH ROW "
        f"WHEN ({_SPAN_ALL_BOTH.format(row='NEW')}) EXECUTE FUNCTION financing_span_first_loan()",
        "CREATE TRIGGER financing_span_first_loan_update AFTER UPDATE ON financing_loanfirmspan FOR EACH ROW "
        f"WHEN ({_SPAN_ALL_BOTH.format(row='NEW')} AND OLD.first_day IS DISTINCT FROM NEW.first_day) "
        "EXECUTE FUNCTION financing_span_first_loan()",
        "CREATE TRIGGER financing_span_first_loan_delete AFTER DELETE ON financing_loanfirmspan FOR EACH ROW "
        f"WHEN ({_SPAN_ALL_BOTH.format(row='OLD')}) EXECUTE FUNCTION financing_span_first_loan()",
    ],
    "sqlite": [
        # SQLite's triggers do not run themselves again (recursive_triggers is off): the firm's own update below
        # does not loop.
        *(
            f"CREATE TRIGGER enterprise_first_loan_{op} AFTER {op.upper()} ON enterprises_enterprise BEGIN "  # noqa: S608 (trigger text, no outside value)
            f"UPDATE enterprises_enterprise SET first_loan_on = {_FIRST_SPAN.format(uscc='NEW.uscc')} "
            "WHERE id = NEW.id; END"
            for op in ("insert", "update")
        ),
        "CREATE TRIGGER financing_span_first_loan_insert AFTER INSERT ON financing_loanfirmspan "  # noqa: S608 (trigger text, no outside value)
        f"WHEN {_SPAN_ALL_BOTH.format(row='NEW')} BEGIN "
        "UPDATE enterprises_enterprise SET first_loan_on = NEW.first_day WHERE uscc = NEW.firm; END",
        "CREATE TRIGGER financing_span_first_loan_update AFTER UPDATE OF first_day ON financing_loanfirmspan "  # noqa: S608 (trigger text, no outside value)
        f"WHEN {_SPAN_ALL_BOTH.format(row='NEW')} BEGIN "
        "UPDATE enterprises_enterprise SET first_loan_on = NEW.first_day WHERE uscc = NEW.firm; END",
        "CREATE TRIGGER financing_span_first_loan_delete AFTER DELETE ON financing_loanfirmspan "  # noqa: S608 (trigger text, no outside value)
        f"WHEN {_SPAN_ALL_BOTH.format(row='OLD')} BEGIN "
        "UPDATE enterprises_enterprise SET first_loan_on = NULL WHERE uscc = OLD.firm; END",
    ],
}
FIRST_LOAN_TRIGGERS_DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS enterprise_first_loan_keep ON enterprises_enterprise",
        "DROP FUNCTION IF EXISTS enterprise_first_loan_keep()",
        *(
            f"DROP TRIGGER IF EXISTS financing_span_first_loan_{op} ON financing_loanfirmspan"
            for op in ("insert", "update", "delete")
        ),
        "DROP FUNCTION IF EXISTS financing_span_first_loan()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS enterprise_first_loan_insert",
        "DROP TRIGGER IF EXISTS enterprise_first_loan_update",
        *(f"DROP TRIGGER IF EXISTS financing_span_first_loan_{op}" for op in ("insert", "update", "delete")),
    ],
}


# --- Rights pledged for a large loan (the plan's high-value patents) -------------------------------------------

LARGE_LOAN = 1000 * WAN  # 1000万: a right pledged for a loan this large counts as high-value (CNIPA's reading)


class LargeLoanAsset(models.Model):
    """The rights pledged for a loan of ``LARGE_LOAN`` or more, once each: the indicators' high-value count reads
    this small table instead of joining every pledge to its loan. Written with the loan (``Loan.save``, a loan's
    principal and pledges are fixed at disbursement); ``rebuild_rollups`` recomputes it."""

    asset_id = models.BigIntegerField(_("IP asset"), unique=True)

    class Meta:
        verbose_name = _("right pledged for a large loan")
        verbose_name_plural = _("rights pledged for large loans")

    def __str__(self) -> str:
        return str(self.asset_id)


def large_loan_assets_record(asset_ids: Iterable[int]) -> None:
    rows = [(asset_id,) for asset_id in sorted(set(asset_ids))]
    if rows:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(LargeLoanAsset._meta.db_table)
            cursor.execute(
                # The table's own name; every value is a parameter.
                f"INSERT INTO {table} (asset_id) VALUES {', '.join(['(%s)'] * len(rows))} "  # noqa: S608
                "ON CONFLICT (asset_id) DO NOTHING",
                [asset_id for (asset_id,) in rows],
            )
