"""Rule-based parts of a valuation a reviewer can check by hand.

- CNIPA's high-value invention patent (万人高价值发明专利) categories: strategic emerging industry,
  an overseas family member, maintained over 10 years, a high pledge amount, a national award.
- GB/T 42748-2023 in spirit: legal, technical and economic sub-scores 0-100, each a sum of named
  factors with their points, so the breakdown explains itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Clusters of the 616 system that belong to strategic emerging industries.
STRATEGIC_CLUSTERS = frozenset({"next_gen_it", "new_materials", "high_end_equipment", "new_energy"})
HIGH_PLEDGE_AMOUNT = 10_000_000  # yuan, 1000万
NATIONAL_AWARDS = frozenset({"china_patent_gold", "china_patent_silver", "china_patent_excellence"})


@dataclass(frozen=True)
class Factor:
    name: str
    label_zh: str
    points: float
    max_points: float


# Every factor's label and maximum by sub-score, in the order a breakdown lists them. A technical
# sub-score has the patent factors or the trademark factors (``technical_points``), never both.
FACTORS: dict[str, dict[str, tuple[str, float]]] = {
    "legal": {
        "legal_status": ("法律状态", 30),
        "remaining_life": ("剩余保护期", 25),
        "no_invalidation": ("无无效宣告", 15),
        "clear_ownership": ("权属清晰", 15),
        "co_owner_consent": ("共有人同意", 10),
        "fees_paid": ("年费已缴", 5),
    },
    "technical": {
        "established_use": ("使用年限", 50),
        "renewals": ("续展次数", 25),
        "classes": ("核定类别", 25),
        "well_known": ("驰名商标", 25),
        "forward_citations": ("被引次数(同期同领域)", 30),
        "claims": ("权利要求数", 20),
        "technical_scope": ("技术覆盖(IPC)", 15),
        "family_size": ("同族规模", 20),
        "prior_art": ("引证文献", 15),
    },
    "economic": {
        "licences": ("许可次数", 30),
        "licence_revenue": ("许可收入", 30),
        "use_sales": ("使用收入", 30),
        "strategic_industry": ("战略性新兴产业", 20),
        "overseas": ("海外布局", 20),
    },
}
HIGH_VALUE_FLAGS = (
    "strategic_emerging_industry",
    "overseas_family_member",
    "maintained_over_10_years",
    "high_pledge_amount",
    "national_award",
)


def high_value_flags(asset: dict[str, Any]) -> dict[str, bool]:
    """The five categories (``HIGH_VALUE_FLAGS``); only invention patents qualify (CNIPA counts invention
    patents)."""
    invention = asset.get("ip_type") == "invention_patent"
    return {
        "strategic_emerging_industry": invention and asset.get("cluster") in STRATEGIC_CLUSTERS,
        "overseas_family_member": invention and (asset.get("overseas_family_members") or 0) > 0,
        "maintained_over_10_years": invention
        and asset.get("legal_status", "valid") == "valid"
        and (asset.get("age_years") or 0) > 10,
        "high_pledge_amount": invention and (asset.get("pledged_amount") or 0) >= HIGH_PLEDGE_AMOUNT,
        "national_award": invention and asset.get("award") in NATIONAL_AWARDS,
    }


def raised_flags(asset: dict[str, Any]) -> list[str]:
    """The compact form of ``high_value_flags``: the names of the flags that are raised, in order."""
    return [name for name, raised in high_value_flags(asset).items() if raised]


def render_flags(stored: Any) -> Any:
    """``high_value_flags`` from its compact form (a list of raised names); any other value as it is."""
    if not isinstance(stored, list) or not all(name in HIGH_VALUE_FLAGS for name in stored):
        return stored
    return {name: name in stored for name in HIGH_VALUE_FLAGS}


def compact_flags(flags: Any) -> Any:
    """The raised names of a ``high_value_flags`` dict when they render back to it; else ``flags``."""
    if not isinstance(flags, dict):
        return flags
    raised = [name for name, on in flags.items() if on is True]
    return raised if render_flags(raised) == flags else flags


def _capped(value: float, cap: float, max_points: float) -> float:
    return round(max_points * min(max(value, 0.0), cap) / cap, 1)


def legal_points(asset: dict[str, Any]) -> dict[str, float]:
    life = asset.get("remaining_life_years") or 0
    term = {"invention_patent": 20, "utility_model": 10, "design_patent": 15}.get(asset.get("ip_type"), 10)
    return {
        "legal_status": {"valid": 30, "pending": 12}.get(asset.get("legal_status", "valid"), 0),
        "remaining_life": _capped(life, term * 0.6, 25),
        "no_invalidation": 0 if asset.get("invalidation_pending") else 15,
        "clear_ownership": 0 if asset.get("ownership_dispute") or asset.get("court_preservation") else 15,
        "co_owner_consent": 0 if asset.get("co_owner_consent_missing") else 10,
        "fees_paid": 0 if asset.get("annual_fee_overdue") else 5,
    }


def technical_points(asset: dict[str, Any]) -> dict[str, float]:
    if asset.get("ip_type") not in ("invention_patent", "utility_model", "design_patent"):
        return {
            "established_use": _capped(asset.get("age_years") or 0, 10, 50),
            "renewals": _capped(asset.get("renewals") or 0, 2, 25),
            "classes": _capped(asset.get("nice_class_count") or 1, 10, 25),
            **({"well_known": 25 if asset.get("well_known") else 0} if asset.get("ip_type") == "trademark" else {}),
        }
    return {
        "forward_citations": _capped(asset.get("citations_cohort_ratio") or 0, 3, 30),
        "claims": _capped(asset.get("claims_count") or 0, 20, 20),
        "technical_scope": _capped(asset.get("ipc_class_count") or 0, 5, 15),
        "family_size": _capped((asset.get("family_size") or 1) - 1, 6, 20),
        "prior_art": _capped(asset.get("backward_citations") or 0, 15, 15),
    }


def economic_points(asset: dict[str, Any]) -> dict[str, float]:
    patent = asset.get("ip_type") in ("invention_patent", "utility_model", "design_patent")
    return {
        "licences": _capped(asset.get("licence_count") or 0, 3, 30),
        "licence_revenue": _capped((asset.get("licence_revenue") or 0) / 100_000, 10, 30),
        # A mark's or a copyright's use evidence: sales under the right, full points at 1000万 a year.
        **({} if patent else {"use_sales": _capped((asset.get("use_revenue") or 0) / 1_000_000, 10, 30)}),
        "strategic_industry": 20 if asset.get("cluster") in STRATEGIC_CLUSTERS else 0,
        "overseas": _capped(asset.get("overseas_family_members") or 0, 3, 20),
    }


def _factors(group: str, points: dict[str, float]) -> list[Factor]:
    return [
        Factor(name, label, points[name], maximum)
        for name, (label, maximum) in FACTORS[group].items()
        if name in points
    ]


def sub_score_points(asset: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The compact form of ``sub_scores``: the points of each factor by sub-score, the rest being
    constants (``FACTORS``)."""
    return {"legal": legal_points(asset), "technical": technical_points(asset), "economic": economic_points(asset)}


