"""The financial office's figures, computed in the database from the raw rows: platform loans (``Loan``) and
loans reported from outside the platform (``ReportedLoan``), apart and together.

Every function takes a ``Scope`` (``reporting_scope``: the city office, the IP office's stand-in and the
platform see the city; a bank sees its own book; anyone else is refused) and ``ReportFilters`` (period,
district, cluster, bank, source). Figures per group are ``amount`` (disbursed principal, yuan), ``count``
(loans) and ``firms`` (distinct borrowers). A firm with both kinds of loan in the same group counts once in
the total: reported borrowers are matched to platform borrowers by USCC, in the database (``Exists``).
Periods and months are Asia/Shanghai days: a loan disbursed 2026-12-31 23:30 there is a 2026 loan."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.assets.models import Award, IPAsset, LegalStatus
from tongzhirong.core.errors import PermissionDenied
from tongzhirong.core.money import WAN, YI, to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS, SHANGHAI, Cluster, District, IPType
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import ApplicationAsset, Loan, LoanStatus
from tongzhirong.risksharing.models import FilingStatus, Pool, PoolFiling
from tongzhirong.risksharing.selectors import pools_positions

from .forecast import bootstrap_forecast
from .models import Indicator, OfficialFigure, ReportedLoan, Target, TargetReading

# Where the plan's cumulative reading starts: the monthly series and the forecast history start here.
PLAN_START = dt.date(2024, 1, 1)
# Share of tech SMEs that had ever pledged IP in 2021: the baseline of "widen coverage" (BRIEF §3).
COVERAGE_BASELINE = Decimal("0.025")
INCLUSIVE_CEILING = 1000 * WAN  # 普惠: loans under 1000万
# Who sees the whole city. There is no organisation kind for the IP office yet: the city office and the
# platform stand in for it.
CITY_WIDE_KINDS = frozenset({OrganisationKind.CITY_OFFICE, OrganisationKind.PLATFORM})


# --- who sees what ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """``bank_id`` None: the whole city; else that bank's own book only."""

    bank_id: int | None

    @property
    def city_wide(self) -> bool:
        return self.bank_id is None


def reporting_scope(*, user) -> Scope:
    if user.is_superuser or user.kind in CITY_WIDE_KINDS:
        return Scope(bank_id=None)
    if user.kind == OrganisationKind.BANK:
        return Scope(bank_id=user.organisation_id)
    raise PermissionDenied(_("Only the city office, the platform and banks (their own book) see these figures."))


def city_wide_scope(*, user) -> Scope:
    scope = reporting_scope(user=user)
    if not scope.city_wide:
        raise PermissionDenied(_("Only the city office and the platform see city-wide figures."))
    return scope


class Source:
    ALL = "all"
    PLATFORM = "platform"
    REPORTED = "reported"
    CHOICES = (ALL, PLATFORM, REPORTED)


@dataclass(frozen=True)
class ReportFilters:
    """``start``/``end``: first and last day (inclusive, Asia/Shanghai); None leaves that side open."""

    start: dt.date | None = None
    end: dt.date | None = None
    district: str | None = None
    cluster: str | None = None
    bank: int | None = None
    source: str = Source.ALL


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def platform_loans(scope: Scope, filters: ReportFilters) -> QuerySet[Loan]:
    if filters.source == Source.REPORTED:
        return Loan.objects.none()
    return _filtered(Loan.objects.all(), scope, filters, district="borrower__district", cluster="borrower__cluster")


def reported_loans(scope: Scope, filters: ReportFilters) -> QuerySet[ReportedLoan]:
    if filters.source == Source.PLATFORM:
        return ReportedLoan.objects.none()
    return _filtered(ReportedLoan.objects.all(), scope, filters, district="district", cluster="cluster")


def _filtered(qs: QuerySet, scope: Scope, filters: ReportFilters, *, district: str, cluster: str) -> QuerySet:
    if scope.bank_id is not None:
        qs = qs.filter(bank_id=scope.bank_id)
    if filters.bank is not None:
        qs = qs.filter(bank_id=filters.bank)
    if filters.district:
        qs = qs.filter(**{district: filters.district})
    if filters.cluster:
        qs = qs.filter(**{cluster: filters.cluster})
    if filters.start is not None:
        qs = qs.filter(disbursed_at__gte=day_start(filters.start))
    if filters.end is not None:
        qs = qs.filter(disbursed_at__lt=day_start(filters.end + dt.timedelta(days=1)))
    return qs


