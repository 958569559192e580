"""Amount, count and firms per group, in the database, for platform and reported loans apart and together."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    Exists,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import SHANGHAI
from tongzhirong.financing.models import Loan

from ..models import OfficialFigure, ReportedLoan, Target


@dataclass
class Figures:
    amount: Decimal = Decimal("0.00")
    count: int = 0
    firms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"amount": to_yuan(self.amount), "count": self.count, "firms": self.firms}


@dataclass
class Split:
    """One group's figures: platform and reported apart, and together (a firm counted once)."""

    platform: Figures = field(default_factory=Figures)
    reported: Figures = field(default_factory=Figures)
    total: Figures = field(default_factory=Figures)

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform.as_dict(), "reported": self.reported.as_dict(), "total": self.total.as_dict()}


@dataclass(frozen=True)
class Dimension:
    """A way to group loans: the expression on a platform loan and the one on a reported loan."""

    platform: Any
    reported: Any


class LocalPeriodStart(Func):
    """The first day of the month, quarter or year of a moment, as a date in Asia/Shanghai.

    Django's ``Trunc`` with a time zone calls a Python function per row on SQLite (a third of a second per
    20,000 loans); Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset in SQL
    is exact there. PostgreSQL converts with its own time zone data."""

    output_field = DateField()

    def __init__(self, expression, kind: str):
        if kind not in ("day", "month", "quarter", "year"):
            raise ValueError(kind)
        self.kind = kind
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL and the rest
        sql, params = compiler.compile(self.source_expressions[0])
        if self.kind == "day":
            return f"({sql} AT TIME ZONE 'Asia/Shanghai')::date", params
        return f"(DATE_TRUNC('{self.kind}', {sql} AT TIME ZONE 'Asia/Shanghai'))::date", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        local = f"datetime({sql}, '+8 hours')"
        if self.kind == "day":
            return f"date({local})", params
        if self.kind == "month":
            return f"strftime('%%Y-%%m-01', {local})", params
        if self.kind == "year":
            return f"strftime('%%Y-01-01', {local})", params
        month = f"((CAST(strftime('%%m', {local}) AS INTEGER) - 1) / 3) * 3 + 1"
        return f"printf('%%s-%%02d-01', strftime('%%Y', {local}), {month})", params * 2


def _bucket(kind: str):
    return LocalPeriodStart("disbursed_at", kind)


def figures(
    platform: QuerySet[Loan],
    reported: QuerySet[ReportedLoan],
    *,
    dimensions: tuple[Dimension, ...] = (),
    bucket: str | None = None,
) -> dict[tuple, Split]:
    """Figures per (bucket, group, …) key — one group per dimension, ``()`` when nothing is asked — in two
    grouped queries."""
    p_keys, r_keys = {}, {}
    if bucket:
        p_keys["bucket_"] = r_keys["bucket_"] = _bucket(bucket)
    for i, dimension in enumerate(dimensions):
        p_keys[f"group_{i}"], r_keys[f"group_{i}"] = dimension.platform, dimension.reported
    # A reported borrower already counted among the platform's firms of the same key adds no firm.
    on_platform = platform.filter(borrower__uscc=OuterRef("borrower_uscc"))
    if p_keys:
        on_platform = on_platform.annotate(**p_keys).filter(**{k: OuterRef(k) for k in p_keys})
    p_rows = _grouped(
        platform.annotate(**p_keys),
        list(p_keys),
        amount=Sum("principal"),
        count=Count("pk"),
        firms=Count("borrower_id", distinct=True),
    )
    r_rows = _grouped(
        reported.annotate(**r_keys).annotate(on_platform_=Exists(on_platform.order_by().values("pk"))),
        list(r_keys),
        amount=Sum("principal"),
        count=Count("pk"),
        firms=Count("borrower_uscc", distinct=True),
        new_firms=Count("borrower_uscc", distinct=True, filter=Q(on_platform_=False)),
    )
    result: dict[tuple, Split] = defaultdict(Split)
    for key, row in p_rows:
        split = result[key]
        split.platform = Figures(row["amount"] or Decimal(0), row["count"], row["firms"])
    for key, row in r_rows:
        split = result[key]
        split.reported = Figures(row["amount"] or Decimal(0), row["count"], row["firms"])
        split.total.firms = row["new_firms"]
    for split in result.values():
        split.total.amount = split.platform.amount + split.reported.amount
        split.total.count = split.platform.count + split.reported.count
        split.total.firms += split.platform.firms
    return dict(result)


def _grouped(qs: QuerySet, keys: list[str], **aggregates) -> Iterable[tuple[tuple, dict]]:
    if not keys:
        row = qs.aggregate(**aggregates)
        return [((), row)] if row["count"] else []
    rows = qs.values(*keys).annotate(**aggregates).order_by()
    # Grouped by a constant only (reported loans by product type), the database drops the GROUP BY and answers
    # one row even without loans: a group without a loan is no group.
    return [(tuple(_key_value(row[k]) for k in keys), row) for row in rows if row["count"]]


def _key_value(value):
    if isinstance(value, dt.datetime):  # a bucket: its first day, in Asia/Shanghai
        return timezone.localtime(value, SHANGHAI).date() if timezone.is_aware(value) else value.date()
    return value


def latest_official_figure(code: str, as_of: dt.date) -> OfficialFigure | None:
    return OfficialFigure.objects.filter(indicator__code=code, as_of__lte=as_of).order_by("-as_of", "-id").first()


def target_reached(target: Target, split: Split) -> Decimal:
    """What counts towards the target: the platform's loans, and the reported ones when it includes them."""
    return split.total.amount if target.includes_reported else split.platform.amount
