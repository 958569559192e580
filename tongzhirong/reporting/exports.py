"""The office's figures as spreadsheets: one table per export (CSV or XLSX through ``core.tabular``, which
defuses formula injection), and the monthly report per district as one workbook."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook

from tongzhirong.core.tabular import _defused

from .selectors import ReportFilters, Scope, breakdown, district_month_report, volume_series

PARTS = ("platform", "reported", "total")
FIGURES = ("amount", "count", "firms")


def _figure_headers() -> list[str]:
    return [f"{part}_{figure}" for part in PARTS for figure in FIGURES]


def _figure_cells(row: dict[str, Any]) -> list[Any]:
    return [row[part][figure] for part in PARTS for figure in FIGURES]


def series_table(*, scope: Scope, filters: ReportFilters, bucket: str) -> tuple[list[str], list[list[Any]]]:
    series = volume_series(scope=scope, filters=filters, bucket=bucket)
    codes = sorted({code for row in series for code in row["targets"]})
    headers = ["period", *_figure_headers(), "cumulative_total_amount", *[f"percent_of_{c}" for c in codes]]
    rows = [
        [
            row["period"].isoformat(),
            *_figure_cells(row),
            row["cumulative"]["total"]["amount"],
            *[row["targets"].get(c) for c in codes],
        ]
        for row in series
    ]
    return headers, rows


def breakdown_table(*, scope: Scope, filters: ReportFilters, by: str) -> tuple[list[str], list[list[Any]]]:
    rows = breakdown(scope=scope, filters=filters, by=by)
    return [by, "label", *_figure_headers()], [[r["key"], r["label"], *_figure_cells(r)] for r in rows]


def district_report_xlsx(*, scope: Scope, month: dt.date) -> bytes:
    """Sheet 1: every district's month, year to date and plan to date; then one sheet per district with its
    month by bank, chain and size band."""
    report = district_month_report(scope=scope, month=month)
    book = Workbook()
    overview = book.active
    overview.title = f"{month:%Y-%m}"
    overview.append(_defused(["district", "label", *[f"{p}_{f}" for p in ("month", "ytd", "plan") for f in FIGURES]]))
    by_period = {name: {r["key"]: r for r in rows} for name, rows in report["overview"].items()}
    for code, detail in report["districts"].items():
        cells = []
        for name in ("month", "year_to_date", "plan_to_date"):
            found = by_period[name].get(code)
            cells += [found["total"][f] if found else 0 for f in FIGURES]
        overview.append(_defused([code, detail["label"], *cells]))
    overview.freeze_panes = "A2"
    for code, detail in report["districts"].items():
        sheet = book.create_sheet(title=code[:31])
        sheet.append(_defused([detail["label"], f"{month:%Y-%m}"]))
        for section in ("by_bank", "by_chain", "by_size_band"):
            sheet.append([])
            sheet.append(_defused([section.removeprefix("by_"), "label", *_figure_headers()]))
            for row in detail[section]:
                sheet.append(_defused([row["key"], row["label"], *_figure_cells(row)]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
