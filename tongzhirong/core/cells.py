"""Spreadsheet cells as people type them, and matching a file's headers to known columns.

Shared by the imports (IP assets, reported loans): full-width digits from Chinese input methods, dates as
2019年5月10日 or 20190510, 是/否, choices by their code or their English or Chinese label, lists split on
Chinese or Western separators. A parser returns the value or raises ``ValueError`` with a message for the row
report; ``row_problem`` is one line of that report."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from .errors import RowsRejected
from .money import AMOUNT_LIMIT

HEADER_ROW = 1


def typed(value: Any) -> str:
    """Text as the person meant it: full-width digits and letters from Chinese input methods become ASCII."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def header_key(name: str) -> str:
    return " ".join(typed(name).casefold().split())


def parse_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():  # a number typed into an XLSX cell: 12345678.0
        value = int(value)
    return str(value).strip()


_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = typed(value)
    match = _DATE_RE.fullmatch(text) or _COMPACT_DATE_RE.fullmatch(text)
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            pass
    raise ValueError(_("“%(value)s” is not a date; write it as 2019-05-10.") % {"value": value})


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(typed(value).replace(",", ""))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value}) from None


def parse_amount(value: Any) -> Decimal:
    try:
        number = Decimal(typed(value).replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value})
    if number < 0:  # the model's check constraint, which row validation does not run
        raise ValueError(_("An amount cannot be negative."))
    if number >= AMOUNT_LIMIT:  # more than a money column holds
        raise ValueError(_("“%(value)s” is too large for an amount.") % {"value": value})
    return number


_TRUE = {"true", "yes", "y", "1", "是", "有", "√", "✓"}
_FALSE = {"false", "no", "n", "0", "否", "无"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = header_key(parse_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(_("“%(value)s” is not yes or no; write 是 or 否.") % {"value": value})


_LIST_SPLIT = re.compile(r"[;；,，、\n]")


def parse_text_list(value: Any) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(parse_text(value)) if part.strip()]


def parse_int_list(value: Any) -> list[int]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [parse_int(value)]
    return [parse_int(part) for part in parse_text_list(value)]


_CJK = re.compile(r"[\u3400-\u9fff]")


@cache
def _aliases(choices: type[TextChoices]) -> dict[str, str]:
    """Every way a person may name a choice: its code, its English or Chinese label, or both as shown."""
    table = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        names = {value}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                text = str(label)
            names.add(text)
            cjk = _CJK.search(text)
            if cjk:
                names.update({text[: cjk.start()], text[cjk.start() :]})
        table.update({header_key(name): value for name in names if header_key(name)})
    return table


def parse_choice(choices: type[TextChoices]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        found = _aliases(choices).get(header_key(parse_text(value)))
        if found is None:
            raise ValueError(
                _("“%(value)s” is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices.values)}
            )
        return found

    return parse


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    parse: Callable[[Any], Any]
    required: bool = False


def chinese_label(label) -> str:
    with translation.override("zh-hans"):
        text = str(label)
    cjk = _CJK.search(text)
    return text[cjk.start() :] if cjk else text


def match_columns(
    rows: Sequence[Mapping[str, Any]], problems: list, columns: Sequence[Column], *, also_required: Iterable[str] = ()
) -> dict[str, Column]:
    """Header name → column of ``columns`` (by field name or Chinese name); header problems go to ``problems`` as
    row 1: unknown, repeated, and missing required columns (``also_required`` names more of them)."""
    by_name = {header_key(name): column for column in columns for name in (column.field, column.zh)}
    required = set(also_required)
    headers = list(dict.fromkeys(name for row in rows for name in row))
    matched: dict[str, Column] = {}
    given: dict[str, str] = {}
    for header in headers:
        column = by_name.get(header_key(header))
        if column is None:
            problems.append(row_problem(HEADER_ROW, header, _("Unknown column; use the columns of the template.")))
        elif column.field in given:
            problems.append(
                row_problem(
                    HEADER_ROW,
                    header,
                    _("This column repeats “%(other)s”.") % {"other": given[column.field]},
                )
            )
        else:
            matched[header] = column
            given[column.field] = header
    for column in columns:
        if (column.required or column.field in required) and column.field not in given:
            problems.append(
                row_problem(HEADER_ROW, column.field, _("The column is missing: add “%(zh)s”.") % {"zh": column.zh})
            )
    return matched


def row_problem(row: int, field: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "field": field, "message": str(message)}


# A report of thousands of lines helps nobody: the first ones show what to fix.
MAX_REPORTED = 500
# Values per lookup query, under SQLite's limit on query parameters.
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: list[int]
    dry_run: bool


def rows_rejected(problems: list[dict[str, Any]], *, rows: int) -> RowsRejected:
    """The import's refusal: every problem by row (the first ``MAX_REPORTED``), and nothing imported."""
    problems = sorted(problems, key=lambda p: p["row"])
    detail = _("%(problems)s problems in %(bad)s of %(rows)s rows; nothing was imported.") % {
        "problems": len(problems),
        "bad": len({p["row"] for p in problems}),
        "rows": rows,
    }
    if len(problems) > MAX_REPORTED:
        detail += " " + _("The first %(shown)s are listed.") % {"shown": MAX_REPORTED}
    return RowsRejected(problems[:MAX_REPORTED], detail=detail)
