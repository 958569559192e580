"""The reporting part of the demo world: both targets, a few loans reported from outside the platform and
the office's official figures. Called by the demo world's ``build`` after the loans exist.

The official figures are demo values, marked as such in their source: they are not statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tongzhirong.core.identifiers import make_uscc
from tongzhirong.core.money import wan
from tongzhirong.core.reference import District, IPType
from tongzhirong.reporting.models import Indicator, OfficialFigure, ReportedLoan, Target
from tongzhirong.reporting.selectors import day_start

from .world import DemoWorld

DEMO_SOURCE = "演示数据 demo value, not an official statistic"
YI = Decimal("100000000")
OFFICIAL = {
    "population": "7720000",
    "registered_tech_smes": "4200",
    "valid_invention_patents": "52000",
    "valid_trademarks": "231000",
    "high_value_patents_per_10k": "24.5",
    "ip_certified_firms": "760",
}


def seed_reporting(world: DemoWorld) -> dict[str, int]:
    """``world`` is the demo's builder: its ``banks`` (code → Organisation), ``officers`` (bank pk → User),
    ``enterprises``, ``as_of`` and seeded ``rng`` are used. Returns what was created."""
    for code, reading, start in (
        ("pledge-2026-annual", "annual", dt.date(2026, 1, 1)),
        ("pledge-2024-2026-cumulative", "cumulative", dt.date(2024, 1, 1)),
    ):
        Target.objects.get_or_create(
            code=code,
            defaults={
                "name": code,
                "reading": reading,
                "amount": 200 * YI,
                "period_start": start,
                "period_end": dt.date(2026, 12, 31),
            },
        )
    rng, as_of = world.rng, world.as_of
    banks = list(world.banks.values())
    matched = world.enterprises[:2]
    outsiders = [
        (make_uscc(880_000 + i, d), d) for i, d in enumerate((District.RUGAO, District.QIDONG, District.HAIAN))
    ]
    created = []
    for i in range(6):
        bank = banks[i % len(banks)]
        day = as_of - dt.timedelta(days=rng.randint(20, 600))
        amount = wan(rng.choice([150, 300, 500, 800, 1200]))
        fields: dict[str, Any] = {"first_loan": i % 2 == 0}
        if i < len(matched):
            firm = matched[i]
            fields |= {
                "borrower_uscc": firm.uscc,
                "borrower_name": firm.legal_name,
                "borrower": firm,
                "district": firm.district,
                "cluster": firm.cluster,
                "chain": firm.chain,
                "is_tech_sme": firm.is_tech_sme,
                "is_high_tech": firm.is_high_tech,
            }
        else:
            code, district = outsiders[i % len(outsiders)]
            fields |= {"borrower_uscc": code, "borrower_name": f"南通场外借款企业{i}", "district": district}
        created.append(
            ReportedLoan.objects.create(
                bank=bank,
                contract_number=f"BW-{day:%Y%m%d}-{i:03d}",
                ip_type=IPType.INVENTION_PATENT,
                ip_identifiers=[],
                principal=amount,
                disbursed_on=day,
                disbursed_at=day_start(day),
                maturity_date=day + dt.timedelta(days=365),
                imported_by=world.officers[bank.pk],
                **fields,
            )
        )
    figures = 0
    for code, value in OFFICIAL.items():
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is not None:
            OfficialFigure.objects.get_or_create(
                indicator=indicator,
                as_of=dt.date(as_of.year - 1, 12, 31),
                defaults={"value": Decimal(value), "source": DEMO_SOURCE},
            )
            figures += 1
    return {"reported_loans": len(created), "official_figures": figures}
