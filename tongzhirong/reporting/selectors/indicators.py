"""The plan's other indicators, from the loans and the official figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tongzhirong.assets.models import Award, IPAsset, LegalStatus
from tongzhirong.core.money import YI, to_yuan
from tongzhirong.core.reference import IPType
from tongzhirong.financing.rollups import LargeLoanAsset

from ..models import Indicator, OfficialFigure, Target, TargetReading
from ..registers import FILED, GRANTED, FirmFigure, RegisterFigure
from .figures import latest_official_figure, target_reached
from .scope import PLAN_START, ReportFilters, Scope
from .summary import summary_figures


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def high_value_invention_patents(as_of: dt.date) -> QuerySet[IPAsset]:
    """CNIPA's high-value invention patents as far as the platform records them: valid invention patents with
    an overseas family member, or maintained over 10 years (filed more than 10 years ago), or a China Patent
    Award, or pledged for 1000万 or more. The strategic-emerging-industry category is not recorded here. The
    definition over the register's rows; ``indicators`` counts them from ``RegisterFigure`` (the equality test
    holds the two together)."""
    # The rights pledged for a loan of 1000万 or more, kept with the loans (a small table, not every pledge joined
    # to its loan).
    high_pledge = LargeLoanAsset.objects.filter(asset_id=OuterRef("pk"))
    awards = (Award.CHINA_PATENT_GOLD, Award.CHINA_PATENT_SILVER, Award.CHINA_PATENT_EXCELLENCE)
    return IPAsset.objects.filter(
        Q(overseas_family_members__gt=0)
        | Q(filing_date__lt=_years_before(as_of, 10))
        | Q(award__in=awards)
        | Q(Exists(high_pledge)),
        ip_type=IPType.INVENTION_PATENT,
        legal_status=LegalStatus.VALID,
        archived_at__isnull=True,
    )


def register_counts(as_of: dt.date) -> dict[str, int]:
    """The register's figures the indicators derive, as of a day, from the maintained counts
    (``reporting.registers``; a few thousand rows, whatever the size of the register): valid invention patents and
    trademarks (live: valid and not archived), high-value invention patents (``high_value_invention_patents``:
    distinguished, or filed more than 10 years before ``as_of``), copyright and software copyright registrations
    of ``as_of``'s year up to that day (archived ones too), the firms and the IP-certified firms."""
    filed = Q(dimension=FILED, live=True)
    invention = filed & Q(ip_type=IPType.INVENTION_PATENT)
    copyright_ = Q(
        dimension=GRANTED,
        ip_type__in=(IPType.COPYRIGHT, IPType.SOFTWARE_COPYRIGHT),
        day__gte=dt.date(as_of.year, 1, 1),
        day__lte=as_of,
    )
    # One statement over the rows of the live patents and marks and of this year's copyright registrations.
    register = RegisterFigure.objects.filter(
        (filed & Q(ip_type__in=(IPType.INVENTION_PATENT, IPType.TRADEMARK))) | copyright_
    ).aggregate(
        invention=_sum("rights", invention),
        trademarks=_sum("rights", filed & Q(ip_type=IPType.TRADEMARK)),
        high_value=_sum("rights", invention & (Q(distinguished=True) | Q(day__lt=_years_before(as_of, 10)))),
        copyright_registrations=_sum("rights", copyright_),
    )
    firms = FirmFigure.objects.aggregate(enterprises=_sum("firms"), ip_certified=_sum("firms", Q(is_ip_certified=True)))
    return {**register, **firms}


def _sum(column: str, condition: Q | None = None):
    return Coalesce(Sum(column, filter=condition), 0)


def _cumulative_reached(scope: Scope, as_of: dt.date) -> Decimal | None:
    """The first active cumulative target's figure as the dashboard shows it, without the dashboard's monthly
    history and forecasts."""
    target = next((t for t in Target.objects.filter(is_active=True) if t.reading == TargetReading.CUMULATIVE), None)
    if target is None:
        return None
    start = min(PLAN_START, target.period_start)
    split = summary_figures(scope, ReportFilters(), [target], start=start, as_of=as_of)[0][target.code]
    return to_yuan(target_reached(target, split))


def indicators(*, scope: Scope, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Each plan indicator with its target, the latest official figure the office entered, and what the
    platform derives from its own records (None when it cannot)."""
    as_of = as_of or timezone.localdate()
    counts = register_counts(as_of)
    population = latest_official_figure("population", as_of)
    pledged = _cumulative_reached(scope, as_of)
    derived = {
        "pledge_financing": None if pledged is None else (pledged / YI).quantize(Decimal("0.0001")),
        "valid_invention_patents": Decimal(counts["invention"]),
        "valid_trademarks": Decimal(counts["trademarks"]),
        "trademarks_per_100_enterprises": _per(counts["trademarks"], counts["enterprises"], 100),
        "high_value_patents_per_10k": _per(counts["high_value"], population.value if population else 0, 10_000),
        "copyright_registrations": Decimal(counts["copyright_registrations"]),
        "ip_certified_firms": Decimal(counts["ip_certified"]),
    }
    latest = {
        f.indicator_id: f
        for f in OfficialFigure.objects.filter(as_of__lte=as_of).order_by("indicator_id", "as_of", "id")
    }
    rows = []
    for indicator in Indicator.objects.all():
        official = latest.get(indicator.pk)
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "target": indicator.target,
                "target_year": indicator.target_year,
                "official": None
                if official is None
                else {"value": official.value, "as_of": official.as_of, "source": official.source},
                "platform": derived.get(indicator.code),
                "derivation": indicator.derivation,
            }
        )
    return rows


def _per(count: int, base, per: int) -> Decimal | None:
    return (Decimal(count) / Decimal(base) * per).quantize(Decimal("0.0001")) if base else None
