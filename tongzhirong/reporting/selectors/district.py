"""The district's monthly report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from typing import Any

from tongzhirong.core.reference import District

from .breakdowns import DIMENSIONS, breakdown, breakdown_rows, group_labels
from .figures import Split, figures
from .scope import PLAN_START, ReportFilters, Scope, platform_loans, reported_loans
from .summary import bucket_end


def district_month_report(*, scope: Scope, month: dt.date, as_of: dt.date | None = None) -> dict[str, Any]:
    """For ``month`` (its first day): every district's figures of the month, the year to the month's end and
    the plan period to the month's end; and per district, the month by bank, chain and size band."""
    month_end = bucket_end(month, "month")
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
        labels = group_labels(by, [key for _district, key in found])
        for code, detail in details.items():
            detail[section] = breakdown_rows(by, per_district[code], labels)
    return {"month": month, "overview": overview, "districts": details}