# --- figures: amount, count, firms ----------------------------------------------------------------------------


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
        if kind not in ("month", "quarter", "year"):
            raise ValueError(kind)
        self.kind = kind
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL and the rest
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(DATE_TRUNC('{self.kind}', {sql} AT TIME ZONE 'Asia/Shanghai'))::date", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        local = f"datetime({sql}, '+8 hours')"
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
    return [(tuple(_key_value(row[k]) for k in keys), row) for row in rows]


def _key_value(value):
    if isinstance(value, dt.datetime):  # a bucket: its first day, in Asia/Shanghai
        return timezone.localtime(value, SHANGHAI).date() if timezone.is_aware(value) else value.date()
    return value


# --- dimensions -----------------------------------------------------------------------------------------------

SIZE_BANDS: tuple[tuple[Decimal | None, str], ...] = (
    (100 * WAN, "under_1m"),
    (500 * WAN, "1m_to_5m"),
    (1000 * WAN, "5m_to_10m"),
    (2000 * WAN, "10m_to_20m"),
    (None, "20m_and_over"),
)
INCLUSIVE_BANDS = frozenset(
    band for ceiling, band in SIZE_BANDS if ceiling is not None and ceiling <= INCLUSIVE_CEILING
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
    return next(t.value for t in IP_TYPE_PRECEDENCE if t in present)


def _size_band():
    whens = [When(principal__lt=ceiling, then=Value(band)) for ceiling, band in SIZE_BANDS if ceiling is not None]
    return Case(*whens, default=Value(SIZE_BANDS[-1][1]))


def _platform_ip_type():
    rank = Case(
        *[When(asset__ip_type=t, then=Value(i)) for i, t in enumerate(IP_TYPE_PRECEDENCE)],
        output_field=IntegerField(),
    )
    pledged = ApplicationAsset.objects.filter(application_id=OuterRef("application_id")).annotate(rank_=rank)
    return Subquery(pledged.order_by("rank_", "asset_id").values("asset__ip_type")[:1])


def _platform_product_type():
    insured = Q(application__insurance_product__isnull=False)
    guaranteed = Q(application__guarantee_product__isnull=False)
    return Case(
        When(insured & guaranteed, then=Value("insured_and_guaranteed")),
        When(insured, then=Value("insured")),
        When(guaranteed, then=Value("guaranteed")),
        default=Value("pledge_only"),
    )


def _platform_first_time():
    earlier = Loan.objects.filter(borrower_id=OuterRef("borrower_id"), disbursed_at__lt=OuterRef("disbursed_at"))
    return Case(
        When(Q(borrower__prior_ip_loans=0) & ~Exists(earlier), then=Value("first")),
        default=Value("repeat"),
    )


DIMENSIONS: dict[str, Dimension] = {
    "district": Dimension(F("borrower__district"), F("district")),
    "cluster": Dimension(F("borrower__cluster"), F("cluster")),
    "chain": Dimension(F("borrower__chain"), F("chain")),
    "bank": Dimension(F("bank_id"), F("bank_id")),
    "product_type": Dimension(_platform_product_type(), Value("reported")),
    "ip_type": Dimension(_platform_ip_type(), F("ip_type")),
    "size_band": Dimension(_size_band(), _size_band()),
    "first_time": Dimension(
        _platform_first_time(),
        Case(
            When(first_loan=True, then=Value("first")),
            When(first_loan=False, then=Value("repeat")),
            default=Value("unknown"),
        ),
    ),
}
TECH_MARKERS = ("is_high_tech", "is_tech_sme", "is_specialised", "is_little_giant")
BREAKDOWNS = (*DIMENSIONS, "tech_marker")


def _labels(by: str, keys: Iterable) -> dict:
    if by == "bank":
        return dict(Organisation.objects.filter(pk__in=[k for k in keys if k is not None]).values_list("pk", "name"))
    choices = {"district": District, "cluster": Cluster, "ip_type": IPType}.get(by)
    if choices is not None:
        return {value: str(label) for value, label in choices.choices}
    if by == "chain":
        return {value: str(label) for value, label in Enterprise._meta.get_field("chain").choices}
    return {key: str(label) for key, label in FIXED_LABELS.get(by, {}).items()}


FIXED_LABELS = {
    "product_type": {
        "pledge_only": gettext_lazy("Pledge only 纯质押"),
        "insured": gettext_lazy("With insurance 保险增信"),
        "guaranteed": gettext_lazy("With a guarantee 担保增信"),
        "insured_and_guaranteed": gettext_lazy("Insurance and guarantee 保险+担保"),
        "reported": gettext_lazy("Reported by banks 银行报送"),
    },
    "size_band": {
        "under_1m": gettext_lazy("Under 1 million 100万以下"),
        "1m_to_5m": gettext_lazy("1 to 5 million 100万–500万"),
        "5m_to_10m": gettext_lazy("5 to 10 million 500万–1000万"),
        "10m_to_20m": gettext_lazy("10 to 20 million 1000万–2000万"),
        "20m_and_over": gettext_lazy("20 million and over 2000万及以上"),
    },
}


def breakdown(*, scope: Scope, filters: ReportFilters, by: str) -> list[dict[str, Any]]:
    """One row per group of ``by`` (one of ``BREAKDOWNS``), largest amount first. Tech markers overlap: a
    loan counts under every marker its borrower holds, and under ``none`` when it holds none."""
    platform, reported = platform_loans(scope, filters), reported_loans(scope, filters)
    if by == "tech_marker":
        groups = {}
        for marker in TECH_MARKERS:
            flag = {f"borrower__{marker}": True}
            groups[marker.removeprefix("is_")] = figures(platform.filter(**flag), reported.filter(**{marker: True}))
        none_p = platform.filter(**{f"borrower__{m}": False for m in TECH_MARKERS})
        none_r = reported.filter(**dict.fromkeys(TECH_MARKERS, False))
        groups["none"] = figures(none_p, none_r)
        rows = {(key,): found.get((), Split()) for key, found in groups.items()}
    else:
        rows = figures(platform, reported, dimensions=(DIMENSIONS[by],))
    return _breakdown_rows(by, rows, _labels(by, [key[0] for key in rows]))


def _breakdown_rows(by: str, rows: dict[tuple, Split], labels: dict) -> list[dict[str, Any]]:
    result = []
    for (key,), split in rows.items():
        row = {"key": "" if key is None else str(key), "label": labels.get(key, "" if key is None else str(key))}
        if by == "size_band":
            row["inclusive"] = key in INCLUSIVE_BANDS
        result.append({**row, **split.as_dict()})
    result.sort(key=lambda r: (-r["total"]["amount"], r["key"]))
    return result


# --- the dashboard summary ------------------------------------------------------------------------------------


def _months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_fraction_left(as_of: dt.date) -> float:
    """The share of ``as_of``'s month still to come after ``as_of`` ends."""
    first = as_of.replace(day=1)
    days = ((first + dt.timedelta(days=32)).replace(day=1) - first).days
    return (days - as_of.day) / days


def volume_series(
    *, scope: Scope, filters: ReportFilters, bucket: str = "month", targets: list[Target] | None = None
) -> list[dict[str, Any]]:
    """Figures per month, quarter or year (every bucket of the period, empty ones too), with running totals
    of amount and count and, per target, the share of it reached by the end of the bucket."""
    start = filters.start or PLAN_START
    end = filters.end or timezone.localdate()
    filters = replace(filters, start=start, end=end)
    found = figures(platform_loans(scope, filters), reported_loans(scope, filters), bucket=bucket)
    buckets = sorted({_bucket_start(m, bucket) for m in _months_between(start, end)})
    targets = targets if targets is not None else list(Target.objects.filter(is_active=True))
    series, running = [], {"platform": Figures(), "reported": Figures(), "total": Figures()}
    for first in buckets:
        split = found.get((first,), Split())
        for part in running:
            running[part].amount += getattr(split, part).amount
            running[part].count += getattr(split, part).count
        row = {"period": first, **split.as_dict()}
        row["cumulative"] = {part: {"amount": to_yuan(f.amount), "count": f.count} for part, f in running.items()}
        row["targets"] = {
            t.code: _share(_target_reached(t, found, first, bucket), t.amount)
            for t in targets
            if t.period_start <= _bucket_end(first, bucket)
        }
        series.append(row)
    return series


def _bucket_start(month: dt.date, bucket: str) -> dt.date:
    if bucket == "year":
        return month.replace(month=1)
    if bucket == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1)
    return month


