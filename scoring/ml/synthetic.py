"""A seeded synthetic world of IP pledge loans whose true value and default process are known.

Real IP-loan data is not public, so the models are measured against an oracle: every asset carries its
true market value and every loan its true 12-month probability of default (PD). The generating process
is documented here and in the model cards; change it only with a new model version.

Borrowers (one snapshot per loan)
    firm_age_years ~ lognormal (median ≈ 7 y), annual_revenue ~ lognormal (median ≈ 2,500万, heavy right
    tail: few large firms), employees tied to revenue, debt_ratio = existing debt ÷ revenue ~ gamma,
    credit history (overdue events, worst days past due, court enforcement), tax credit grade, tech
    markers, 616 cluster and district.
Assets (1-3 per loan, every IP type)
    Patents: forward citations negative-binomial by cohort (older cohorts have had more time to be
    cited), family size geometric with a heavy tail, claims, IPC classes, overseas members, awards.
    Trademarks: Nice classes and renewals. Copyrights/software/GI/IC layouts: age and licences.
    Trademarks, copyrights, software, GI and layouts also carry use evidence (yearly sales of goods or
    products under the right, a share of the firm's revenue; none recorded for about a third), a
    well-known mark recognition (驰名商标, a few per cent of marks in use, more of the big sellers) and
    disputes (invalidation pending, ownership dispute). Patents carry none of these (their disputes are
    eligibility refusals, not value).
    true value: log-value = type base + signal (citations normalised within cohort, family, claims,
    technical scope, remaining life, licence revenue, awards, renewals) + N(0, 0.35²) idiosyncratic noise.
    For the non-patent rights the signal is what a relief-from-royalty appraisal reads: + 0.45 ·
    log(1 + use sales ÷ 100万), − 0.5 for a mark unused after 3 years (open to cancellation for
    non-use, Trademark Law art. 49), + 0.8 for a well-known mark, − 0.5 with invalidation pending,
    − 0.4 with an ownership dispute, + 0.2 · log(1 + age) for a mark's reputation, − 0.05 · age for
    software's obsolescence.
Loans
    amount = pledge rate × appraised value (appraisal = true value × lognormal noise), within
    10万-3000万 and at most 85% of the appraisal; term 6-36 months; insurance or guarantee on about 40%.
True default process (logit of the 12-month PD)
    intercept (solved so that the mean PD equals ``default_rate``)
    + 1.6 · max(0, debt_ratio − 0.8)   (leverage harmless until 0.8, then steep: a hinge)
    + 0.55 · min(overdue_events, 4) + 0.9 · [worst DPD > 30] + 1.3 · court enforcement
    − 0.45 · log(revenue ÷ 1,000万)
    + 0.9 · exp(−firm_age ÷ 2)          (young firms are risky, the effect fades: non-linear)
    + 22 · max(0, pledge_rate − 0.35)²   (convex above a 35% pledge rate)
    + 0.8 · [firm_age < 3] · [debt_ratio > 1.0]   (interaction: young AND leveraged)
    + 0.6 · [collateral life < term + 12 months]
    + tax grade (A −0.5, B 0, M +0.2, C +0.6, D +1.1, unrated +0.3) − 0.35 · insured or guaranteed
    − 0.25 · high-tech − 0.2 · specialised + cluster effect (±0.15)
    A model that only adds straight-line terms of the raw features misses the hinge, the convexity,
    the age curve and the interaction, and falls visibly short of the oracle.
Vintages 2019-2026 with volume growing 35% a year, so the last vintage is an out-of-time holdout.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

IP_TYPES = (
    "invention_patent",
    "utility_model",
    "design_patent",
    "trademark",
    "copyright",
    "software_copyright",
    "geographical_indication",
    "ic_layout",
)
IP_TYPE_WEIGHTS = (0.34, 0.22, 0.06, 0.18, 0.04, 0.12, 0.02, 0.02)
PATENT_TYPES = ("invention_patent", "utility_model", "design_patent")
CLUSTERS = (
    "shipbuilding_marine",
    "high_end_textiles",
    "next_gen_it",
    "new_materials",
    "high_end_equipment",
    "new_energy",
    "other",
)
CLUSTER_EFFECT = dict(zip(CLUSTERS, (0.15, 0.1, -0.1, -0.05, 0.0, -0.15, 0.1), strict=True))
DISTRICTS = (
    "320613",
    "320612",
    "320614",
    "320623",
    "320681",
    "320682",
    "320685",
    "park-netda",
    "park-sxt",
    "park-tzw",
)
TAX_GRADES = ("A", "B", "M", "C", "D", "")
TAX_EFFECT = {"A": -0.5, "B": 0.0, "M": 0.2, "C": 0.6, "D": 1.1, "": 0.3}
IPC_SECTIONS = tuple("ABCDEFGH")
# How readily each IPC section cites: electricity (H) and physics (G) far more than construction (E).
FIELD_CITATION_RATE = dict(zip(IPC_SECTIONS, (1.4, 0.8, 1.0, 0.6, 0.5, 0.9, 1.6, 1.8), strict=True))
REPAYMENT_METHODS = ("equal_instalment", "equal_principal", "interest_only")
# Statutory terms (years) and a base log-value (yuan) per type. The non-patent bases are set so that
# with their use signals (``_use_value``) each type's typical value stays where it was before them
# (trademark 90万, copyright 20万, software 40万, GI 150万, layout 70万 geometric means).
TERM_YEARS = {"invention_patent": 20, "utility_model": 10, "design_patent": 15, "ic_layout": 10}
BASE_LOG_VALUE = {
    "invention_patent": np.log(1_800_000),
    "utility_model": np.log(450_000),
    "design_patent": np.log(250_000),
    "trademark": np.log(440_000),
    "copyright": np.log(155_000),
    "software_copyright": np.log(370_000),
    "geographical_indication": np.log(840_000),
    "ic_layout": np.log(470_000),
}
VALUE_NOISE_SIGMA = 0.35
USE_SIGNAL_STREAM = 2
# Share of each non-patent type with use evidence on file (sales of goods or products under the right).
USE_SHARE = {
    "trademark": 0.7,
    "geographical_indication": 0.9,
    "software_copyright": 0.6,
    "copyright": 0.4,
    "ic_layout": 0.6,
}


@dataclass(frozen=True)
class WorldParams:
    n_loans: int = 100_000
    seed: int = 42
    default_rate: float = 0.04
    first_vintage: int = 2019
    last_vintage: int = 2026
    growth: float = 1.35

    def as_dict(self) -> dict:
        return asdict(self)


def generate_world(params: WorldParams | None = None) -> dict[str, pd.DataFrame]:
    """Return ``{"loans": …, "assets": …}`` with the oracle columns ``true_pd``/``defaulted`` and
    ``true_value``. Deterministic for a given ``params``."""
    p = params or WorldParams()
    rng = np.random.default_rng(p.seed)
    loans = _borrowers(rng, p)
    # The non-patent rights' use, recognition and disputes come from a stream of their own, so the
    # borrowers, the patents and the loans draw what they drew before these signals existed.
    assets = _assets(rng, loans, np.random.default_rng([p.seed, USE_SIGNAL_STREAM]))
    loans = _loans(rng, loans, assets)
    loans["true_pd"] = true_pd(loans, default_rate=p.default_rate)
    loans["defaulted"] = (rng.random(len(loans)) < loans["true_pd"]).astype(int)
    return {"loans": loans, "assets": assets}


def _borrowers(rng: np.random.Generator, p: WorldParams) -> pd.DataFrame:
    n = p.n_loans
    years = np.arange(p.first_vintage, p.last_vintage + 1)
    weights = p.growth ** np.arange(len(years))
    vintage = rng.choice(years, size=n, p=weights / weights.sum())
    revenue = np.exp(rng.normal(np.log(25_000_000), 1.0, n)).clip(500_000, 5_000_000_000)
    age = np.exp(rng.normal(np.log(7), 0.65, n)).clip(0.3, 40)
    debt_ratio = rng.gamma(2.0, 0.3, n)
    overdue = rng.poisson(0.35, n)
    worst_dpd = np.where(overdue > 0, rng.choice([5, 15, 35, 65, 95], size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05]), 0)
    tech = rng.random(n)
    return pd.DataFrame(
        {
            "loan_id": np.arange(1, n + 1),
            "vintage": vintage,
            "firm_age_years": age.round(2),
            "annual_revenue": revenue.round(2),
            "employees": (revenue / 400_000 * np.exp(rng.normal(0, 0.4, n))).clip(3, 20_000).astype(int),
            "registered_capital": (revenue * rng.uniform(0.05, 0.6, n)).round(2),
            "debt_ratio": debt_ratio.round(4),
            "overdue_events_24m": overdue,
            "max_days_past_due_24m": worst_dpd,
            "has_court_enforcement": (rng.random(n) < 0.03).astype(int),
            "tax_credit_grade": rng.choice(TAX_GRADES, size=n, p=[0.35, 0.35, 0.12, 0.08, 0.03, 0.07]),
            "is_high_tech": (tech < 0.45).astype(int),
            "is_specialised": (tech < 0.18).astype(int),
            "cluster": rng.choice(CLUSTERS, size=n, p=[0.08, 0.17, 0.2, 0.15, 0.2, 0.12, 0.08]),
            "district": rng.choice(DISTRICTS, size=n),
        }
    )


def _assets(rng: np.random.Generator, loans: pd.DataFrame, use_rng: np.random.Generator) -> pd.DataFrame:
    counts = rng.choice([1, 2, 3], size=len(loans), p=[0.55, 0.3, 0.15])
    loan_id = np.repeat(loans["loan_id"].to_numpy(), counts)
    firm_revenue = np.repeat(loans["annual_revenue"].to_numpy(), counts)
    vintage = np.repeat(loans["vintage"].to_numpy(), counts)
    cluster = np.repeat(loans["cluster"].to_numpy(), counts)
    m = len(loan_id)
    ip_type = rng.choice(IP_TYPES, size=m, p=IP_TYPE_WEIGHTS)
    is_patent = np.isin(ip_type, PATENT_TYPES)
    age = rng.uniform(0.5, 12, m)
    term = np.array([TERM_YEARS.get(t, 30) for t in ip_type], dtype=float)
    age = np.minimum(age, term - 0.5)
    filing_year = vintage - np.floor(age).astype(int)
    section = rng.choice(IPC_SECTIONS, size=m)
    # Forward citations accrue with age and vary by field: heavy-tailed negative binomial.
    mean_cit = np.array([expected_citations(s, 1.0) for s in section]) * np.sqrt(age)
    fwd = np.where(is_patent, rng.negative_binomial(0.6, 0.6 / (0.6 + mean_cit)), 0)
    family = np.where(is_patent, rng.geometric(0.55, m), 1)
    family = np.where(rng.random(m) < 0.03, family + rng.integers(5, 30, m), family)
    overseas = np.where(family > 1, rng.binomial(family - 1, 0.5), 0)
    claims = np.where(is_patent, rng.integers(1, 25, m), 0)
    ipc_count = np.where(is_patent, rng.geometric(0.5, m), 0)
    backward = np.where(is_patent, rng.poisson(8, m), 0)
    licence_count = rng.poisson(0.25, m)
    licence_revenue = np.where(licence_count > 0, np.exp(rng.normal(np.log(150_000), 0.8, m)), 0.0)
    award = np.where(is_patent & (rng.random(m) < 0.02), 1, 0)
    nice = np.where(ip_type == "trademark", rng.geometric(0.45, m), 0)
    renewals = np.where(ip_type == "trademark", (age // 10).astype(int), 0)
    frame = pd.DataFrame(
        {
            "asset_id": np.arange(1, m + 1),
            "loan_id": loan_id,
            "vintage": vintage,
            "ip_type": ip_type,
            "cluster": cluster,
            "ipc_section": np.where(is_patent, section, ""),
            "filing_year": filing_year,
            "age_years": age.round(2),
            "remaining_life_years": (term - age).round(2),
            "claims_count": claims,
            "forward_citations": fwd,
            "backward_citations": backward,
            "family_size": family,
            "overseas_family_members": overseas,
            "ipc_class_count": ipc_count,
            "licence_count": licence_count,
            "licence_revenue": licence_revenue.round(2),
            "has_award": award,
            "nice_class_count": nice,
            "renewals": renewals,
            **_use_signals(use_rng, ip_type, firm_revenue),
        }
    )
    frame["citations_cohort_ratio"] = cohort_citation_ratio(frame)
    frame["true_value"] = true_value(frame, rng.normal(0, VALUE_NOISE_SIGMA, m))
    return frame


def _use_signals(rng: np.random.Generator, ip_type: np.ndarray, firm_revenue: np.ndarray) -> dict[str, np.ndarray]:
    """Use evidence, well-known recognition and disputes of the non-patent rights (zero for patents)."""
    m = len(ip_type)
    other = ~np.isin(ip_type, PATENT_TYPES)
    in_use = other & (rng.random(m) < np.array([USE_SHARE.get(t, 0.0) for t in ip_type]))
    share = np.exp(rng.normal(np.log(0.12), 0.9, m)).clip(0.005, 1.0)
    use_revenue = np.where(in_use, firm_revenue * share, 0.0)
    big_seller = use_revenue > 50_000_000
    well_known = (ip_type == "trademark") & in_use & (rng.random(m) < np.where(big_seller, 0.25, 0.02))
    return {
        "use_revenue": use_revenue.round(2),
        "well_known": well_known.astype(int),
        "invalidation_pending": (other & (rng.random(m) < 0.04)).astype(int),
        "ownership_dispute": (other & (rng.random(m) < 0.03)).astype(int),
    }


def expected_citations(section: str, age_years: float) -> float:
    """Mean forward citations of a patent cohort (IPC section, age): the generator's own process."""
    return FIELD_CITATION_RATE.get(section, 1.0) * math.sqrt(max(age_years, 0.5)) * 1.2


