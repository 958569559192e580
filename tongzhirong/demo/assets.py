"""The demo world's 300 IP assets of every type, with valid identifiers and the legal troubles a pledge desk
meets, and their valuations."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from scoring.services import assets_valuate
from tongzhirong.assets.models import Award, CoOwner, IPAsset, LegalStatus, statutory_expiry
from tongzhirong.core.identifiers import make_patent_number
from tongzhirong.core.money import WAN, wan
from tongzhirong.core.reference import PATENT_TYPES, Cluster, IPType
from tongzhirong.core.reference import IPType as T
from tongzhirong.enterprises.models import Enterprise

from .reference import (
    ASSET_COUNT,
    CHAIN_PROFILE,
    DEMO_SME_ASSETS,
    DEMO_SME_PORTFOLIO,
    DESIGN_PRODUCTS,
    DESIGN_VARIANTS,
    GI_TITLES,
    IC_CHAINS,
    IC_TITLES,
    MIN_PER_TYPE,
    NICE_CLASSES,
    SME_COUNT,
    SOFTWARE_PER_YEAR,
    SOFTWARE_TITLES,
    TRADEMARK_NUMBER_BASE,
    TYPE_WEIGHTS,
    UNIVERSITIES,
    WORK_TITLES,
)
from .world import DemoWorld

ALL_SUBJECTS = tuple(s for profile in CHAIN_PROFILE.values() for s in profile["subjects"])


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _interpolate(table: dict[int, float], year: int) -> float:
    years = sorted(table)
    year = min(max(year, years[0]), years[-1])
    for lo, hi in itertools.pairwise(years):
        if lo <= year <= hi:
            return table[lo] + (table[hi] - table[lo]) * (year - lo) / (hi - lo)
    return table[years[-1]]


def seed_ip_assets(world: DemoWorld) -> None:
    counts = asset_counts(world)
    specs: list[dict] = []
    for enterprise, n in zip(world.enterprises, counts, strict=True):
        weights = dict(TYPE_WEIGHTS[enterprise.cluster])
        if enterprise.chain in IC_CHAINS:
            weights[T.IC_LAYOUT] = 8
        types = world.rng.choices(list(weights), weights=list(weights.values()), k=n)
        if enterprise is world.enterprises[0]:
            types = [t for t, n in DEMO_SME_PORTFOLIO.items() for _ in range(n)]
        specs.extend({"owner": enterprise, "ip_type": t} for t in types)
    ensure_types(world, specs)
    for spec in specs:
        spec.update(asset_fields(world, spec["owner"], spec["ip_type"]))
    mark_assets(world, specs)
    since = [spec.pop("since") for spec in specs]
    co_owners = [spec.pop("co_owners", []) for spec in specs]
    assets = IPAsset.objects.bulk_create([world.validated(IPAsset(**spec)) for spec in specs])
    shares = []
    for asset, day, partners in zip(assets, since, co_owners, strict=True):
        moment = world.at(day)
        world.assets_of[asset.owner_id].append(asset)
        world.asset_since[asset.pk] = day
        world.stamp(asset, created_at=moment, updated_at=moment)
        for partner in partners:
            consent_at = moment if partner["consent_given"] else None
            shares.append(world.validated(CoOwner(asset=asset, consent_recorded_at=consent_at, **partner)))
        # Grounds on which the pledge registration pre-check fails outright, or asks for confirmation.
        if any(not p["consent_given"] for p in partners) or asset.ownership_dispute or asset.court_preservation:
            world.unconsented.add(asset.pk)
        if asset.invalidation_pending:
            world.contested.add(asset.pk)
    world.risky_assets = world.unconsented | world.contested
    for co in CoOwner.objects.bulk_create(shares):
        moment = world.at(world.asset_since[co.asset_id])
        world.stamp(co, created_at=moment, updated_at=moment)


def asset_counts(world: DemoWorld) -> list[int]:
    """Every SME holds at least one asset; the rest go heavy-tailed, favouring larger tech firms."""
    weights = []
    for e in world.enterprises[1:]:
        tech = 1.8 if e.is_high_tech else 1.0
        weights.append(tech * float(e.annual_revenue / WAN) ** 0.25 * world.rng.lognormvariate(0, 0.9))
    counts = [DEMO_SME_ASSETS] + [1] * (SME_COUNT - 1)
    for index in world.rng.choices(range(1, SME_COUNT), weights=weights, k=ASSET_COUNT - sum(counts)):
        counts[index] += 1
    return counts


def ensure_types(world: DemoWorld, specs: list[dict]) -> None:
    """Every IP type is present a few times: convert a plentiful type of a suitable owner into a scarce one."""
    suitable = {
        T.IC_LAYOUT: lambda e: e.cluster == Cluster.NEXT_GEN_IT,
        T.GEOGRAPHICAL_INDICATION: lambda e: e.cluster == Cluster.TEXTILES,
    }
    demo = world.enterprises[0]
    for ip_type in IPType.values:
        fits = suitable.get(ip_type, lambda e: True)
        while sum(s["ip_type"] == ip_type for s in specs) < MIN_PER_TYPE.get(ip_type, 8):
            counts = Counter(s["ip_type"] for s in specs)
            candidates = [
                s
                for s in specs
                if counts[s["ip_type"]] > 2 * MIN_PER_TYPE.get(s["ip_type"], 8)
                and s["owner"] != demo
                and fits(s["owner"])
            ]
            if not candidates:
                raise RuntimeError(f"No owner suits the {ip_type} assets the demo world needs.")
            world.rng.choice(candidates)["ip_type"] = ip_type


def asset_fields(world: DemoWorld, owner: Enterprise, ip_type: str) -> dict:
    if ip_type in PATENT_TYPES:
        return patent_fields(world, owner, ip_type)
    return {
        T.TRADEMARK: trademark_fields,
        T.SOFTWARE_COPYRIGHT: software_fields,
        T.COPYRIGHT: work_fields,
        T.GEOGRAPHICAL_INDICATION: gi_fields,
        T.IC_LAYOUT: ic_layout_fields,
    }[ip_type](world, owner)


def registered_since(world: DemoWorld, owner: Enterprise, known: date) -> date:
    """When the asset was registered on the platform: after its owner joined and after it existed."""
    day = max(
        world.joined[owner.pk] + timedelta(days=world.rng.randint(0, 30)),
        known + timedelta(days=world.rng.randint(5, 60)),
    )
    return min(day, world.as_of - timedelta(days=1))


def unique_number(world: DemoWorld, ip_type: str, make) -> str:
    for _ in range(1000):
        number = make()
        if (ip_type, number) not in world.identifiers:
            world.identifiers.add((ip_type, number))
            return number
    raise RuntimeError(f"Cannot draw a fresh {ip_type} number.")  # pragma: no cover


def patent_fields(world: DemoWorld, owner: Enterprise, ip_type: str) -> dict:
    rng, chain = world.rng, CHAIN_PROFILE[owner.chain]
    first_year = {T.INVENTION_PATENT: 2008, T.UTILITY_MODEL: 2014, T.DESIGN_PATENT: 2016}[ip_type]
    filing = world.filing_day(first_year, owner.founded_on, world.as_of - timedelta(days=30))
    if ip_type == T.INVENTION_PATENT:
        type_digit, serial_max = ("8" if rng.random() < 0.05 else "1"), 1_599_999
        lag = round(rng.lognormvariate(math.log(800), 0.35))
    elif ip_type == T.UTILITY_MODEL:
        type_digit, serial_max, lag = ("9" if rng.random() < 0.01 else "2"), 2_999_999, rng.randint(120, 330)
    else:
        type_digit, serial_max, lag = "3", 899_999, rng.randint(90, 300)

    def number() -> str:
        return make_patent_number(rng.randint(1, serial_max), year=filing.year, type_digit=type_digit)

    grant = filing + timedelta(days=lag)
    expiry = statutory_expiry(ip_type, filing)
    status = LegalStatus.VALID
    if grant >= world.as_of:
        grant, status = None, LegalStatus.PENDING
    elif expiry <= world.as_of:
        status = LegalStatus.EXPIRED
    fees_through = None
    if status == LegalStatus.VALID:
        # Paid through the next anniversary of filing; close to it, the coming year is paid in advance.
        years = world.as_of.year - filing.year
        fees_through = _add_years(filing, years if _add_years(filing, years) >= world.as_of else years + 1)
        if fees_through < world.as_of + timedelta(days=90):
            fees_through = min(_add_years(fees_through, 1), expiry)
    elif status == LegalStatus.EXPIRED:
        fees_through = expiry

    subject = rng.choice(chain["subjects"])
    if ip_type in (T.INVENTION_PATENT, T.UTILITY_MODEL):
        # One patent per subject and firm while the chain has subjects left (no extra draw, so the rest of the world
        # stays as it was): two titles on one subject would read as a near-duplicate filing (facts.filing).
        # Past its own chain's subjects a firm patents in neighbouring fields.
        used = world.patent_subjects[owner.pk]
        subject = next((s for s in (subject, *chain["subjects"], *ALL_SUBJECTS) if s not in used), subject)
        used.add(subject)
    if ip_type == T.INVENTION_PATENT:
        title = rng.choice(("一种{}及其制备方法", "一种{}", "一种{}的控制方法", "{}的检测方法及系统")).format(subject)
        ipc = rng.sample(chain["ipc"], rng.randint(1, 3))
        claims = min(40, max(1, round(rng.lognormvariate(math.log(9), 0.45))))
        backward = world.poisson(7)
        citation_rate = 0.6
    elif ip_type == T.UTILITY_MODEL:
        title = "一种" + rng.choice(("", "新型", "高效", "便于安装的", "可拆卸的", "节能型")) + subject
        ipc = rng.sample(chain["ipc"], rng.randint(1, 2))
        claims = min(20, max(1, round(rng.lognormvariate(math.log(7), 0.4))))
        backward = world.poisson(4)
        citation_rate = 0.25
    else:
        product = rng.choice(DESIGN_PRODUCTS[owner.cluster])
        title, ipc, claims, backward, citation_rate = f"{product}（{rng.choice(DESIGN_VARIANTS)}）", [], 0, 0, 0.05
    # Forward citations: Poisson with a gamma-distributed quality (negative binomial) — most never
    # cited, a few cited a lot.
    age_years = max(0.0, (world.as_of - filing).days / 365.25 - 1)
    quality = rng.gammavariate(0.5, 2.0)
    family, overseas = 1, 0
    if ip_type == T.INVENTION_PATENT and rng.random() < 0.22:
        family = 1 + min(30, int(rng.paretovariate(1.1)))
        overseas = rng.randint(max(0, family - 3), family - 1)
    elif ip_type == T.UTILITY_MODEL and rng.random() < 0.03:
        family = 2  # filed the same day as an invention application for the same creation
    licences = rng.randint(1, 3) if rng.random() < (0.12 if ip_type == T.INVENTION_PATENT else 0.04) else 0
    return {
        "identifier": unique_number(world, ip_type, number),
        "title": title,
        "filing_date": filing,
        "grant_date": grant,
        "expiry_date": expiry,
        "legal_status": status,
        "annual_fee_paid_through": fees_through,
        "ipc_classes": ipc,
        "claims_count": claims,
        "forward_citations": world.poisson(citation_rate * age_years * quality * (1 + math.log(family))),
        "backward_citations": backward,
        "family_size": family,
        "overseas_family_members": overseas,
        "licence_count": licences,
        "licence_revenue": wan(sum(rng.randint(5, 60) for _ in range(licences))),
        "since": registered_since(world, owner, grant or filing),
    }


def trademark_fields(world: DemoWorld, owner: Enterprise) -> dict:
    rng = world.rng
    filing = world.filing_day(2005, owner.founded_on, world.as_of - timedelta(days=30))
    base = _interpolate(TRADEMARK_NUMBER_BASE, filing.year) * 1_000_000
    span = max(_interpolate(TRADEMARK_NUMBER_BASE, filing.year + 1) * 1_000_000 - base, 1_000_000)
    identifier = unique_number(world, T.TRADEMARK, lambda: str(int(base + rng.random() * span)))
    grant = filing + timedelta(days=rng.randint(270, 540))
    status, expiry, renewals = LegalStatus.VALID, None, 0
    if grant >= world.as_of:
        grant, status = None, LegalStatus.PENDING
    else:
        expiry = _add_years(grant, 10) - timedelta(days=1)
        while expiry <= world.as_of:  # renewed every ten years
            renewals += 1
            expiry = _add_years(grant, 10 * (renewals + 1)) - timedelta(days=1)
    brand = owner.organisation.short_name[:2]
    nice = rng.choice(NICE_CLASSES[owner.cluster])
    return {
        "identifier": identifier,
        "title": f"{brand}（第{nice}类）",
        "filing_date": filing,
        "grant_date": grant,
        "expiry_date": expiry,
        "legal_status": status,
        "nice_classes": [nice],
        "renewals": renewals,
        "use_revenue": _sales_under(owner) if status == LegalStatus.VALID else Decimal("0"),
        "licence_count": 1 if rng.random() < 0.06 else 0,
        "since": registered_since(world, owner, grant or filing),
    }


def software_fields(world: DemoWorld, owner: Enterprise) -> dict:
    rng = world.rng
    filing = world.filing_day(2010, owner.founded_on, world.as_of - timedelta(days=120))
    grant = filing + timedelta(days=rng.randint(20, 90))
    per_year = int(_interpolate(SOFTWARE_PER_YEAR, grant.year) * 1000)
    width = 7 if grant.year >= 2013 else 6
    return {
        "identifier": unique_number(
            world, T.SOFTWARE_COPYRIGHT, lambda: f"{grant.year}SR{rng.randint(1, per_year):0{width}d}"
        ),
        "title": f"{owner.organisation.short_name[:2]}{rng.choice(SOFTWARE_TITLES)}V{rng.randint(1, 3)}.0",
        "filing_date": filing,
        "grant_date": grant,
        "use_revenue": _sales_under(owner),
        "since": registered_since(world, owner, grant),
    }


# The use evidence of a mark, a work, a software product, a GI or a layout: a fixed share of the firm's revenue
# sold under it (the synthetic world's typical share). Fixed rather than drawn, so the world's random stream,
# and everything the demo draws after it, is as before.
SALES_SHARE = Decimal("0.12")


def _sales_under(owner: Enterprise) -> Decimal:
    return (owner.annual_revenue * SALES_SHARE).quantize(Decimal("0.01"))


def work_fields(world: DemoWorld, owner: Enterprise) -> dict:
    rng = world.rng
    filing = world.filing_day(2012, owner.founded_on, world.as_of - timedelta(days=90))
    grant = filing + timedelta(days=rng.randint(15, 60))
    category, title = rng.choice(WORK_TITLES)
    identifier = unique_number(
        world, T.COPYRIGHT, lambda: f"国作登字-{grant.year}-{category}-{rng.randint(1, 5_000_000):08d}"
    )
    return {
        "identifier": identifier,
        "title": f"{owner.organisation.short_name[:2]}{title}",
        "filing_date": filing,
        "grant_date": grant,
        "use_revenue": _sales_under(owner),
        "since": registered_since(world, owner, grant),
    }


def gi_fields(world: DemoWorld, owner: Enterprise) -> dict:
    rng = world.rng
    filing = world.filing_day(2008, owner.founded_on, world.as_of - timedelta(days=720))
    grant = filing + timedelta(days=rng.randint(300, 700))
    return {
        "identifier": unique_number(
            world, T.GEOGRAPHICAL_INDICATION, lambda: f"GI-{grant.year}-{rng.randint(1, 2999):04d}"
        ),
        "title": f"{rng.choice(GI_TITLES)}（地理标志）",
        "filing_date": filing,
        "grant_date": grant,
        "use_revenue": _sales_under(owner),
        "since": registered_since(world, owner, grant),
    }


def ic_layout_fields(world: DemoWorld, owner: Enterprise) -> dict:
    rng = world.rng
    filing = world.filing_day(2016, owner.founded_on, world.as_of - timedelta(days=240))
    grant = filing + timedelta(days=rng.randint(60, 200))
    expiry = _add_years(filing, 10)  # ten years from filing (or first commercial use)
    return {
        "identifier": unique_number(
            world, T.IC_LAYOUT, lambda: f"BS.{grant.year % 100:02d}5{rng.randint(0, 999_999):06d}"
        ),
        "title": f"{rng.choice(IC_TITLES)}布图设计",
        "filing_date": filing,
        "grant_date": grant,
        "expiry_date": expiry,
        "legal_status": LegalStatus.EXPIRED if expiry <= world.as_of else LegalStatus.VALID,
        "use_revenue": _sales_under(owner),
        "since": registered_since(world, owner, grant),
    }


def mark_assets(world: DemoWorld, specs: list[dict]) -> None:
    """The legal troubles a pledge desk meets: lapsed fees, invalidation, disputes, co-owners, and awards."""
    rng, demo = world.rng, world.enterprises[0]
    patents = [s for s in specs if s["ip_type"] in PATENT_TYPES and s["owner"] != demo]
    valid = [s for s in patents if s["legal_status"] == LegalStatus.VALID]
    old_enough = [s for s in valid if s["grant_date"] <= world.as_of - timedelta(days=800)]
    for spec in rng.sample(old_enough, 5):
        spec["legal_status"] = LegalStatus.LAPSED
        years = rng.randint(1, 2)
        spec["annual_fee_paid_through"] = _add_years(spec["annual_fee_paid_through"], -years)
    valid = [s for s in valid if s["legal_status"] == LegalStatus.VALID]
    invalidated = rng.choice([s for s in valid if s["ip_type"] == T.UTILITY_MODEL])
    invalidated.update(legal_status=LegalStatus.INVALIDATED, annual_fee_paid_through=None)
    valid.remove(invalidated)
    pending = [s for s in patents if s["legal_status"] == LegalStatus.PENDING]
    if pending:
        rng.choice(pending)["legal_status"] = LegalStatus.WITHDRAWN
    # Invalidation requests go after the patents that matter: the most cited.
    for spec in sorted(valid, key=lambda s: -s["forward_citations"])[1:8:2]:
        spec["invalidation_pending"] = True
    rng.choice(valid)["ownership_dispute"] = True
    rng.choice(valid)["court_preservation"] = True
    inventions = sorted(
        (s for s in valid if s["ip_type"] == T.INVENTION_PATENT),
        key=lambda s: (-s["forward_citations"], s["identifier"]),
    )
    for spec, award in zip(
        inventions, (Award.CHINA_PATENT_EXCELLENCE, Award.PROVINCIAL, Award.PROVINCIAL), strict=False
    ):
        spec["award"] = award
    shareable = [s for s in valid if s["ip_type"] != T.DESIGN_PATENT]
    for n, spec in enumerate(rng.sample(shareable, 12)):
        spec["co_owners"] = [co_owner(world, spec["owner"], consent=n % 5 < 3)]
    demo_patent = next(s for s in specs if s["owner"] == demo and s["ip_type"] == T.UTILITY_MODEL)
    demo_patent["co_owners"] = [co_owner(world, demo, consent=False, university="南通大学")]


def co_owner(world: DemoWorld, owner: Enterprise, *, consent: bool, university: str | None = None) -> dict:
    share = Decimal(world.rng.choice(("20.00", "30.00", "40.00", "50.00")))
    if university or world.rng.random() < 0.6:
        return {
            "name": university or world.rng.choice(UNIVERSITIES),
            "share_percent": share,
            "consent_given": consent,
        }
    partner = world.rng.choice([e for e in world.enterprises if e != owner])
    return {"name": partner.legal_name, "uscc": partner.uscc, "share_percent": share, "consent_given": consent}


def value_assets(world: DemoWorld) -> None:
    """Value every live asset in one model call, as an SME sees it on registering. Approvals cap loans by
    these values, and scoring an application (on submission, after commit) reuses them."""
    live = list(IPAsset.objects.filter(legal_status__in=(LegalStatus.VALID, LegalStatus.PENDING)).order_by("pk"))
    for asset, valuation in zip(live, assets_valuate(assets=live), strict=True):
        world.p50[asset.pk] = valuation.p50
    for enterprise in world.enterprises:
        # What the firm could pledge at a 0.4 cap on its three best assets: who borrows, and how much.
        best = sorted((world.p50.get(a.pk, Decimal("0")) for a in world.assets_of[enterprise.pk]), reverse=True)
        world.potential[enterprise.pk] = sum(best[:3], Decimal("0")) * Decimal("0.4")
