"""Coverage of tech SMEs, the banks' speed league, risk figures and the risk pools' figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.utils import timezone

from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import OPEN_LOAN_STATUSES, LoanStatus
from tongzhirong.risksharing.models import FilingStatus, Pool, PoolFiling
from tongzhirong.risksharing.selectors import pools_positions

from .figures import latest_official_figure
from .scope import ReportFilters, Scope, platform_loans, reported_loans

# Share of tech SMEs that had ever pledged IP in 2021: the baseline of "widen coverage" (BRIEF §3).
COVERAGE_BASELINE = Decimal("0.025")


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
    # NOT EXISTS, not exclude(borrower_uscc__in=...): PostgreSQL runs NOT IN (subquery) as a scan of the
    # subquery per reported loan once the register no longer fits in memory as a hash (11+ minutes at 1M loans).
    off_platform = (
        reported.filter(is_tech_sme=True)
        .exclude(Exists(Enterprise.objects.filter(uscc=OuterRef("borrower_uscc"))))
        .aggregate(n=Count("borrower_uscc", distinct=True))["n"]
    )
    official = latest_official_figure("registered_tech_smes", as_of) if scope.city_wide else None
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


def risk_figures(*, scope: Scope, filters: ReportFilters) -> dict[str, Any]:
    """Overdue and non-performing ratios of the platform's open book (outstanding principal and loans), as the
    loans stand now: overdue = any day past due; non-performing = defaulted or over 90 days past due."""
    open_ = Q(status__in=OPEN_LOAN_STATUSES)
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
