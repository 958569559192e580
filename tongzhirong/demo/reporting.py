"""The reporting part of the demo world: both targets, a few loans reported from outside the platform and
the office's official figures. Called by the demo world's ``build`` after the loans exist.

The official figures are demo values, marked as such in their source: they are not statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tongzhirong.core.identifiers import make_uscc
from tongzhirong.core.money import wan
from tongzhirong.core.reference import CLUSTER_CHAINS, Cluster, District, IPType
from tongzhirong.financing.rollups import rollup_record
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
    created += _city_path(world, banks)
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


# The city's path as the banks report it, in 亿 a year: Nantong lent over 80亿 against IP in 2023, doubling three
# years running (BRIEF §3); the demo grows more slowly, so the office sees the annual reading of the 200亿 target
# within reach late in 2026 and the cumulative 2024–2026 reading passed in 2025.
ANNUAL_YI = {2024: 105, 2025: 150, 2026: 190}
# Month weights: the Spring Festival trough, quarter ends and the year-end rush (Jan … Dec).
SEASON = (0.8, 0.55, 1.0, 0.95, 1.0, 1.2, 0.95, 0.95, 1.1, 0.85, 1.05, 1.6)
DISTRICT_WEIGHT = {
    District.CHONGCHUAN: 16,
    District.TONGZHOU: 12,
    District.HAIMEN: 11,
    District.RUGAO: 11,
    District.HAIAN: 10,
    District.QIDONG: 9,
    District.RUDONG: 7,
    District.NETDA: 12,
    District.SXT: 7,
    District.TZW: 5,
}
# Parks have no division code of their own: their firms register in the district around them.
PARK_DIVISION = {District.NETDA: "320613", District.SXT: "320612", District.TZW: "320612"}
IP_TYPE_WEIGHT = {
    IPType.INVENTION_PATENT: 52,
    IPType.UTILITY_MODEL: 20,
    IPType.TRADEMARK: 17,
    IPType.SOFTWARE_COPYRIGHT: 6,
    IPType.DESIGN_PATENT: 3,
    IPType.COPYRIGHT: 1,
    IPType.IC_LAYOUT: 1,
}


def _city_path(world: DemoWorld, banks: list) -> list[ReportedLoan]:
    """Loans the banks report from January 2024 to the demo's day, month by month along ``ANNUAL_YI``: every
    district, park, 616 cluster and IP type, loans of 50万 to 8000万 around a median of 350万 (普惠 mostly),
    about half of them a firm's first. Written in bulk: several thousand rows."""
    rng, as_of = world.rng, world.as_of
    districts, district_w = zip(*DISTRICT_WEIGHT.items(), strict=True)
    ip_types, ip_w = zip(*IP_TYPE_WEIGHT.items(), strict=True)
    clusters = list(Cluster)
    bank_w = [rng.uniform(0.5, 2.0) for _ in banks]
    firms: list[dict] = []
    rows = []
    month = dt.date(2024, 1, 1)
    while month <= as_of:
        growth = 0.85 + 0.3 * (month.month - 1) / 11
        annual = ANNUAL_YI.get(month.year, ANNUAL_YI[2026] * 1.25 ** (month.year - 2026))  # the plan ends in 2026
        budget = Decimal(str(annual)) * YI / 12 * Decimal(str(SEASON[month.month - 1] * growth))
        next_month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        last_day = min(next_month - dt.timedelta(days=1), as_of)
        budget *= Decimal((last_day - month).days + 1) / Decimal((next_month - month).days)  # this month so far
        lent = Decimal(0)
        while lent < budget:
            amount = wan(min(max(round(rng.lognormvariate(5.86, 0.8), -1), 50), 8000))  # median e^5.86 ≈ 350万
            if not firms or rng.random() < 0.5:
                district = rng.choices(districts, district_w)[0]
                cluster = rng.choice(clusters)
                k = len(firms)
                firms.append(
                    {
                        "borrower_uscc": make_uscc(900_000 + k, PARK_DIVISION.get(district, district)),
                        "borrower_name": f"南通{District(district).label.split()[-1][:2]}科创企业{k + 1:04d}号",
                        "district": district,
                        "cluster": cluster,
                        "chain": rng.choice(CLUSTER_CHAINS[cluster]),
                        "is_tech_sme": rng.random() < 0.75,
                        "is_high_tech": rng.random() < 0.45,
                        "is_specialised": rng.random() < 0.15,
                        "is_little_giant": rng.random() < 0.03,
                    }
                )
                firm, first = firms[-1], True
            else:
                firm, first = rng.choice(firms), False
            day = month + dt.timedelta(days=rng.randint(0, (last_day - month).days))
            bank = rng.choices(banks, bank_w)[0]
            rows.append(
                ReportedLoan(
                    bank=bank,
                    contract_number=f"BR{day:%Y%m%d}{len(rows):05d}",
                    ip_type=rng.choices(ip_types, ip_w)[0],
                    ip_identifiers=[],
                    principal=amount,
                    disbursed_on=day,
                    disbursed_at=day_start(day),
                    maturity_date=day + dt.timedelta(days=365 * rng.choice((1, 1, 1, 2, 3))),
                    imported_by=world.officers[bank.pk],
                    first_loan=first,
                    **firm,
                )
            )
            lent += amount
        month = next_month
    created = ReportedLoan.objects.bulk_create(rows, batch_size=2000)
    rollup_record(loan.rollup_entry() for loan in created)  # the bulk write goes around ReportedLoan.save
    return created
