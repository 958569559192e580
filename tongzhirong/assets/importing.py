"""Registering many IP rights at once from a spreadsheet (read by ``tongzhirong.core.tabular``).

All or nothing: every row is converted and checked with the rules of ``ip_asset_register`` (the model's
``full_clean``: field types and choices, identifiers, dates, statutory terms), and the one-live-record rule is
checked for the whole file at once, against the platform and within the file, all before anything is written;
one problem anywhere and nothing is, and the report names every problem by row and column. Columns are the
model's field names or the Chinese names of ``COLUMNS``; a value may be typed as people type it (full-width
digits, 2019年5月10日, 是/否, choices by their Chinese names)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from tongzhirong.core.errors import RowsRejected, from_django_validation
from tongzhirong.core.reference import IPType
from tongzhirong.enterprises.models import Enterprise

from .models import Award, CoOwner, IPAsset, LegalStatus
from .services import _ensure_owner

HEADER_ROW = 1
# A report of thousands of lines helps nobody: the first ones show what to fix.
MAX_REPORTED = 500
# Identifiers per duplicate lookup, under SQLite's limit on query parameters.
LOOKUP_BATCH = 500


def _typed(value: Any) -> str:
    """Text as the person meant it: full-width digits and letters from Chinese input methods become ASCII."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _key(name: str) -> str:
    return " ".join(_typed(name).casefold().split())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():  # a number typed into an XLSX cell: 12345678.0
        value = int(value)
    return str(value).strip()


_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _typed(value)
    match = _DATE_RE.fullmatch(text) or _COMPACT_DATE_RE.fullmatch(text)
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            pass
    raise ValueError(_("“%(value)s” is not a date; write it as 2019-05-10.") % {"value": value})


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(_typed(value).replace(",", ""))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value}) from None


def _decimal(value: Any) -> Decimal:
    try:
        number = Decimal(_typed(value).replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value})
    if number < 0:  # the model's check constraint, which row validation does not run
        raise ValueError(_("An amount cannot be negative."))
    return number