def cohort_citation_ratio(assets: pd.DataFrame) -> pd.Series:
    """Forward citations ÷ the mean of the asset's cohort (filing year × IPC section), OECD-style."""
    patents = assets["ipc_section"] != ""
    cohort_mean = assets[patents].groupby(["filing_year", "ipc_section"])["forward_citations"].transform("mean")
    ratio = pd.Series(0.0, index=assets.index)
    ratio[patents] = (assets.loc[patents, "forward_citations"] / cohort_mean.clip(lower=0.5)).round(4)
    return ratio


def value_signal(assets: pd.DataFrame) -> np.ndarray:
    """The deterministic part of log true value."""
    base = assets["ip_type"].map(BASE_LOG_VALUE).to_numpy()
    patent = assets["ipc_section"].to_numpy() != ""
    life = assets["remaining_life_years"].to_numpy()
    signal = (
        base
        + 0.55 * np.log1p(assets["citations_cohort_ratio"].to_numpy())
        + 0.35 * np.log(assets["family_size"].to_numpy())
        + 0.25 * np.log1p(assets["overseas_family_members"].to_numpy())
        + patent * 0.02 * np.minimum(assets["claims_count"].to_numpy(), 20)
        + patent * 0.08 * np.minimum(assets["ipc_class_count"].to_numpy(), 5)
        + 0.6 * np.log1p(assets["licence_revenue"].to_numpy() / 100_000)
        + 0.5 * assets["has_award"].to_numpy()
        + 0.12 * np.minimum(assets["nice_class_count"].to_numpy(), 10)
        + 0.15 * assets["renewals"].to_numpy()
        - 0.9 * np.exp(-np.maximum(life, 0) / 2.5)
        + _use_value(assets)
    )
    return signal


