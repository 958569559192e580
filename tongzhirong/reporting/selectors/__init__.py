"""The financial office's figures, computed in the database from the raw rows: platform loans (``Loan``) and
loans reported from outside the platform (``ReportedLoan``), apart and together.

Every function takes a ``Scope`` (``reporting_scope``: the city office, the IP office's stand-in and the
platform see the city; a bank sees its own book; anyone else is refused) and ``ReportFilters`` (period,
district, cluster, bank, source). Figures per group are ``amount`` (disbursed principal, yuan), ``count``
(loans) and ``firms`` (distinct borrowers). A firm with both kinds of loan in the same group counts once in
the total: reported borrowers are matched to platform borrowers by USCC, in the database (``Exists``).
Periods and months are Asia/Shanghai days: a loan disbursed 2026-12-31 23:30 there is a 2026 loan.

By topic: ``scope`` (who sees what, the filters, the two sources), ``figures`` (amount, count, firms per group),
``breakdowns`` (the dimensions and their labels), ``summary`` (the dashboard summary and the monthly series),
``performance`` (coverage, speed, risk, pools), ``indicators`` (the plan's other indicators), ``district`` (the
district's monthly report). Callers import from the package."""

from tongzhirong.financing.rollups import leading_ip_type

from .breakdowns import BREAKDOWNS, DIMENSIONS, breakdown
from .district import district_month_report
from .figures import Figures, Split, figures
from .indicators import indicators
from .performance import coverage, pool_figures, risk_figures, speed_league
from .scope import (
    PLAN_START,
    ReportFilters,
    Scope,
    Source,
    city_wide_scope,
    day_start,
    platform_loans,
    reported_loans,
    reporting_scope,
)
from .summary import dashboard_summary, volume_series

__all__ = [
    "BREAKDOWNS",
    "DIMENSIONS",
    "PLAN_START",
    "Figures",
    "ReportFilters",
    "Scope",
    "Source",
    "Split",
    "breakdown",
    "city_wide_scope",
    "coverage",
    "dashboard_summary",
    "day_start",
    "district_month_report",
    "figures",
    "indicators",
    "leading_ip_type",
    "platform_loans",
    "pool_figures",
    "reported_loans",
    "reporting_scope",
    "risk_figures",
    "speed_league",
    "volume_series",
]
