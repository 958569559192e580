"""The financial office's dashboard: progress to the plan's 200亿 target under both readings, the monthly
volume with its forecast band, breakdowns, coverage and the 普惠 share, the speed league, the risk panel and
the pools the office runs, with their what-if (a POST runs the simulation; nothing is stored).
The figures come from the reporting selectors, aggregated in the database."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.http import Http404
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
from tongzhirong.risksharing import selectors as pool_selectors
from tongzhirong.risksharing import services as pool_services

from .pages import CITY_WIDE, attempt, for_kinds, page

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


class PoolWhatIfForm(forms.Form):
    """The what-if's assumptions; their bounds are the service's (its refusals land on these fields)."""

    pool = forms.IntegerField(widget=forms.HiddenInput)
    correlation = forms.DecimalField(label=_("Asset correlation"), decimal_places=3, initial=Decimal("0.15"))
    target = forms.DecimalField(
        label=_("Acceptable chance of exhausting the fund"), decimal_places=4, initial=Decimal("0.01")
    )
    recovery_rate = forms.DecimalField(label=_("Recovery rate"), decimal_places=3, initial=Decimal("0.20"))


def _pools(user) -> list[dict]:
    """The pools this office runs (every pool for the platform), with their exposure and capacity left."""
    pools = [p for p in pool_selectors.pool_list(user=user) if pool_selectors.pool_may_read_ledger(user=user, pool=p)]
    positions = pool_selectors.pools_positions(pools=pools)
    return [
        {"pool": p, "exposure": positions[p.pk].exposure, "capacity_left": p.capacity - positions[p.pk].exposure}
        for p in pools
    ]


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
    pools = _pools(request.user)
    what_if, form = None, PoolWhatIfForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pool = next((row["pool"] for row in pools if row["pool"].pk == form.cleaned_data["pool"]), None)
        if pool is None:
            raise Http404
        outcome = {}

        def simulate():
            assumptions = {k: v for k, v in form.cleaned_data.items() if k != "pool"}
            outcome["result"] = pool_services.pool_what_if(actor=request.user, pool=pool, **assumptions)

        if attempt(request, simulate, form):
            what_if = {"pool": pool, **outcome}
    return page(
        request,
        "web/city/dashboard.html",
        {
            "pools": pools,
            "what_if": what_if,
            "what_if_form": form,
            "summary": summary,
            "tables": tables,
            "coverage": coverage(scope=scope, filters=filters),
            "league": speed_league(scope=scope, filters=filters),
            "risk": risk_figures(scope=scope, filters=filters),
            "inclusive_share": (inclusive / total) if total else None,
            "chart": chart,
        },
    )