def _use_value(assets: pd.DataFrame) -> np.ndarray:
    """The non-patent rights' part of log value: what a relief-from-royalty appraisal reads."""
    ip_type = assets["ip_type"].to_numpy()
    other = ~np.isin(ip_type, PATENT_TYPES)
    mark = ip_type == "trademark"
    use = assets["use_revenue"].to_numpy(dtype=float)
    age = assets["age_years"].to_numpy(dtype=float)
    return other * (
        0.45 * np.log1p(use / 1_000_000)
        - 0.5 * (mark & (use <= 0) & (age >= 3))
        + 0.8 * assets["well_known"].to_numpy()
        - 0.5 * assets["invalidation_pending"].to_numpy()
        - 0.4 * assets["ownership_dispute"].to_numpy()
        + mark * 0.2 * np.log1p(age)
        - (ip_type == "software_copyright") * 0.05 * age
    )


def true_value(assets: pd.DataFrame, noise: np.ndarray) -> np.ndarray:
    return np.exp(value_signal(assets) + noise).round(2)


def _loans(rng: np.random.Generator, loans: pd.DataFrame, assets: pd.DataFrame) -> pd.DataFrame:
    by_loan = assets.groupby("loan_id")
    appraised = (by_loan["true_value"].sum() * np.exp(rng.normal(0, 0.2, by_loan.ngroups))).reindex(loans["loan_id"])
    loans = loans.copy()
    loans["collateral_value"] = appraised.to_numpy().round(2)
    loans["collateral_count"] = by_loan.size().reindex(loans["loan_id"]).to_numpy()
    loans["collateral_min_life_years"] = by_loan["remaining_life_years"].min().reindex(loans["loan_id"]).to_numpy()
    invention = assets["ip_type"].eq("invention_patent").groupby(assets["loan_id"]).mean()
    loans["invention_share"] = invention.reindex(loans["loan_id"]).to_numpy().round(4)
    n = len(loans)
    pledge_rate = rng.beta(3, 6, n) * 0.8 + 0.05
    collateral = loans["collateral_value"].to_numpy()
    amount = np.minimum((pledge_rate * collateral).clip(100_000, 30_000_000), 0.85 * collateral)
    loans["amount"] = np.maximum(np.round(amount / 10_000) * 10_000, 10_000).astype(float)
    loans["pledge_rate"] = (loans["amount"] / loans["collateral_value"]).round(4)
    loans["term_months"] = rng.choice([6, 12, 24, 36], size=n, p=[0.1, 0.55, 0.25, 0.1])
    loans["repayment_method"] = rng.choice(REPAYMENT_METHODS, size=n, p=[0.4, 0.2, 0.4])
    loans["insured_or_guaranteed"] = (rng.random(n) < 0.4).astype(int)
    return loans


