"""The dimensions the office breaks figures down by, their labels, and the breakdown table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils.translation import gettext_lazy

from tongzhirong.accounts.models import Organisation
from tongzhirong.core.reference import Cluster, District, IPType
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Loan
from tongzhirong.financing.rollups import LARGE_LOAN, SIZE_BANDS, TECH_MARKERS

from .figures import Dimension, Split, figures
from .rolled import firms_exact, rolled_figures, rolled_group, window_days
from .scope import ReportFilters, Scope, platform_loans, reported_loans

INCLUSIVE_CEILING = LARGE_LOAN  # 普惠: loans under 1000万
INCLUSIVE_BANDS = frozenset(
    band for ceiling, band in SIZE_BANDS if ceiling is not None and ceiling <= INCLUSIVE_CEILING
)


def _size_band():
    whens = [When(principal__lt=ceiling, then=Value(band)) for ceiling, band in SIZE_BANDS if ceiling is not None]
    return Case(*whens, default=Value(SIZE_BANDS[-1][1]))


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
    # The loan's leading IP type, stored when it was written (financing.rollups.IP_TYPE_PRECEDENCE).
    "ip_type": Dimension(F("ip_type"), F("ip_type")),
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
BREAKDOWNS = (*DIMENSIONS, "tech_marker")
TECH_MARKER_GROUPS = (*((marker.removeprefix("is_"),) for marker in TECH_MARKERS), ("none",))


def group_labels(by: str, keys: Iterable) -> dict:
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
    loan counts under every marker its borrower holds, and under ``none`` when it holds none. From the rollups
    (the city's groups, or a bank's own) when they answer the scope and period exactly, else from the loans."""
    group = rolled_group(scope, filters)
    days = window_days(filters.start) if group is not None else None
    if group is not None and firms_exact(filters.start, filters.end, days):
        rows = rolled_groups(filters, by, days=days, group=group)
    else:
        rows = loan_groups(scope, filters, by)
    return breakdown_rows(by, rows, group_labels(by, [key[0] for key in rows]))


def rolled_groups(
    filters: ReportFilters, by: str, *, days=None, group: tuple[str, str] = ("all", "")
) -> dict[tuple, Split]:
    rows = rolled_figures(filters, by, lo=filters.start, hi=filters.end, days=days, group=group)
    if by == "tech_marker":
        return {key: rows.get(key, Split()) for key in TECH_MARKER_GROUPS}
    return rows


def loan_groups(scope: Scope, filters: ReportFilters, by: str) -> dict[tuple, Split]:
    platform, reported = platform_loans(scope, filters), reported_loans(scope, filters)
    if by != "tech_marker":
        return figures(platform, reported, dimensions=(DIMENSIONS[by],))
    groups = {}
    for marker in TECH_MARKERS:
        flag = {f"borrower__{marker}": True}
        groups[marker.removeprefix("is_")] = figures(platform.filter(**flag), reported.filter(**{marker: True}))
    none_p = platform.filter(**{f"borrower__{m}": False for m in TECH_MARKERS})
    none_r = reported.filter(**dict.fromkeys(TECH_MARKERS, False))
    groups["none"] = figures(none_p, none_r)
    return {(key,): found.get((), Split()) for key, found in groups.items()}


def breakdown_rows(by: str, rows: dict[tuple, Split], labels: dict) -> list[dict[str, Any]]:
    result = []
    for (key,), split in rows.items():
        row = {"key": "" if key is None else str(key), "label": labels.get(key, "" if key is None else str(key))}
        if by == "size_band":
            row["inclusive"] = key in INCLUSIVE_BANDS
        result.append({**row, **split.as_dict()})
    result.sort(key=lambda r: (-r["total"]["amount"], r["key"]))
    return result
