"""The demo world's 60 SMEs over every district, park and 616 cluster, each with its owner."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

from django.conf import settings

from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.accounts.services import organisation_create, user_create
from tongzhirong.core.money import wan
from tongzhirong.core.reference import CLUSTER_CHAINS, Chain, Cluster, District
from tongzhirong.enterprises.models import Enterprise, TaxCreditGrade

from .accounts import staff
from .reference import (
    CHAIN_CLUSTER,
    CHAIN_PROFILE,
    CLUSTER_WEIGHTS,
    COUNTY_PREFIX,
    DISTRICT_AFFINITY,
    DIVISION_CODES,
    LAUNCH,
    SIX_CLUSTERS,
    SME_COUNT,
    TRADE_NAME_FIRST,
    TRADE_NAME_SECOND,
)
from .world import DemoWorld


def seed_enterprises(world: DemoWorld) -> None:
    chains = draw_chains(world)
    districts = draw_districts(world, chains)
    trade_names = world.rng.sample([a + b for a in TRADE_NAME_FIRST for b in TRADE_NAME_SECOND], SME_COUNT)
    profiles = [sme_profile(world, i, chains[i], districts[i], trade_names[i]) for i in range(SME_COUNT)]
    ensure_markers(world, profiles)
    enterprises = []
    for org_fields, fields, _ in profiles:
        org = organisation_create(kind=OrganisationKind.SME, **org_fields)
        enterprises.append(world.validated(Enterprise(organisation=org, uscc=org_fields["uscc"], **fields)))
    Enterprise.objects.bulk_create(enterprises)
    for i, (enterprise, (_, _, joined)) in enumerate(zip(enterprises, profiles, strict=True)):
        org = enterprise.organisation
        if i == 0:
            owner = user_create(
                username="demo-sme",
                password=settings.DEMO_PASSWORD,
                organisation=org,
                role=Role.SME_OWNER,
                **world.person(),
            )
        else:
            owner = staff(world, org, f"sme{i:02d}-owner", Role.SME_OWNER)
        moment = world.at(joined)
        world.stamp(org, created_at=moment, updated_at=moment)
        world.stamp(enterprise, created_at=moment, updated_at=moment)
        world.stamp(owner, date_joined=moment)
        world.enterprises.append(enterprise)
        world.owners[enterprise.pk] = owner
        world.joined[enterprise.pk] = joined


def draw_chains(world: DemoWorld) -> list[str]:
    """The demo SME makes integrated circuits; every one of the 16 chains has at least one firm."""
    every_chain = [chain for cluster in SIX_CLUSTERS for chain in CLUSTER_CHAINS[cluster]]
    every_chain.remove(Chain.INTEGRATED_CIRCUITS)
    clusters = world.rng.choices(
        list(CLUSTER_WEIGHTS), weights=list(CLUSTER_WEIGHTS.values()), k=SME_COUNT - 1 - len(every_chain)
    )
    rest = every_chain + [world.rng.choice(CLUSTER_CHAINS[c]) for c in clusters]
    world.rng.shuffle(rest)
    return [Chain.INTEGRATED_CIRCUITS, *rest]


def draw_districts(world: DemoWorld, chains: list[str]) -> list[str]:
    all_districts = list(District.values)
    drawn = [District.CHONGCHUAN.value]
    for chain in chains[1:]:
        affinity = DISTRICT_AFFINITY[CHAIN_CLUSTER[chain]]
        drawn.append(world.rng.choices(all_districts, weights=[affinity.get(d, 1) for d in all_districts])[0])
    # Every district and park gets a firm: move one from the busiest district where one is missing.
    for missing in all_districts:
        if missing not in drawn:
            busiest = Counter(drawn[1:]).most_common(1)[0][0]
            index = max(i for i, d in enumerate(drawn) if d == busiest and i > 0)
            drawn[index] = missing
    return drawn


def sme_profile(world: DemoWorld, i: int, chain: str, district: str, trade_name: str) -> tuple[dict, dict, date]:
    rng = world.rng
    cluster = CHAIN_CLUSTER[chain]
    # Revenue is lognormal (median 4000万): most firms are small, a few are large.
    revenue_wan = min(max(rng.lognormvariate(math.log(4000), 1.0), 300), 300_000)
    founded = date(rng.randint(2003, 2021), rng.randint(1, 12), rng.randint(1, 28))
    if i == 0:
        founded, revenue_wan = date(2014, 6, 18), 12_800.0
    large = revenue_wan > 20_000
    division = DIVISION_CODES[district]
    prefix = COUNTY_PREFIX.get(district) if rng.random() < 0.5 else None
    prefix = prefix or ("江苏" if large else "南通")
    industry = rng.choice(CHAIN_PROFILE[chain]["industry"])
    suffix = "股份有限公司" if large or rng.random() < 0.1 else "有限公司"
    legal_name = f"{prefix}{trade_name}{industry}{suffix}"
    uscc = world.uscc(prefix="91", division=division, modern=founded >= date(2015, 10, 1))

    tech_bias = 1.3 if cluster in (Cluster.NEXT_GEN_IT, Cluster.NEW_MATERIALS, Cluster.NEW_ENERGY) else 1.0
    high_tech = rng.random() < 0.38 * tech_bias
    tech_sme = revenue_wan < 20_000 and rng.random() < 0.55
    specialised = rng.random() < (0.35 if high_tech else 0.08)
    little_giant = specialised and rng.random() < 0.2
    if i == 0:
        high_tech, tech_sme, specialised, little_giant = True, True, True, False
    employees = max(8, round(revenue_wan / rng.uniform(60, 150)))
    overdue_events = rng.choices((0, 1, 2, 3), weights=(85, 10, 3, 2))[0]
    fields = {
        "legal_name": legal_name,
        "district": district,
        "cluster": cluster,
        "chain": chain,
        "founded_on": founded,
        "registered_capital": wan(max(50, round(revenue_wan * rng.uniform(0.05, 0.4) / 10) * 10)),
        "employees": employees,
        "annual_revenue": wan(round(revenue_wan, 1)),
        "is_high_tech": high_tech,
        "is_tech_sme": tech_sme,
        "is_specialised": specialised,
        "is_little_giant": little_giant,
        "is_ip_certified": rng.random() < (0.35 if high_tech else 0.1),
        "existing_debt": wan(round(revenue_wan * rng.uniform(0, 0.6))),
        "prior_ip_loans": rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0],
        "overdue_events_24m": overdue_events,
        "max_days_past_due_24m": rng.randint(3, 45) if overdue_events else 0,
        "has_court_enforcement": rng.random() < 0.03,
        "tax_credit_grade": rng.choices([g.value for g in TaxCreditGrade], weights=(38, 42, 12, 4, 1, 3))[0],
    }
    if i == 0:
        fields.update(
            overdue_events_24m=0,
            max_days_past_due_24m=0,
            has_court_enforcement=False,
            tax_credit_grade=TaxCreditGrade.A.value,
            is_ip_certified=True,
        )
    org_fields = {
        "name": legal_name,
        "short_name": f"{trade_name}{industry}",
        "uscc": uscc,
        "address": world.address(district, legal_name),
    }
    joined = LAUNCH + timedelta(days=rng.randint(0, 45))
    return org_fields, fields, joined


def ensure_markers(world: DemoWorld, profiles: list[tuple[dict, dict, date]]) -> None:
    """At least one little giant (the specialised firm with the largest revenue)."""
    fields = [p[1] for p in profiles]
    if not any(f["is_little_giant"] for f in fields):
        candidates = [f for f in fields[1:] if f["is_specialised"]] or fields[1:]
        top = max(candidates, key=lambda f: f["annual_revenue"])
        top.update(is_specialised=True, is_little_giant=True)