def _bucket_end(first: dt.date, bucket: str) -> dt.date:
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    year, month = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)


def _target_reached(target: Target, found: dict[tuple, Split], upto: dt.date, bucket: str) -> Decimal:
    total = Decimal(0)
    for (first,), split in found.items():
        if target.period_start <= first and first <= upto and _bucket_end(first, bucket) <= target.period_end:
            total += split.total.amount if target.includes_reported else split.platform.amount
    return total


def _share(reached: Decimal, target: Decimal) -> Decimal:
    return (Decimal(reached) / target * 100).quantize(Decimal("0.0001"), ROUND_HALF_UP) if target else Decimal(0)


def dashboard_summary(*, scope: Scope, filters: ReportFilters, as_of: dt.date | None = None) -> dict[str, Any]:
    """Progress to each active target (both readings side by side), platform and reported apart and together,
    with a run-rate forecast to each target's end. Five queries, whatever the number of loans or targets."""
    as_of = as_of or timezone.localdate()
    targets = list(Target.objects.filter(is_active=True))
    start = min([PLAN_START, *(t.period_start for t in targets)])
    per_target, months = _summary_figures(scope, filters, targets, start=start, as_of=as_of)
    current = as_of.replace(day=1)
    complete = [m for m in _months_between(start, as_of) if m < current]
    answer = []
    for target in targets:
        split = per_target[target.code]
        reached = _reached(target, split)
        history = [
            months.get(m, (0, 0))[0] + (months.get(m, (0, 0))[1] if target.includes_reported else 0) for m in complete
        ]
        left = _months_left(as_of, target.period_end)
        forecast = (
            bootstrap_forecast(reached=reached, recent_months=history, months_remaining=left, target=target.amount)
            if as_of <= target.period_end
            else None
        )
        answer.append(
            {
                "code": target.code,
                "name": target.name,
                "reading": target.reading,
                "measure": target.measure,
                "amount": target.amount,
                "period_start": target.period_start,
                "period_end": target.period_end,
                "includes_reported": target.includes_reported,
                **split.as_dict(),
                "reached": to_yuan(reached),
                "percent_of_target": _share(reached, target.amount),
                "forecast": None
                if forecast is None
                else {
                    "point": forecast.point,
                    "low": forecast.low,
                    "high": forecast.high,
                    "percent_of_target": _share(forecast.point, target.amount),
                    "probability_of_target": forecast.probability_of_target,
                    "months_remaining": forecast.months_remaining,
                    "months_used": forecast.months_used,
                    "method": forecast.method,
                },
            }
        )
    return {"as_of": as_of, "city_wide": scope.city_wide, "bank": scope.bank_id, "targets": answer}