def sub_scores(asset: dict[str, Any]) -> dict[str, dict]:
    """``{"legal": {"score": 0-100, "factors": [...]}, "technical": …, "economic": …}``."""
    return render_sub_scores(sub_score_points(asset))


def _is_points(group: str, value: Any) -> bool:
    catalogue = FACTORS.get(group)
    return (
        catalogue is not None
        and isinstance(value, dict)
        and bool(value)
        and all(name in catalogue and isinstance(points, int | float) for name, points in value.items())
    )


def render_sub_scores(stored: Any) -> Any:
    """``sub_scores`` from its compact form (``sub_score_points``); a sub-score already in full, as
    older rows hold them, is kept as it is."""
    if not isinstance(stored, dict):
        return stored
    result = {}
    # Sub-scores and factors in the order of FACTORS: PostgreSQL's jsonb does not keep the stored order.
    for group in (*(g for g in FACTORS if g in stored), *(g for g in stored if g not in FACTORS)):
        value = stored[group]
        if not _is_points(group, value):
            result[group] = value
            continue
        factors = _factors(group, value)
        total = sum(f.max_points for f in factors)
        result[group] = {
            "score": round(100 * sum(f.points for f in factors) / total, 1),
            "factors": [
                {"factor": f.name, "label_zh": f.label_zh, "points": f.points, "max_points": f.max_points}
                for f in factors
            ],
        }
    return result


def compact_sub_scores(full: Any) -> Any:
    """The compact form of each sub-score of ``full`` that renders back to itself; the others as they are."""
    if not isinstance(full, dict):
        return full
    result = {}
    for group, value in full.items():
        factors = value.get("factors") if isinstance(value, dict) else None
        if isinstance(factors, list) and all(isinstance(f, dict) and "factor" in f for f in factors):
            points = {f["factor"]: f.get("points") for f in factors}
            if _is_points(group, points) and render_sub_scores({group: points})[group] == value:
                result[group] = points
                continue
        result[group] = value
    return result
