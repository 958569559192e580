"""The registers' counts behind the plan's indicators and the coverage figure, kept by the database in the same
transaction as every write of an IP right, a firm or a large loan's pledged right, so that those figures read a few
thousand rows instead of the whole IP register and every firm (the national register is tens of millions of rights).

- ``RegisterFigure``: rights per IP type, state (``live``: not archived and legally valid), ``distinguished`` (an
  overseas family member, a China Patent Award or pledged for a loan of ``LARGE_LOAN`` or more: what makes a valid
  invention patent high-value whatever its age) and day, once under ``filed`` (the filing day: a patent maintained
  over ten years is one filed more than ten years before the day asked about) and once under ``granted`` (the grant
  or registration day, for rights that have one: the year's copyright registrations up to any day).
- ``FirmFigure``: firms per tech-SME flag, IP-management certification and whether their credit history shows an
  earlier IP pledge loan; ``FirstLoanFigure``: the firms with an IP pledge loan by the same flags and their first
  loan's day (``Enterprise.first_loan_on``, itself kept from the firms' spans). A firm's first loan moves only its
  day's row, not a row every firm shares.

All three are moved by database triggers (``REGISTER_TRIGGERS``): on the rights, on the rights pledged for large
loans (``financing.LargeLoanAsset``: a right becomes distinguished when it is first pledged for one) and on the
firms (whose first loan day the spans' triggers set through an update of the firm). So a bulk ``UPDATE``, a COPY
or a status change moves them as ``save()`` does. On PostgreSQL they are statement-level triggers over the
statement's transition tables: one aggregated upsert per statement, whatever the number of rows (per-row upserts
of a few shared rows inside one bulk transaction leave a chain of row versions each upsert walks: quadratic), the
rows written in key order (two transactions never deadlock on them). SQLite runs the same upserts per row. The
rows of a day or a flag set are shared, so concurrent writers of the same kind queue on one row until commit; a
job that changes many firms or rights one statement each inside one transaction should batch its statements.
``registers_rebuild`` (part of ``manage.py rebuild_rollups``) recomputes them from the rows."""

from __future__ import annotations

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from tongzhirong.assets.models import Award, LegalStatus

FILED, GRANTED = "filed", "granted"
# CNIPA's high-value reading counts a China Patent Award (gold, silver, excellence), not a provincial one.
HIGH_VALUE_AWARDS = (Award.CHINA_PATENT_GOLD, Award.CHINA_PATENT_SILVER, Award.CHINA_PATENT_EXCELLENCE)


class RegisterFigure(models.Model):
    dimension = models.CharField(_("dimension"), max_length=8)
    day = models.DateField(_("day"))
    ip_type = models.CharField(_("IP type"), max_length=32)
    live = models.BooleanField(_("valid and not archived"))
    distinguished = models.BooleanField(_("overseas family, China Patent Award or pledged for 1000万+"))
    rights = models.IntegerField(_("rights"), default=0)

    class Meta:
        verbose_name = _("IP register figures of a day")
        verbose_name_plural = _("IP register figures per day")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "ip_type", "live", "distinguished", "day"], name="registerfigure_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.day} {self.ip_type}"


