"""Who sees what: the caller's scope, the report filters and the two sources of loans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    QuerySet,
)
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import PermissionDenied
from tongzhirong.core.reference import SHANGHAI
from tongzhirong.financing.models import Loan

# Where the plan's cumulative reading starts: the monthly series and the forecast history start here (kept beside
# the rollups, which partition the district report's groups by it).
from tongzhirong.financing.rollups import PLAN_START as PLAN_START

from ..models import ReportedLoan

# Who sees the whole city. There is no organisation kind for the IP office yet: the city office and the
# platform stand in for it.
CITY_WIDE_KINDS = frozenset({OrganisationKind.CITY_OFFICE, OrganisationKind.PLATFORM})


@dataclass(frozen=True)
class Scope:
    """``bank_id`` None: the whole city; else that bank's own book only."""

    bank_id: int | None

    @property
    def city_wide(self) -> bool:
        return self.bank_id is None


def reporting_scope(*, user) -> Scope:
    require(
        user,
        kinds=CITY_WIDE_KINDS | {OrganisationKind.BANK},
        superuser_ok=True,
        message=_("Only the city office, the platform and banks (their own book) see these figures."),
    )
    if user.is_superuser or user.kind in CITY_WIDE_KINDS:
        return Scope(bank_id=None)
    return Scope(bank_id=user.organisation_id)


def city_wide_scope(*, user) -> Scope:
    scope = reporting_scope(user=user)
    if not scope.city_wide:
        raise PermissionDenied(_("Only the city office and the platform see city-wide figures."))
    return scope


class Source:
    ALL = "all"
    PLATFORM = "platform"
    REPORTED = "reported"
    CHOICES = (ALL, PLATFORM, REPORTED)


@dataclass(frozen=True)
class ReportFilters:
    """``start``/``end``: first and last day (inclusive, Asia/Shanghai); None leaves that side open."""

    start: dt.date | None = None
    end: dt.date | None = None
    district: str | None = None
    cluster: str | None = None
    bank: int | None = None
    source: str = Source.ALL


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def platform_loans(scope: Scope, filters: ReportFilters) -> QuerySet[Loan]:
    if filters.source == Source.REPORTED:
        return Loan.objects.none()
    return _filtered(Loan.objects.all(), scope, filters, district="borrower__district", cluster="borrower__cluster")


def reported_loans(scope: Scope, filters: ReportFilters) -> QuerySet[ReportedLoan]:
    if filters.source == Source.PLATFORM:
        return ReportedLoan.objects.none()
    return _filtered(ReportedLoan.objects.all(), scope, filters, district="district", cluster="cluster")


def _filtered(qs: QuerySet, scope: Scope, filters: ReportFilters, *, district: str, cluster: str) -> QuerySet:
    if scope.bank_id is not None:
        qs = qs.filter(bank_id=scope.bank_id)
    if filters.bank is not None:
        qs = qs.filter(bank_id=filters.bank)
    if filters.district:
        qs = qs.filter(**{district: filters.district})
    if filters.cluster:
        qs = qs.filter(**{cluster: filters.cluster})
    if filters.start is not None:
        qs = qs.filter(disbursed_at__gte=day_start(filters.start))
    if filters.end is not None:
        qs = qs.filter(disbursed_at__lt=day_start(filters.end + dt.timedelta(days=1)))
    return qs