_TRUE = {"true", "yes", "y", "1", "是", "有", "√", "✓"}
_FALSE = {"false", "no", "n", "0", "否", "无"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = _key(_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(_("“%(value)s” is not yes or no; write 是 or 否.") % {"value": value})


_LIST_SPLIT = re.compile(r"[;；,，、\n]")


def _text_list(value: Any) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(_text(value)) if part.strip()]


def _int_list(value: Any) -> list[int]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [_int(value)]
    return [_int(part) for part in _text_list(value)]


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
        table.update({_key(name): value for name in names if _key(name)})
    return table


def _choice(choices: type[TextChoices]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        found = _aliases(choices).get(_key(_text(value)))
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


COLUMNS: tuple[Column, ...] = (
    Column("ip_type", "知识产权类型", _choice(IPType), required=True),
    Column("identifier", "申请号/注册号", _text, required=True),
    Column("title", "名称", _text, required=True),
    Column("filing_date", "申请日", _date, required=True),
    Column("grant_date", "授权日", _date),
    Column("expiry_date", "届满日", _date),
    Column("legal_status", "法律状态", _choice(LegalStatus)),
    Column("annual_fee_paid_through", "年费缴至", _date),
    Column("invalidation_pending", "无效宣告中", _bool),
    Column("ownership_dispute", "权属纠纷", _bool),
    Column("court_preservation", "法院保全", _bool),
    Column("licence_count", "许可次数", _int),
    Column("licence_revenue", "许可收入（元/年）", _decimal),
    Column("ipc_classes", "IPC分类号", _text_list),
    Column("claims_count", "权利要求数", _int),
    Column("forward_citations", "被引次数", _int),
    Column("backward_citations", "引用次数", _int),
    Column("family_size", "同族数量", _int),
    Column("overseas_family_members", "海外同族数量", _int),
    Column("award", "获奖", _choice(Award)),
    Column("nice_classes", "尼斯分类", _int_list),
    Column("renewals", "续展次数", _int),
    Column("co_owners", "共有人", _text_list),
)

# The template's example: a granted invention patent, co-owned with a university.
EXAMPLE = {
    "ip_type": IPType.INVENTION_PATENT.value,
    "identifier": "201710601862.3",
    "title": "一种高强度化学纤维的制备方法",
    "filing_date": dt.date(2017, 7, 27),
    "grant_date": dt.date(2019, 11, 5),
    "expiry_date": dt.date(2037, 7, 27),
    "legal_status": LegalStatus.VALID.value,
    "annual_fee_paid_through": dt.date(2026, 7, 27),
    "invalidation_pending": "否",
    "ownership_dispute": "否",
    "court_preservation": "否",
    "licence_count": 1,
    "licence_revenue": "200000.00",
    "ipc_classes": "D01F 6/60; D01D 5/08",
    "claims_count": 10,
    "forward_citations": 3,
    "backward_citations": 8,
    "family_size": 1,
    "overseas_family_members": 0,
    "award": "",
    "nice_classes": "",
    "renewals": 0,
    "co_owners": "南通大学",
}


def template_headers(*, chinese: bool) -> list[str]:
    return [column.zh if chinese else column.field for column in COLUMNS]


def template_rows(*, chinese: bool) -> list[list[Any]]:
    """One example row; in the Chinese template choices are shown by their Chinese names."""
    example = dict(EXAMPLE)
    if chinese:
        example["ip_type"] = _chinese_label(IPType(example["ip_type"]).label)
        example["legal_status"] = _chinese_label(LegalStatus(example["legal_status"]).label)
    return [[example[column.field] for column in COLUMNS]]


def _chinese_label(label) -> str:
    with translation.override("zh-hans"):
        text = str(label)
    cjk = _CJK.search(text)
    return text[cjk.start() :] if cjk else text


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: list[int]
    dry_run: bool


@dataclass
class _Checked:
    number: int
    asset: IPAsset
    co_owners: list[str]


def ip_assets_import(
    *, actor, owner: Enterprise, rows: Sequence[Mapping[str, Any]], dry_run: bool = False
) -> ImportResult:
    """Register every row of ``rows`` (dicts keyed by column name, e.g. from ``read_table``) as an IP asset
    of ``owner`` in one transaction, or none of them: raises ``RowsRejected`` listing every problem.
    ``dry_run`` checks everything the same way and writes nothing. Co-owners are recorded without consent,
    which is given later, one co-owner at a time."""
    _ensure_owner(actor, owner)
    problems: list[dict[str, Any]] = []
    columns = match_columns(rows, problems, COLUMNS)
    if problems:
        raise _rejected(problems, rows=len(rows))
    checked = [
        _check(owner, row, columns, getattr(row, "number", i + HEADER_ROW + 1), problems) for i, row in enumerate(rows)
    ]
    with transaction.atomic():
        problems.extend(_duplicates(checked, {p["row"] for p in problems if p["field"] == "identifier"}))
        if problems:
            raise _rejected(problems, rows=len(rows))
        if dry_run:
            return ImportResult(rows=len(rows), created=[], dry_run=True)
        for item in checked:
            try:
                item.asset.save()
            except IntegrityError as exc:  # a concurrent registration of the same right won the race
                raise _rejected(
                    [row_problem(item.number, "identifier", _on_platform(item.asset.identifier))], rows=len(rows)
                ) from exc
        CoOwner.objects.bulk_create(CoOwner(asset=item.asset, name=n) for item in checked for n in item.co_owners)
    return ImportResult(rows=len(rows), created=[item.asset.pk for item in checked], dry_run=False)


def _duplicates(checked: list[_Checked], unreadable: set[int]) -> list[dict[str, Any]]:
    """A right twice in the file, or already live on the platform: the ``ipasset_one_live_record`` constraint,
    checked for the whole file in a few queries instead of one per row."""
    readable = [item for item in checked if item.number not in unreadable]
    identifiers = sorted({item.asset.identifier for item in readable})
    live = set()
    for start in range(0, len(identifiers), LOOKUP_BATCH):
        live.update(
            IPAsset.objects.filter(
                archived_at__isnull=True, identifier__in=identifiers[start : start + LOOKUP_BATCH]
            ).values_list("ip_type", "identifier")
        )
    found, first_seen = [], {}
    for item in readable:
        key = (item.asset.ip_type, item.asset.identifier)
        if key in live:
            found.append(row_problem(item.number, "identifier", _on_platform(item.asset.identifier)))
        elif key in first_seen:
            found.append(row_problem(item.number, "identifier", _repeated(item.asset.identifier, first_seen[key])))
        else:
            first_seen[key] = item.number
    return found


def match_columns(
    rows: Sequence[Mapping[str, Any]], problems: list, columns: Sequence[Column], *, also_required: Iterable[str] = ()
) -> dict[str, Column]:
    """Header name → column of ``columns`` (by field name or Chinese name); header problems go to ``problems`` as
    row 1: unknown, repeated, and missing required columns (``also_required`` names more of them)."""
    by_name = {_key(name): column for column in columns for name in (column.field, column.zh)}
    required = set(also_required)
    headers = list(dict.fromkeys(name for row in rows for name in row))
    matched: dict[str, Column] = {}
    given: dict[str, str] = {}
    for header in headers:
        column = by_name.get(_key(header))
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


def _check(owner: Enterprise, row: Mapping[str, Any], columns: dict[str, Column], number: int, problems) -> _Checked:
    fields: dict[str, Any] = {}
    unreadable: list[str] = []
    for header, value in row.items():
        column = columns[header]
        if value is None or value == "":
            continue
        try:
            fields[column.field] = column.parse(value)
        except ValueError as exc:
            problems.append(row_problem(number, column.field, str(exc)))
            unreadable.append(column.field)
    co_owners = fields.pop("co_owners", [])
    asset = IPAsset(owner=owner, **fields)
    try:
        # The rules of ip_asset_register: fields, choices and clean() (identifiers, dates, terms). The owner is
        # known, and the one-live-record constraint is checked for the whole file at once (``_duplicates``).
        asset.full_clean(exclude=[*unreadable, "owner"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in from_django_validation(exc).errors.items():
            problems.extend(row_problem(number, None if field == "__all__" else field, m) for m in messages)
    problems.extend(_co_owner_problems(co_owners, number))
    return _Checked(number=number, asset=asset, co_owners=co_owners)


def _co_owner_problems(names: list[str], number: int) -> list[dict[str, Any]]:
    limit = CoOwner._meta.get_field("name").max_length
    found = []
    if len(set(names)) != len(names):
        found.append(row_problem(number, "co_owners", _("A co-owner is named twice.")))
    for name in names:
        if len(name) > limit:
            found.append(
                row_problem(
                    number, "co_owners", _("A co-owner's name has at most %(limit)s characters.") % {"limit": limit}
                )
            )
    return found


def row_problem(row: int, field: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "field": field, "message": str(message)}


def _repeated(identifier: str, first: int) -> str:
    return _("%(identifier)s appears again; it is first in row %(row)s.") % {"identifier": identifier, "row": first}


def _on_platform(identifier: str) -> str:
    return _("%(identifier)s is already registered on the platform.") % {"identifier": identifier}


def _rejected(problems: list[dict[str, Any]], *, rows: int) -> RowsRejected:
    problems = sorted(problems, key=lambda p: p["row"])
    bad_rows = len({p["row"] for p in problems})
    detail = _("%(problems)s problems in %(bad)s of %(rows)s rows; nothing was imported.") % {
        "problems": len(problems),
        "bad": bad_rows,
        "rows": rows,
    }
    if len(problems) > MAX_REPORTED:
        detail += " " + _("The first %(shown)s are listed.") % {"shown": MAX_REPORTED}
    return RowsRejected(problems[:MAX_REPORTED], detail=detail)
