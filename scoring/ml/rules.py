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


def high_value_flags(asset: dict[str, Any]) -> dict[str, bool]:
    """The five categories; only invention patents qualify (CNIPA counts invention patents)."""
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


def _capped(value: float, cap: float, max_points: float) -> float:
    return round(max_points * min(max(value, 0.0), cap) / cap, 1)


def legal_factors(asset: dict[str, Any]) -> list[Factor]:
    status_points = {"valid": 30, "pending": 12}.get(asset.get("legal_status", "valid"), 0)
    life = asset.get("remaining_life_years") or 0
    term = {"invention_patent": 20, "utility_model": 10, "design_patent": 15}.get(asset.get("ip_type"), 10)
    return [
        Factor("legal_status", "法律状态", status_points, 30),
        Factor("remaining_life", "剩余保护期", _capped(life, term * 0.6, 25), 25),
        Factor("no_invalidation", "无无效宣告", 0 if asset.get("invalidation_pending") else 15, 15),
        Factor(
            "clear_ownership",
            "权属清晰",
            0 if asset.get("ownership_dispute") or asset.get("court_preservation") else 15,
            15,
        ),
        Factor("co_owner_consent", "共有人同意", 0 if asset.get("co_owner_consent_missing") else 10, 10),
        Factor("fees_paid", "年费已缴", 0 if asset.get("annual_fee_overdue") else 5, 5),
    ]


def technical_factors(asset: dict[str, Any]) -> list[Factor]:
    if asset.get("ip_type") not in ("invention_patent", "utility_model", "design_patent"):
        age = asset.get("age_years") or 0
        return [
            Factor("established_use", "使用年限", _capped(age, 10, 50), 50),
            Factor("renewals", "续展次数", _capped(asset.get("renewals") or 0, 2, 25), 25),
            Factor("classes", "核定类别", _capped(asset.get("nice_class_count") or 1, 10, 25), 25),
        ]
    return [
        Factor(
            "forward_citations", "被引次数(同期同领域)", _capped(asset.get("citations_cohort_ratio") or 0, 3, 30), 30
        ),
        Factor("claims", "权利要求数", _capped(asset.get("claims_count") or 0, 20, 20), 20),
        Factor("technical_scope", "技术覆盖(IPC)", _capped(asset.get("ipc_class_count") or 0, 5, 15), 15),
        Factor("family_size", "同族规模", _capped((asset.get("family_size") or 1) - 1, 6, 20), 20),
        Factor("prior_art", "引证文献", _capped(asset.get("backward_citations") or 0, 15, 15), 15),
    ]


def economic_factors(asset: dict[str, Any]) -> list[Factor]:
    return [
        Factor("licences", "许可次数", _capped(asset.get("licence_count") or 0, 3, 30), 30),
        Factor("licence_revenue", "许可收入", _capped((asset.get("licence_revenue") or 0) / 100_000, 10, 30), 30),
        Factor("strategic_industry", "战略性新兴产业", 20 if asset.get("cluster") in STRATEGIC_CLUSTERS else 0, 20),
        Factor("overseas", "海外布局", _capped(asset.get("overseas_family_members") or 0, 3, 20), 20),
    ]


def sub_scores(asset: dict[str, Any]) -> dict[str, dict]:
    """``{"legal": {"score": 0-100, "factors": [...]}, "technical": …, "economic": …}``."""
    result = {}
    for name, factors in (
        ("legal", legal_factors(asset)),
        ("technical", technical_factors(asset)),
        ("economic", economic_factors(asset)),
    ):
        total = sum(f.max_points for f in factors)
        result[name] = {
            "score": round(100 * sum(f.points for f in factors) / total, 1),
            "factors": [
                {"factor": f.name, "label_zh": f.label_zh, "points": f.points, "max_points": f.max_points}
                for f in factors
            ],
        }
    return result