def _months_left(as_of: dt.date, end: dt.date) -> float:
    if as_of >= end:
        return 0.0
    whole = (end.year - as_of.year) * 12 + end.month - as_of.month
    return whole + _month_fraction_left(as_of) - _month_fraction_left(end)


def _summary_figures(
    scope: Scope, filters: ReportFilters, targets: list[Target], *, start: dt.date, as_of: dt.date
) -> tuple[dict[str, Split], dict[dt.date, tuple[Decimal, Decimal]]]:
    """Each target's figures and the monthly amounts (platform, reported) from ``start`` to ``as_of``, in four
    queries whatever the number of targets.

    Amounts and loans: one query per source, in slices of days cut at every month start and at every target
    window's edges (Asia/Shanghai), added up here per window and per month: one pass over the loans instead of one
    per target and one for the months, and no time-zone conversion per row. Firms: the platform's distinct
    borrowers per window from one ``GROUP BY borrower`` (the ``loan_borrower_disbursed`` index gives the groups in
    order: no sort, no hash); then the reported firms, and those of them without a platform loan in the same
    window, in one query. A target's window is its period up to ``as_of``, narrowed by the filters' period; the
    monthly history (the forecast's) ignores the filters' period."""
    end = as_of + dt.timedelta(days=1)
    if end <= start:  # before the plan: no window, no month
        return {target.code: Split() for target in targets}, {}
    windows: dict[str, tuple[dt.date, dt.date] | None] = {}
    for target in targets:
        lo = max(target.period_start, filters.start or target.period_start)
        hi = min(target.period_end, as_of, filters.end or target.period_end) + dt.timedelta(days=1)
        windows[target.code] = (lo, hi) if lo < hi else None
    live = [w for w in windows.values() if w]
    months = [m for m in _months_between(start, as_of) if m > start]
    days = sorted({start, end, *months, *(day for w in live for day in w)})
    everywhere = replace(filters, start=None, end=None)
    platform, reported = platform_loans(scope, everywhere), reported_loans(scope, everywhere)
    by_range = scope.city_wide and not (filters.district or filters.cluster or filters.bank)
    slices = [_sliced(qs, days, by_range=by_range) for qs in (platform, reported)]
    in_range = {"disbursed_at__gte": day_start(start), "disbursed_at__lt": day_start(end)}
    platform, reported = platform.filter(**in_range), reported.filter(**in_range)

    def summed(side: int, lo: dt.date, hi: dt.date) -> tuple[Decimal, int]:
        rows = [row for i, row in slices[side].items() if lo <= days[i] and days[i + 1] <= hi]
        return sum((a for a, _c in rows), Decimal(0)), sum(c for _a, c in rows)

    firms = _firms(platform, reported, live)
    per_target = {}
    for code, window in windows.items():
        split = Split()
        if window is not None:
            p_firms, r_firms, new_firms = firms[window]
            split.platform = Figures(*summed(0, *window), p_firms)
            split.reported = Figures(*summed(1, *window), r_firms)
            split.total = Figures(
                split.platform.amount + split.reported.amount,
                split.platform.count + split.reported.count,
                p_firms + new_firms,
            )
        per_target[code] = split
    found: dict[dt.date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for side in (0, 1):
        for i, (amount, _count) in slices[side].items():
            found[days[i].replace(day=1)][side] += amount
    return per_target, {month: (p, r) for month, (p, r) in found.items()}


def _slice_of(days: list[dt.date], lo: int, hi: int):
    """The ``i`` with ``days[i] <= disbursed_at < days[i + 1]`` (Asia/Shanghai days) for a loan between
    ``days[lo]`` and ``days[hi]``: a binary search written as nested CASEs, log2(slices) comparisons per row."""
    if hi - lo == 1:
        return Value(lo)
    mid = (lo + hi) // 2
    return Case(
        When(disbursed_at__lt=day_start(days[mid]), then=_slice_of(days, lo, mid)),
        default=_slice_of(days, mid, hi),
        output_field=IntegerField(),
    )


def _sliced(qs: QuerySet, days: list[dt.date], *, by_range: bool) -> dict[int, tuple[Decimal, int]]:
    """Amount and loans per slice ``[days[i], days[i + 1])``, keyed by ``i``, empty slices left out.

    ``by_range`` (the query holds nothing but the dates): one range aggregate per slice, all in one UNION ALL, so
    each is a range scan of the ``disbursed_at`` index (on PostgreSQL an index-only scan of ``loan_disbursed_cover``)
    and no row is compared with every edge. Otherwise (a bank, a district: each range aggregate would apply those
    conditions again over the same rows) one pass, sliced by nested CASEs."""
    if by_range:
        parts = [
            qs.filter(disbursed_at__gte=day_start(lo), disbursed_at__lt=day_start(hi))
            .values(slice_=Value(i))
            .annotate(amount=Sum("principal"), count=Count("disbursed_at"))
            .order_by()
            for i, (lo, hi) in enumerate(itertools.pairwise(days))
        ]
        rows = parts[0].union(*parts[1:], all=True)
    else:
        rows = (
            qs.filter(disbursed_at__gte=day_start(days[0]), disbursed_at__lt=day_start(days[-1]))
            .annotate(slice_=_slice_of(days, 0, len(days) - 1))
            .values("slice_")
            .annotate(amount=Sum("principal"), count=Count("disbursed_at"))
            .order_by()
        )
    return {row["slice_"]: (row["amount"], row["count"]) for row in rows if row["count"]}


def _firms(
    platform: QuerySet[Loan], reported: QuerySet[ReportedLoan], windows: list[tuple[dt.date, dt.date]]
) -> dict[tuple[dt.date, dt.date], tuple[int, int, int]]:
    """Per window: (platform firms, reported firms, reported firms without a platform loan in the window)."""
    if not windows:
        return {}

    def within(lo: dt.date, hi: dt.date) -> Q:
        return Q(disbursed_at__gte=day_start(lo), disbursed_at__lt=day_start(hi))

    # Counting ``disbursed_at`` (not the id, which the index does not hold) keeps the scan index-only.
    per_borrower = platform.values("borrower_id").annotate(
        **{f"n{i}": Count("disbursed_at", filter=within(*w)) for i, w in enumerate(windows)}
    )
    p_row = per_borrower.aggregate(
        **{f"f{i}": Count("borrower_id", filter=Q(**{f"n{i}__gt": 0})) for i in range(len(windows))}
    )
    r_aggs = {}
    for i, w in enumerate(windows):
        # A platform loan of the firm with the reported USCC in the window (``platform_firm``: a join, once).
        seen = platform.filter(within(*w), borrower_id=OuterRef("platform_firm__id")).order_by().values("pk")
        r_aggs |= {
            f"f{i}": Count("borrower_uscc", distinct=True, filter=within(*w)),
            f"n{i}": Count("borrower_uscc", distinct=True, filter=within(*w) & ~Exists(seen)),
        }
    r_row = reported.aggregate(**r_aggs)
    return {w: (p_row[f"f{i}"] or 0, r_row[f"f{i}"] or 0, r_row[f"n{i}"] or 0) for i, w in enumerate(windows)}


# --- coverage, speed, risk ---------------------------------------------------------------------------------


def coverage(*, scope: Scope, filters: ReportFilters, as_of: dt.date | None = None) -> dict[str, Any]:
    """Tech SMEs with an IP pledge loan over tech SMEs, against the 2.5% baseline. On the platform's own
    register: tech SMEs (科技型中小企业) registered on it with a platform or reported loan in the period (and,
    as "ever", also those whose credit history shows an earlier IP pledge loan). Against the official count
    of registered tech SMEs when the office has entered one: the platform's and the reported loans' tech-SME
    borrowers, matched by USCC."""
    as_of = as_of or timezone.localdate()
    filters = replace(filters, end=min(filters.end or as_of, as_of))
    platform, reported = platform_loans(scope, filters), reported_loans(scope, filters)
    tech = Enterprise.objects.filter(is_tech_sme=True)
    if filters.district:
        tech = tech.filter(district=filters.district)
    if filters.cluster:
        tech = tech.filter(cluster=filters.cluster)
    with_loan = Q(Exists(platform.filter(borrower_id=OuterRef("pk")).values("pk"))) | Q(
        Exists(reported.filter(borrower_uscc=OuterRef("uscc")).values("pk"))
    )
    counts = tech.aggregate(
        registered=Count("pk"),
        with_loan=Count("pk", filter=with_loan),
        ever=Count("pk", filter=with_loan | Q(prior_ip_loans__gt=0)),
    )
    off_platform = (
        reported.filter(is_tech_sme=True)
        .exclude(borrower_uscc__in=Enterprise.objects.values("uscc"))
        .aggregate(n=Count("borrower_uscc", distinct=True))["n"]
    )
    official = _latest_figure("registered_tech_smes", as_of) if scope.city_wide else None
    return {
        "as_of": as_of,
        "baseline": COVERAGE_BASELINE,
        "platform_register": {
            "tech_smes": counts["registered"],
            "with_loan": counts["with_loan"],
            "coverage": _ratio(counts["with_loan"], counts["registered"]),
            "ever_pledged": counts["ever"],
            "ever_coverage": _ratio(counts["ever"], counts["registered"]),
        },
        "official_register": None
        if official is None
        else {
            "tech_smes": int(official.value),
            "as_of": official.as_of,
            "with_loan": counts["with_loan"] + off_platform,
            "coverage": _ratio(counts["with_loan"] + off_platform, official.value),
        },
    }


def _ratio(part, whole) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


class Median(Aggregate):
    """The median, computed by the database: ``percentile_cont`` on PostgreSQL, and on SQLite the ``MEDIAN``
    aggregate this app registers on every connection (``apps.py``)."""

    function = "MEDIAN"
    name = "Median"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        )


