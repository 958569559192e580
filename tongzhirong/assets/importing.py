"""Registering many IP rights at once from a spreadsheet (read by ``tongzhirong.core.tabular``).

All or nothing: every row is converted and checked with the rules of ``ip_asset_register`` (the model's
``full_clean``: field types and choices, identifiers, dates, statutory terms), and the one-live-record rule is
checked for the whole file at once, against the platform and within the file, all before anything is written;
one problem anywhere and nothing is, and the report names every problem by row and column. Columns are the
model's field names or the Chinese names of ``COLUMNS``; a value may be typed as people type it (full-width
digits, 2019年5月10日, 是/否, choices by their Chinese names)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tongzhirong.core.cells import (
    HEADER_ROW,
    LOOKUP_BATCH,
    Column,
    ImportResult,
    chinese_label,
    match_columns,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_int_list,
    parse_text,
    parse_text_list,
    row_problem,
    rows_rejected,
)
from tongzhirong.core.errors import from_django_validation
from tongzhirong.core.reference import IPType
from tongzhirong.enterprises.models import Enterprise

from .models import Award, CoOwner, IPAsset, LegalStatus
from .services import _ensure_owner

COLUMNS: tuple[Column, ...] = (
    Column("ip_type", "知识产权类型", parse_choice(IPType), required=True),
    Column("identifier", "申请号/注册号", parse_text, required=True),
    Column("title", "名称", parse_text, required=True),
    Column("filing_date", "申请日", parse_date, required=True),
    Column("grant_date", "授权日", parse_date),
    Column("expiry_date", "届满日", parse_date),
    Column("legal_status", "法律状态", parse_choice(LegalStatus)),
    Column("annual_fee_paid_through", "年费缴至", parse_date),
    Column("invalidation_pending", "无效宣告中", parse_bool),
    Column("ownership_dispute", "权属纠纷", parse_bool),
    Column("court_preservation", "法院保全", parse_bool),
    Column("licence_count", "许可次数", parse_int),
    Column("licence_revenue", "许可收入（元/年）", parse_amount),
    Column("use_revenue", "使用收入（元/年）", parse_amount),
    Column("ipc_classes", "IPC分类号", parse_text_list),
    Column("claims_count", "权利要求数", parse_int),
    Column("forward_citations", "被引次数", parse_int),
    Column("backward_citations", "引用次数", parse_int),
    Column("family_size", "同族数量", parse_int),
    Column("overseas_family_members", "海外同族数量", parse_int),
    Column("award", "获奖", parse_choice(Award)),
    Column("nice_classes", "尼斯分类", parse_int_list),
    Column("renewals", "续展次数", parse_int),
    Column("well_known", "驰名商标", parse_bool),
    Column("co_owners", "共有人", parse_text_list),
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
    "use_revenue": "3500000.00",
    "ipc_classes": "D01F 6/60; D01D 5/08",
    "claims_count": 10,
    "forward_citations": 3,
    "backward_citations": 8,
    "family_size": 1,
    "overseas_family_members": 0,
    "award": "",
    "nice_classes": "",
    "renewals": 0,
    "well_known": "否",
    "co_owners": "南通大学",
}


def template_headers(*, chinese: bool) -> list[str]:
    return [column.zh if chinese else column.field for column in COLUMNS]


def template_rows(*, chinese: bool) -> list[list[Any]]:
    """One example row; in the Chinese template choices are shown by their Chinese names."""
    example = dict(EXAMPLE)
    if chinese:
        example["ip_type"] = chinese_label(IPType(example["ip_type"]).label)
        example["legal_status"] = chinese_label(LegalStatus(example["legal_status"]).label)
    return [[example[column.field] for column in COLUMNS]]


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
        raise rows_rejected(problems, rows=len(rows))
    checked = [
        _check(owner, row, columns, getattr(row, "number", i + HEADER_ROW + 1), problems) for i, row in enumerate(rows)
    ]
    with transaction.atomic():
        problems.extend(_duplicates(checked, {p["row"] for p in problems if p["field"] == "identifier"}))
        if problems:
            raise rows_rejected(problems, rows=len(rows))
        if dry_run:
            return ImportResult(rows=len(rows), created=[], dry_run=True)
        for item in checked:
            try:
                item.asset.save()
            except IntegrityError as exc:  # a concurrent registration of the same right won the race
                raise rows_rejected(
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


def _repeated(identifier: str, first: int) -> str:
    return _("%(identifier)s appears again; it is first in row %(row)s.") % {"identifier": identifier, "row": first}


def _on_platform(identifier: str) -> str:
    return _("%(identifier)s is already registered on the platform.") % {"identifier": identifier}
