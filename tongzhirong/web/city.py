"""The financial office's dashboard: progress to the plan's 200亿 target under both readings, the monthly
volume with its forecast band, breakdowns, coverage and the 普惠 share, the speed league and the risk panel.
All figures come from the reporting selectors, aggregated in the database."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from tongzhirong.core.db_routing import reads_reporting
from tongzhirong.reporting.selectors import (
    ReportFilters,
    breakdown,
    coverage,
    dashboard_summary,
    reporting_scope,
    risk_figures,
    speed_league,
    volume_series,
)

from .pages import CITY_WIDE, for_kinds, page

city_only = for_kinds(*CITY_WIDE)
YI = Decimal("100000000")  # 亿
BREAKDOWN_TABLES = (
    ("district", _("By district and park")),
    ("cluster", _("By 616 cluster")),
    ("bank", _("By bank")),
    ("product_type", _("By product type")),
    ("ip_type", _("By IP type")),
    ("size_band", _("By loan size")),
)


@city_only
@reads_reporting  # the figures from the replica, when there is one; the sign-in check above reads the primary
def dashboard(request):
    scope, filters = reporting_scope(user=request.user), ReportFilters()
    summary = dashboard_summary(scope=scope, filters=filters)
    series = volume_series(scope=scope, filters=filters, bucket="month")
    rows_by = {by: breakdown(scope=scope, filters=filters, by=by) for by, _title in BREAKDOWN_TABLES}
    tables = [(title, rows_by[by]) for by, title in BREAKDOWN_TABLES]
    sizes = rows_by["size_band"]
    total = sum((row["total"]["amount"] for row in sizes), Decimal(0))
    inclusive = sum((row["total"]["amount"] for row in sizes if row.get("inclusive")), Decimal(0))
    cumulative = next((t for t in summary["targets"] if t["reading"] == "cumulative"), None)
    chart = {
        "months": [row["period"].strftime("%Y-%m") for row in series],
        "amount": [float(row["total"]["amount"] / YI) for row in series],
        "cumulative": [float(row["cumulative"]["total"]["amount"] / YI) for row in series],
        "target": float(cumulative["amount"] / YI) if cumulative else None,
        "forecast": None,
    }
    if cumulative and cumulative["forecast"]:
        f = cumulative["forecast"]
        chart["forecast"] = {
            "end": cumulative["period_end"].strftime("%Y-%m"),
            "point": float(f["point"] / YI),
            "low": float(f["low"] / YI),
            "high": float(f["high"] / YI),
        }
    return page(
        request,
        "web/city/dashboard.html",
        {
            "summary": summary,
            "tables": tables,
            "coverage": coverage(scope=scope, filters=filters),
            "league": speed_league(scope=scope, filters=filters),
            "risk": risk_figures(scope=scope, filters=filters),
            "inclusive_share": (inclusive / total) if total else None,
            "chart": chart,
        },
    )
