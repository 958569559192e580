"""The office's figures as spreadsheets: one table per export (CSV or XLSX through ``core.tabular``, which
defuses formula injection), and the monthly report per district as one workbook. Headers and sheet names are
words in the reader's language (合计 金额（元）, 通州区), not codes; the cells keep the codes a reader filters on
(a district's 320612 beside its name)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from tongzhirong.core.tabular import _defused

from .selectors import ReportFilters, Scope, breakdown, district_month_report, volume_series

PARTS = ("platform", "reported", "total")
FIGURES = ("amount", "count", "firms")
PART_WORDS = {
    "platform": gettext_lazy("On the platform"),
    "reported": gettext_lazy("Reported by banks"),
    "total": gettext_lazy("Total"),
    "month": gettext_lazy("This month"),
    "ytd": gettext_lazy("Year to date"),
    "plan": gettext_lazy("Plan to date"),
}
FIGURE_WORDS = {
    "amount": gettext_lazy("amount (yuan)"),
    "count": gettext_lazy("loans"),
    "firms": gettext_lazy("firms"),
}
DIMENSION_WORDS = {
    "district": gettext_lazy("District"),
    "cluster": gettext_lazy("616 cluster"),
    "chain": gettext_lazy("Industry chain"),
    "bank": gettext_lazy("Bank"),
    "product_type": gettext_lazy("Product type"),
    "ip_type": gettext_lazy("IP type"),
    "size_band": gettext_lazy("Firm size"),
    "first_time": gettext_lazy("First or repeat loan"),
    "tech_marker": gettext_lazy("Tech marker"),
}


BUCKET_WORDS = {
    "month": gettext_lazy("By month"),
    "quarter": gettext_lazy("By quarter"),
    "year": gettext_lazy("By year"),
}


def export_title(*, table: str, bucket: str = "month", by: str = "") -> str:
    """The sheet's name in the reader's language (按月, 按区县), not the query's codes (series-month)."""
    if table == "series":
        return _sheet_title(BUCKET_WORDS[bucket])
    return _sheet_title(_("By %(dimension)s") % {"dimension": _dimension(by)})


def _words(part: str, figure: str) -> str:
    return _("%(part)s: %(figure)s") % {"part": PART_WORDS[part], "figure": FIGURE_WORDS[figure]}


def _dimension(by: str) -> str:
    return str(DIMENSION_WORDS.get(by, by))


def _figure_headers() -> list[str]:
    return [_words(part, figure) for part in PARTS for figure in FIGURES]


def _figure_cells(row: dict[str, Any]) -> list[Any]:
    return [row[part][figure] for part in PARTS for figure in FIGURES]


def series_table(*, scope: Scope, filters: ReportFilters, bucket: str) -> tuple[list[str], list[list[Any]]]:
    series = volume_series(scope=scope, filters=filters, bucket=bucket)
    codes = sorted({code for row in series for code in row["targets"]})
    headers = [
        _("Period"),
        *_figure_headers(),
        _("Cumulative total amount (yuan)"),
        *[_("Share of target %(target)s") % {"target": c} for c in codes],
    ]
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
    headers = [_("%(dimension)s (code)") % {"dimension": _dimension(by)}, _("Name"), *_figure_headers()]
    return headers, [[r["key"], r["label"], *_figure_cells(r)] for r in rows]


def district_report_xlsx(*, scope: Scope, month: dt.date) -> bytes:
    """Sheet 1: every district's month, year to date and plan to date; then one sheet per district with its
    month by bank, chain and size band."""
    report = district_month_report(scope=scope, month=month)
    book = Workbook()
    overview = book.active
    overview.title = f"{month:%Y-%m}"
    overview.append(
        _defused(
            [
                _("District code"),
                _("District"),
                *[_words(part, figure) for part in ("month", "ytd", "plan") for figure in FIGURES],
            ]
        )
    )
    by_period = {name: {r["key"]: r for r in rows} for name, rows in report["overview"].items()}
    for code, detail in report["districts"].items():
        cells = []
        for name in ("month", "year_to_date", "plan_to_date"):
            found = by_period[name].get(code)
            cells += [found["total"][f] if found else 0 for f in FIGURES]
        overview.append(_defused([code, detail["label"], *cells]))
    overview.freeze_panes = "A2"
    for code, detail in report["districts"].items():
        sheet = book.create_sheet(title=_sheet_title(detail["label"] or code))
        sheet.append(_defused([detail["label"], f"{month:%Y-%m}"]))
        for section in ("by_bank", "by_chain", "by_size_band"):
            sheet.append([])
            by = section.removeprefix("by_")
            sheet.append(
                _defused([_("%(dimension)s (code)") % {"dimension": _dimension(by)}, _("Name"), *_figure_headers()])
            )
            for row in detail[section]:
                sheet.append(_defused([row["key"], row["label"], *_figure_cells(row)]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name))[:31]