def speed_league(*, scope: Scope, filters: ReportFilters) -> list[dict[str, Any]]:
    """Median days from submission to disbursement per bank (platform loans: reported ones carry no
    application), fastest first, with the rank."""
    loans = platform_loans(scope, filters).filter(application__submitted_at__isnull=False)
    waited = ExpressionWrapper(F("disbursed_at") - F("application__submitted_at"), output_field=DurationField())
    rows = (
        loans.annotate(waited_=waited)
        .values("bank_id", "bank__name")
        .annotate(median=Median("waited_", output_field=DurationField()), count=Count("pk"))
        .order_by("median", "bank_id")
    )
    return [
        {
            "rank": rank,
            "bank": row["bank_id"],
            "bank_name": row["bank__name"],
            "loans": row["count"],
            "median_days": Decimal(row["median"].total_seconds() / 86400).quantize(Decimal("0.1")),
        }
        for rank, row in enumerate(rows, start=1)
    ]


OPEN = (LoanStatus.ACTIVE, LoanStatus.OVERDUE, LoanStatus.DEFAULTED)


def risk_figures(*, scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    """Overdue and non-performing ratios of the platform's open book (outstanding principal and loans), as the
    loans stand now: overdue = any day past due; non-performing = defaulted or over 90 days past due."""
    open_ = Q(status__in=OPEN)
    overdue = open_ & (Q(status__in=(LoanStatus.OVERDUE, LoanStatus.DEFAULTED)) | Q(days_past_due__gt=0))
    npl = open_ & (Q(status=LoanStatus.DEFAULTED) | Q(days_past_due__gt=DEFAULT_AFTER_DAYS))
    row = platform_loans(scope, filters).aggregate(
        outstanding=Sum("outstanding_principal", filter=open_),
        open_loans=Count("pk", filter=open_),
        overdue_amount=Sum("outstanding_principal", filter=overdue),
        overdue_loans=Count("pk", filter=overdue),
        npl_amount=Sum("outstanding_principal", filter=npl),
        npl_loans=Count("pk", filter=npl),
        written_off_loans=Count("pk", filter=Q(status=LoanStatus.WRITTEN_OFF)),
        written_off_principal=Sum("principal", filter=Q(status=LoanStatus.WRITTEN_OFF)),
    )
    zero = Decimal("0.00")
    outstanding = row["outstanding"] or zero
    return {
        "outstanding": to_yuan(outstanding),
        "open_loans": row["open_loans"],
        "overdue_amount": to_yuan(row["overdue_amount"] or zero),
        "overdue_loans": row["overdue_loans"],
        "overdue_ratio": _ratio(row["overdue_amount"] or 0, outstanding),
        "npl_amount": to_yuan(row["npl_amount"] or zero),
        "npl_loans": row["npl_loans"],
        "npl_ratio": _ratio(row["npl_amount"] or 0, outstanding),
        "written_off_loans": row["written_off_loans"],
        "written_off_principal": to_yuan(row["written_off_principal"] or zero),
        "pool": pool_figures(scope=scope, filters=filters),
    }


def pool_figures(*, scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    """The risk-compensation pools as their ledgers stand now (two queries, whatever the number of pools):
    city-wide, the pools' cash, exposure, claims paid and recoveries; for a bank, the exposure its own
    filings hold in the pools (the pools' books are the city's)."""
    live = (FilingStatus.FILED, FilingStatus.COVERED, FilingStatus.CLAIMED)
    if not scope.city_wide:
        held = PoolFiling.objects.filter(bank_id=scope.bank_id, status__in=live).aggregate(s=Sum("amount"))["s"]
        return {"pools": None, "exposure": to_yuan(held or 0), "balance": None, "claims_paid": None, "recoveries": None}
    positions = list(pools_positions(pools=list(Pool.objects.all())).values())
    total = {
        name: to_yuan(sum((getattr(p, name) for p in positions), Decimal(0)))
        for name in ("balance", "exposure", "claims_paid", "recoveries")
    }
    return {"pools": len(positions), **total}


# --- the plan's other indicators ------------------------------------------------------------------------------


def _latest_figure(code: str, as_of: dt.date) -> OfficialFigure | None:
    return OfficialFigure.objects.filter(indicator__code=code, as_of__lte=as_of).order_by("-as_of", "-id").first()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def high_value_invention_patents(as_of: dt.date) -> QuerySet[IPAsset]:
    """CNIPA's high-value invention patents as far as the platform records them: valid invention patents with
    an overseas family member, or maintained over 10 years (filed more than 10 years ago), or a China Patent
    Award, or pledged for 1000万 or more. The strategic-emerging-industry category is not recorded here."""
    high_pledge = ApplicationAsset.objects.filter(
        asset_id=OuterRef("pk"), application__loan__principal__gte=INCLUSIVE_CEILING
    )
    awards = (Award.CHINA_PATENT_GOLD, Award.CHINA_PATENT_SILVER, Award.CHINA_PATENT_EXCELLENCE)
    return IPAsset.objects.filter(
        Q(overseas_family_members__gt=0)
        | Q(filing_date__lt=_years_before(as_of, 10))
        | Q(award__in=awards)
        | Q(Exists(high_pledge)),
        ip_type=IPType.INVENTION_PATENT,
        legal_status=LegalStatus.VALID,
        archived_at__isnull=True,
    )


def _reached(target: Target, split: Split) -> Decimal:
    """What counts towards the target: the platform's loans, and the reported ones when it includes them."""
    return split.total.amount if target.includes_reported else split.platform.amount


def _cumulative_reached(scope: Scope, as_of: dt.date) -> Decimal | None:
    """The first active cumulative target's figure as the dashboard shows it, without the dashboard's monthly
    history and forecasts."""
    target = next((t for t in Target.objects.filter(is_active=True) if t.reading == TargetReading.CUMULATIVE), None)
    if target is None:
        return None
    start = min(PLAN_START, target.period_start)
    split = _summary_figures(scope, ReportFilters(), [target], start=start, as_of=as_of)[0][target.code]
    return to_yuan(_reached(target, split))


def indicators(*, scope: Scope, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Each plan indicator with its target, the latest official figure the office entered, and what the
    platform derives from its own records (None when it cannot)."""
    as_of = as_of or timezone.localdate()
    live = IPAsset.objects.filter(archived_at__isnull=True, legal_status=LegalStatus.VALID)
    counts = live.aggregate(
        invention=Count("pk", filter=Q(ip_type=IPType.INVENTION_PATENT)),
        trademarks=Count("pk", filter=Q(ip_type=IPType.TRADEMARK)),
    )
    enterprises = Enterprise.objects.aggregate(n=Count("pk"), certified=Count("pk", filter=Q(is_ip_certified=True)))
    year = as_of.year
    registered_in_year = IPAsset.objects.filter(
        ip_type__in=(IPType.COPYRIGHT, IPType.SOFTWARE_COPYRIGHT),
        grant_date__gte=dt.date(year, 1, 1),
        grant_date__lte=as_of,
    ).count()
    population = _latest_figure("population", as_of)
    high_value = high_value_invention_patents(as_of).count()
    pledged = _cumulative_reached(scope, as_of)
    derived = {
        "pledge_financing": None if pledged is None else (pledged / YI).quantize(Decimal("0.0001")),
        "valid_invention_patents": Decimal(counts["invention"]),
        "valid_trademarks": Decimal(counts["trademarks"]),
        "trademarks_per_100_enterprises": _per(counts["trademarks"], enterprises["n"], 100),
        "high_value_patents_per_10k": _per(high_value, population.value if population else 0, 10_000),
        "copyright_registrations": Decimal(registered_in_year),
        "ip_certified_firms": Decimal(enterprises["certified"]),
    }
    latest = {
        f.indicator_id: f
        for f in OfficialFigure.objects.filter(as_of__lte=as_of).order_by("indicator_id", "as_of", "id")
    }
    rows = []
    for indicator in Indicator.objects.all():
        official = latest.get(indicator.pk)
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "target": indicator.target,
                "target_year": indicator.target_year,
                "official": None
                if official is None
                else {"value": official.value, "as_of": official.as_of, "source": official.source},
                "platform": derived.get(indicator.code),
                "derivation": indicator.derivation,
            }
        )
    return rows


def _per(count: int, base, per: int) -> Decimal | None:
    return (Decimal(count) / Decimal(base) * per).quantize(Decimal("0.0001")) if base else None


# --- the district's monthly report ----------------------------------------------------------------------------


def district_month_report(*, scope: Scope, month: dt.date, as_of: dt.date | None = None) -> dict[str, Any]:
    """For ``month`` (its first day): every district's figures of the month, the year to the month's end and
    the plan period to the month's end; and per district, the month by bank, chain and size band."""
    month_end = _bucket_end(month, "month")
    base = ReportFilters()
    periods = {
        "month": replace(base, start=month, end=month_end),
        "year_to_date": replace(base, start=month.replace(month=1), end=month_end),
        "plan_to_date": replace(base, start=PLAN_START, end=month_end),
    }
    overview = {name: breakdown(scope=scope, filters=period, by="district") for name, period in periods.items()}
    details: dict[str, dict[str, Any]] = {code: {"label": str(label)} for code, label in District.choices}
    # Each section in two queries grouped by district and the section's dimension, not two per district.
    platform, reported = platform_loans(scope, periods["month"]), reported_loans(scope, periods["month"])
    for section, by in (("by_bank", "bank"), ("by_chain", "chain"), ("by_size_band", "size_band")):
        found = figures(platform, reported, dimensions=(DIMENSIONS["district"], DIMENSIONS[by]))
        per_district: dict[str, dict[tuple, Split]] = defaultdict(dict)
        for (district, key), split in found.items():
            per_district[district][(key,)] = split
        labels = _labels(by, [key for _district, key in found])
        for code, detail in details.items():
            detail[section] = _breakdown_rows(by, per_district[code], labels)
    return {"month": month, "overview": overview, "districts": details}