class FirmFigure(models.Model):
    is_tech_sme = models.BooleanField(_("tech-based SME 科技型中小企业"))
    is_ip_certified = models.BooleanField(_("IP management certified 贯标"))
    prior_loans = models.BooleanField(_("earlier IP pledge loans"))
    firms = models.IntegerField(_("firms"), default=0)

    class Meta:
        verbose_name = _("firm register figures")
        verbose_name_plural = _("firm register figures")
        constraints = [
            models.UniqueConstraint(fields=["is_tech_sme", "is_ip_certified", "prior_loans"], name="firmfigure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.is_tech_sme} {self.is_ip_certified} {self.prior_loans}"


class FirstLoanFigure(models.Model):
    first_loan_on = models.DateField(_("first IP pledge loan on"))
    is_tech_sme = models.BooleanField(_("tech-based SME 科技型中小企业"))
    prior_loans = models.BooleanField(_("earlier IP pledge loans"))
    firms = models.IntegerField(_("firms"), default=0)

    class Meta:
        verbose_name = _("firms' first loans of a day")
        verbose_name_plural = _("firms' first loans per day")
        constraints = [
            models.UniqueConstraint(
                fields=["is_tech_sme", "prior_loans", "first_loan_on"], name="firstloanfigure_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_loan_on} {self.is_tech_sme}"


# --- What one row counts under, as SQL over a row reference (NEW, OLD, a transition table or a table alias) ------

_ASSETS, _FIRMS, _LARGE = "assets_ipasset", "enterprises_enterprise", "financing_largeloanasset"
_REGISTER, _FIRM_FIGURES, _FIRST_LOANS = "reporting_registerfigure", "reporting_firmfigure", "reporting_firstloanfigure"
_REGISTER_KEY = ("dimension", "ip_type", "live", "distinguished", "day")
_FIRM_KEY = ("is_tech_sme", "is_ip_certified", "prior_loans")
_FIRST_LOAN_KEY = ("is_tech_sme", "prior_loans", "first_loan_on")


def _live(r: str) -> str:
    return f"({r}.archived_at IS NULL AND {r}.legal_status = '{LegalStatus.VALID.value}')"


def _marked(r: str) -> str:
    """Distinguished by the right itself (the large-loan pledge is the other way)."""
    awards = ", ".join(f"'{award.value}'" for award in HIGH_VALUE_AWARDS)
    return f"({r}.overseas_family_members > 0 OR {r}.award IN ({awards}))"


def _distinguished(r: str) -> str:
    return f"({_marked(r)} OR EXISTS (SELECT 1 FROM {_LARGE} x WHERE x.asset_id = {r}.id))"  # noqa: S608 (SQL text)


def _right_rows(r: str, n: str, source: str = "", *, distinguished: str | None = None, where: str = "1 = 1") -> list:
    """The SELECTs of each right's two contributions (filing day; grant day when it has one), ``n`` each, for the
    rights ``r`` of ``source`` (a FROM clause; none for a trigger's NEW or OLD)."""
    flag = _distinguished(r) if distinguished is None else distinguished

    def select(dimension: str, day: str, condition: str) -> str:
        return (
            f"SELECT '{dimension}' AS dimension, {r}.ip_type AS ip_type, {_live(r)} AS live, {flag} AS distinguished, "
            f"{day} AS day, {n} AS n {source} WHERE {condition}"
        )

    return [
        select(FILED, f"{r}.filing_date", where),
        select(GRANTED, f"{r}.grant_date", f"{where} AND {r}.grant_date IS NOT NULL"),
    ]


def _firm_rows(r: str, n: str, source: str = "") -> list:
    return [
        f"SELECT {r}.is_tech_sme AS is_tech_sme, {r}.is_ip_certified AS is_ip_certified, "
        f"{r}.prior_ip_loans > 0 AS prior_loans, {n} AS n {source} WHERE 1 = 1"
    ]


def _first_loan_rows(r: str, n: str, source: str = "") -> list:
    return [
        f"SELECT {r}.is_tech_sme AS is_tech_sme, {r}.prior_ip_loans > 0 AS prior_loans, "
        f"{r}.first_loan_on AS first_loan_on, {n} AS n {source} WHERE {r}.first_loan_on IS NOT NULL"
    ]


def _move(table: str, key: tuple[str, ...], count: str, rows: list[str]) -> str:
    """One upsert adding the rows' ``n`` to their keys' counts: netted per key (a change that leaves a row's count
    as it was writes nothing) and in key order, so that two transactions writing the same rows take them in one
    order."""
    keys = ", ".join(key)
    return (
        # Trigger text: the rows' own columns, no value from outside.
        f"INSERT INTO {table} ({keys}, {count}) SELECT {keys}, SUM(n) FROM ({' UNION ALL '.join(rows)}) c "  # noqa: S608
        f"WHERE 1 = 1 GROUP BY {keys} HAVING SUM(n) <> 0 ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {count} = {table}.{count} + excluded.{count};"
    )


def _right_moves(rows) -> list[str]:
    """``rows(r, n, source)`` gives a set of rows' SELECTs; the upserts that add them."""
    return [_move(_REGISTER, _REGISTER_KEY, "rights", rows(_right_rows))]


def _firm_moves(rows) -> list[str]:
    return [
        _move(_FIRM_FIGURES, _FIRM_KEY, "firms", rows(_firm_rows)),
        _move(_FIRST_LOANS, _FIRST_LOAN_KEY, "firms", rows(_first_loan_rows)),
    ]


def _changed(columns: list[str]) -> str:
    return " OR ".join(f"{c.format(r='OLD')} IS NOT {c.format(r='NEW')}" for c in columns)


# The columns a right's or a firm's contributions depend on (the large-loan pledge has triggers of its own).
_RIGHT_COLUMNS = [
    "{r}.ip_type",
    "{r}.legal_status",
    "({r}.archived_at IS NULL)",
    "{r}.filing_date",
    "{r}.grant_date",
    "({r}.overseas_family_members > 0)",
    "{r}.award",
]
_FIRM_COLUMNS = ["{r}.first_loan_on", "{r}.is_tech_sme", "{r}.is_ip_certified", "({r}.prior_ip_loans > 0)"]


def _pledged_moves(source: str, asset: str, sign: int) -> list[str]:
    """Rights first pledged for a large loan (``sign`` 1) or no longer (-1): unless a right is distinguished by
    itself, its two contributions move between not distinguished and distinguished."""
    where = f"a.id = {asset} AND NOT {_marked('a')}"
    rows = [
        *_right_rows("a", str(-sign), source, distinguished="false", where=where),
        *_right_rows("a", str(sign), source, distinguished="true", where=where),
    ]
    return [_move(_REGISTER, _REGISTER_KEY, "rights", rows)]


def _postgresql() -> list[str]:
    statements = []
    for name, table, moves in (("register", _ASSETS, _right_moves), ("firm", _FIRMS, _firm_moves)):
        inserted = moves(lambda make: make("r", "1", "FROM new_rows r"))
        deleted = moves(lambda make: make("r", "-1", "FROM old_rows r"))
        updated = moves(lambda make: [*make("r", "-1", "FROM old_rows r"), *make("r", "1", "FROM new_rows r")])
        statements += [
            f"CREATE OR REPLACE FUNCTION reporting_{name}_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {' '.join(inserted)} ELSIF TG_OP = 'DELETE' THEN {' '.join(deleted)} "
            f"ELSE {' '.join(updated)} END IF; RETURN NULL; END $$",
            # Statement-level, over the statement's rows (an AFTER trigger's rows are as the BEFORE triggers left
            # them: the firm's first loan day).
            f"CREATE TRIGGER reporting_{name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION reporting_{name}_keep()",
            f"CREATE TRIGGER reporting_{name}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION reporting_{name}_keep()",
            f"CREATE TRIGGER reporting_{name}_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reporting_{name}_keep()",
        ]
    # The rights are locked first: a concurrent change of one waits (or is waited for) and is then read as
    # committed, so the pledge and the change are each counted once.
    lock = f"PERFORM 1 FROM {_ASSETS} a WHERE a.id IN (SELECT asset_id FROM {{t}}) ORDER BY a.id FOR UPDATE;"  # noqa: S608
    pledged = " ".join(_pledged_moves(f"FROM new_rows p JOIN {_ASSETS} a ON a.id = p.asset_id", "p.asset_id", 1))
    released = " ".join(_pledged_moves(f"FROM old_rows p JOIN {_ASSETS} a ON a.id = p.asset_id", "p.asset_id", -1))
    statements += [
        "CREATE OR REPLACE FUNCTION reporting_register_pledged() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {lock.format(t='new_rows')} {pledged} "
        f"ELSE {lock.format(t='old_rows')} {released} END IF; RETURN NULL; END $$",
        f"CREATE TRIGGER reporting_register_pledged_insert AFTER INSERT ON {_LARGE} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION reporting_register_pledged()",
        f"CREATE TRIGGER reporting_register_pledged_delete AFTER DELETE ON {_LARGE} REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION reporting_register_pledged()",
    ]
    return statements


def _sqlite() -> list[str]:
    statements = []
    for name, table, moves, columns in (
        ("register", _ASSETS, _right_moves, _RIGHT_COLUMNS),
        ("firm", _FIRMS, _firm_moves, _FIRM_COLUMNS),
    ):
        inserted = " ".join(moves(lambda make: make("NEW", "1")))
        deleted = " ".join(moves(lambda make: make("OLD", "-1")))
        updated = " ".join(moves(lambda make: [*make("OLD", "-1"), *make("NEW", "1")]))
        # The firms' own first-loan triggers update the firm after it is written; SQLite runs this update trigger
        # for that update too (only a trigger already running is not run again).
        statements += [
            f"CREATE TRIGGER reporting_{name}_insert AFTER INSERT ON {table} BEGIN {inserted} END",
            f"CREATE TRIGGER reporting_{name}_delete AFTER DELETE ON {table} BEGIN {deleted} END",
            f"CREATE TRIGGER reporting_{name}_update AFTER UPDATE ON {table} WHEN {_changed(columns)} "
            f"BEGIN {updated} END",
        ]
    source = f"FROM {_ASSETS} a"
    statements += [
        f"CREATE TRIGGER reporting_register_pledged_insert AFTER INSERT ON {_LARGE} BEGIN "
        f"{' '.join(_pledged_moves(source, 'NEW.asset_id', 1))} END",
        f"CREATE TRIGGER reporting_register_pledged_delete AFTER DELETE ON {_LARGE} BEGIN "
        f"{' '.join(_pledged_moves(source, 'OLD.asset_id', -1))} END",
    ]
    return statements


REGISTER_TRIGGERS = {"postgresql": _postgresql(), "sqlite": _sqlite()}
_OPS = ("insert", "delete", "update")
_TRIGGERS_ON = [
    *((f"reporting_{name}_{op}", table) for name, table in (("register", _ASSETS), ("firm", _FIRMS)) for op in _OPS),
    *((f"reporting_register_pledged_{op}", _LARGE) for op in ("insert", "delete")),
]
REGISTER_TRIGGERS_DROP = {
    "postgresql": [
        *(f"DROP TRIGGER IF EXISTS {trigger} ON {table}" for trigger, table in _TRIGGERS_ON),
        *(f"DROP FUNCTION IF EXISTS reporting_{name}()" for name in ("register_keep", "firm_keep", "register_pledged")),
    ],
    "sqlite": [f"DROP TRIGGER IF EXISTS {trigger}" for trigger, _table in _TRIGGERS_ON],
}


def registers_rebuild() -> dict[str, int]:
    """The three tables from the rights, the firms and the large loans' pledged rights, one ``INSERT … SELECT …
    GROUP BY`` each. On PostgreSQL those tables are locked against writes meanwhile (their triggers would otherwise
    move rows the rebuild is replacing)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {_ASSETS}, {_FIRMS}, {_LARGE} IN SHARE MODE")
        for table, key, count, rows in (
            (_REGISTER, _REGISTER_KEY, "rights", _right_rows("a", "1", f"FROM {_ASSETS} a")),
            (_FIRM_FIGURES, _FIRM_KEY, "firms", _firm_rows("e", "1", f"FROM {_FIRMS} e")),
            (_FIRST_LOANS, _FIRST_LOAN_KEY, "firms", _first_loan_rows("e", "1", f"FROM {_FIRMS} e")),
        ):
            keys = ", ".join(key)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (the models' own tables)
            cursor.execute(
                # The tables and columns are the models' own; nothing here comes from outside.
                f"INSERT INTO {table} ({keys}, {count}) SELECT {keys}, SUM(n) FROM ({' UNION ALL '.join(rows)}) c "  # noqa: S608
                f"GROUP BY {keys}"
            )
    return {
        "register_figures": RegisterFigure.objects.count(),
        "firm_figures": FirmFigure.objects.count(),
        "first_loan_figures": FirstLoanFigure.objects.count(),
    }