def risk_logit(loans: pd.DataFrame) -> np.ndarray:
    """The true default process without its intercept (see the module docstring)."""
    age = loans["firm_age_years"].to_numpy()
    debt = loans["debt_ratio"].to_numpy()
    pledge = loans["pledge_rate"].to_numpy()
    short_life = loans["collateral_min_life_years"].to_numpy() * 12 < loans["term_months"].to_numpy() + 12
    return (
        1.6 * np.maximum(0, debt - 0.8)
        + 0.55 * np.minimum(loans["overdue_events_24m"].to_numpy(), 4)
        + 0.9 * (loans["max_days_past_due_24m"].to_numpy() > 30)
        + 1.3 * loans["has_court_enforcement"].to_numpy()
        - 0.45 * np.log(loans["annual_revenue"].to_numpy() / 10_000_000)
        + 0.9 * np.exp(-age / 2)
        + 22.0 * np.maximum(0, pledge - 0.35) ** 2
        + 0.8 * ((age < 3) & (debt > 1.0))
        + 0.6 * short_life
        + loans["tax_credit_grade"].map(TAX_EFFECT).to_numpy()
        - 0.35 * loans["insured_or_guaranteed"].to_numpy()
        - 0.25 * loans["is_high_tech"].to_numpy()
        - 0.2 * loans["is_specialised"].to_numpy()
        + loans["cluster"].map(CLUSTER_EFFECT).to_numpy()
    )


def true_pd(loans: pd.DataFrame, *, default_rate: float) -> np.ndarray:
    """PD = sigmoid(intercept + risk_logit), the intercept solved so the mean PD is ``default_rate``."""
    z = risk_logit(loans)
    lo, hi = -20.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _sigmoid(mid + z).mean() > default_rate:
            hi = mid
        else:
            lo = mid
    return _sigmoid((lo + hi) / 2 + z)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
