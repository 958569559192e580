"""The financial office's dashboard: progress to the plan's target, volumes, breakdowns, speed and risk."""

from __future__ import annotations

from .pages import CITY_WIDE, for_kinds, page

city_only = for_kinds(*CITY_WIDE)


@city_only
def dashboard(request):
    return page(request, "web/city/dashboard.html", {})
