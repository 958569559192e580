"""The district's monthly report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from typing import Any

from tongzhirong.core.reference import District

from .breakdowns import DIMENSIONS, breakdown_rows, group_labels, loan_groups
from .figures import Split, figures
from .rolled import rolled_crossed
from .scope import PLAN_START, ReportFilters, Scope, platform_loans, reported_loans
from .summary import bucket_end

SECTIONS = (("by_bank", "bank"), ("by_chain", "chain"), ("by_size_band", "size_band"))
# Each of the report's cuts and the period-partitioned rollup group that answers it.
ROLLED_OVERVIEW = {"month": "dist_month", "year_to_date": "dist_year", "plan_to_date": "dist_plan"}
ROLLED_SECTIONS = {"bank": "dist_bank_month", "chain": "dist_chain_month", "size_band": "dist_size_month"}


def district_month_report(*, scope: Scope, month: dt.date, as_of: dt.date | None = None) -> dict[str, Any]:
    """For ``month`` (its first day): every district's figures of the month, the year to the month's end and
    the plan period to the month's end; and per district, the month by bank, chain and size band. City-wide from
    the rollups' period-partitioned groups (a few thousand day rows), a bank's own book from its loans."""
    month_end = bucket_end(month, "month")
    if scope.city_wide:
        overview_groups, section_groups = rolled_report_groups(ReportFilters(), month, month_end)
    else:
        overview_groups, section_groups = loan_report_groups(scope, ReportFilters(), month, month_end)
    overview = {
        name: breakdown_rows("district", rows, group_labels("district", [key[0] for key in rows]))
        for name, rows in overview_groups.items()
    }
    details: dict[str, dict[str, Any]] = {code: {"label": str(label)} for code, label in District.choices}
    for section, by in SECTIONS:
        found = section_groups[by]
        per_district: dict[str, dict[tuple, Split]] = defaultdict(dict)
        for (district, key), split in found.items():
            per_district[district][(key,)] = split
        labels = group_labels(by, [key for _district, key in found])
        for code, detail in details.items():
            detail[section] = breakdown_rows(by, per_district[code], labels)
    return {"month": month, "overview": overview, "districts": details}


def _periods(month: dt.date, month_end: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    return {
        "month": (month, month_end),
        "year_to_date": (month.replace(month=1), month_end),
        "plan_to_date": (PLAN_START, month_end),
    }


Groups = dict[tuple, Split]


def rolled_report_groups(
    filters: ReportFilters, month: dt.date, month_end: dt.date
) -> tuple[dict[str, Groups], dict[str, Groups]]:
    """The city's report from the period-partitioned day rows: per period, figures by district; per section, by
    (district, group) for the month. Each group holds one period's loans, and the window runs from the period's
    start, so its firms are the sum of ``firms_first`` up to the window's end: exact."""
    periods = _periods(month, month_end)
    overview = {name: rolled_crossed(filters, ROLLED_OVERVIEW[name], *periods[name]) for name in ROLLED_OVERVIEW}
    sections = {by: rolled_crossed(filters, dimension, month, month_end) for by, dimension in ROLLED_SECTIONS.items()}
    return overview, sections


def loan_report_groups(
    scope: Scope, filters: ReportFilters, month: dt.date, month_end: dt.date
) -> tuple[dict[str, Groups], dict[str, Groups]]:
    """The same groups counted from the loans (a bank's own book; the reference the rollups are tested against)."""
    periods = _periods(month, month_end)
    overview = {
        name: loan_groups(scope, replace(filters, start=lo, end=hi), "district") for name, (lo, hi) in periods.items()
    }
    in_month = replace(filters, start=month, end=month_end)
    platform, reported = platform_loans(scope, in_month), reported_loans(scope, in_month)
    # Each section in two queries grouped by district and the section's dimension, not two per district.
    sections = {
        by: figures(platform, reported, dimensions=(DIMENSIONS["district"], DIMENSIONS[by])) for _s, by in SECTIONS
    }
    return overview, sections
