"""The features the default models use, with the words a firm reads when a feature hurts its score.

``direction`` is the sign of the feature's true effect on PD (+1: more is riskier) and becomes the
challenger's monotonic constraint; ``actionable`` features are the ones a firm can change, and only
they appear in "what would improve it".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # "numeric" or "categorical"
    direction: int  # +1 riskier when larger, -1 safer when larger, 0 no constraint
    reason_zh: str
    reason_en: str
    actionable: bool = False
    hint_zh: str = ""
    hint_en: str = ""


RISK_FEATURES: tuple[Feature, ...] = (
    Feature(
        "firm_age_years",
        "numeric",
        -1,
        "企业成立时间较短",
        "The firm is young",
    ),
    Feature(
        "annual_revenue",
        "numeric",
        -1,
        "营业收入规模较小",
        "Annual revenue is small",
    ),
    Feature(
        "debt_ratio",
        "numeric",
        1,
        "负债相对营业收入偏高",
        "Debt is high relative to revenue",
        True,
        "降低现有负债或提高营业收入后再申请",
        "Reduce existing debt or grow revenue before applying",
    ),
    Feature(
        "overdue_events_24m",
        "numeric",
        1,
        "近24个月有逾期记录",
        "Overdue payments in the last 24 months",
        True,
        "保持按时还款，逾期记录会随时间淡出",
        "Pay on time; overdue records fade after 24 months",
    ),
    Feature(
        "max_days_past_due_24m",
        "numeric",
        1,
        "近24个月最长逾期天数较长",
        "Long worst delay in the last 24 months",
    ),
    Feature(
        "has_court_enforcement",
        "numeric",
        1,
        "存在被执行记录",
        "The firm is under court enforcement",
        True,
        "了结被执行案件并取得结案证明",
        "Settle the enforcement case and obtain proof of closure",
    ),
    Feature(
        "tax_credit_grade",
        "categorical",
        0,
        "纳税信用等级偏低或未评级",
        "Tax credit grade is low or missing",
        True,
        "按期申报纳税，争取A级或B级纳税信用",
        "File taxes on time to reach tax credit grade A or B",
    ),
    Feature(
        "is_high_tech",
        "numeric",
        -1,
        "尚未认定为高新技术企业",
        "Not certified as a high-tech enterprise",
        True,
        "申报高新技术企业认定",
        "Apply for high-tech enterprise certification",
    ),
    Feature(
        "is_specialised",
        "numeric",
        -1,
        "尚未认定为专精特新企业",
        "Not recognised as a specialised SME",
        True,
        "申报专精特新中小企业",
        "Apply for specialised SME (专精特新) recognition",
    ),
    Feature("cluster", "categorical", 0, "所属产业集群风险较高", "The industry cluster carries higher risk"),
    Feature(
        "pledge_rate",
        "numeric",
        1,
        "贷款金额相对质押物评估值偏高",
        "The loan is large relative to the pledged IP",
        True,
        "降低申请金额或追加质押知识产权",
        "Borrow less or pledge additional IP",
    ),
    Feature(
        "term_months",
        "numeric",
        0,
        "贷款期限",
        "Loan term",
    ),
    Feature(
        "insured_or_guaranteed",
        "numeric",
        -1,
        "未配置保险或担保增信",
        "No insurance or guarantee on the loan",
        True,
        "投保知识产权质押融资保证保险或引入担保",
        "Add IP pledge insurance or a guarantee",
    ),
    Feature(
        "collateral_min_life_years",
        "numeric",
        -1,
        "质押知识产权剩余保护期较短",
        "The pledged IP has little protection life left",
        True,
        "选择剩余保护期更长的知识产权质押",
        "Pledge IP with a longer remaining term",
    ),
    Feature(
        "invention_share",
        "numeric",
        0,
        "质押物中发明专利占比较低",
        "Few invention patents among the pledged IP",
    ),
    Feature("collateral_count", "numeric", 0, "质押知识产权数量较少", "Few IP rights pledged"),
)
RISK_FEATURE_NAMES = tuple(f.name for f in RISK_FEATURES)
RISK_FEATURE_INDEX = {f.name: f for f in RISK_FEATURES}

# Value models, one per IP family.
VALUE_FAMILIES: dict[str, tuple[str, ...]] = {
    "patent": ("invention_patent", "utility_model", "design_patent"),
    "trademark": ("trademark",),
    "other": ("copyright", "software_copyright", "geographical_indication", "ic_layout"),
}
FAMILY_OF_TYPE = {t: family for family, types in VALUE_FAMILIES.items() for t in types}
VALUE_FEATURES: dict[str, tuple[str, ...]] = {
    "patent": (
        "ip_type",
        "age_years",
        "remaining_life_years",
        "claims_count",
        "citations_cohort_ratio",
        "backward_citations",
        "family_size",
        "overseas_family_members",
        "ipc_class_count",
        "licence_count",
        "licence_revenue",
        "has_award",
    ),
    # Marks and copyrights are valued on their use (relief from royalty), recognition and disputes.
    "trademark": (
        "age_years",
        "nice_class_count",
        "renewals",
        "licence_count",
        "licence_revenue",
        "use_revenue",
        "well_known",
        "invalidation_pending",
        "ownership_dispute",
    ),
    "other": (
        "ip_type",
        "age_years",
        "remaining_life_years",
        "licence_count",
        "licence_revenue",
        "use_revenue",
        "invalidation_pending",
        "ownership_dispute",
    ),
}

# Realisable value = P50 × (1 − haircut). Type haircuts reflect how hard each right is to sell
# (BRIEF §3: appraised and realisable values differ wildly); liquidity adds to them.
TYPE_HAIRCUT = {
    "invention_patent": 0.50,
    "utility_model": 0.60,
    "design_patent": 0.65,
    "trademark": 0.45,
    "copyright": 0.70,
    "software_copyright": 0.60,
    "geographical_indication": 0.55,
    "ic_layout": 0.60,
}
SHORT_LIFE_HAIRCUT = 0.10  # under 3 years of protection left
LICENSED_RELIEF = 0.05  # a licensed right has a proven buyer market


# A declared value that disagrees with what a source says is a reason of its own: ``conflict:<fact>``, with
# the words of the fact disagreed on.
CONFLICT_PREFIX = "conflict:"
FACT_WORDS: dict[str, tuple[str, str]] = {
    "legal_name": ("企业名称", "legal name"),
    "founded_on": ("成立日期", "founding date"),
    "registered_capital": ("注册资本", "registered capital"),
    "existing_debt": ("现有负债", "outstanding credit"),
    "prior_ip_loans": ("既往知识产权质押贷款", "prior IP pledge loans"),
    "overdue_events_24m": ("近24个月逾期次数", "overdue events in 24 months"),
    "max_days_past_due_24m": ("近24个月最长逾期天数", "worst days past due in 24 months"),
    "has_court_enforcement": ("被执行记录", "court enforcement"),
    "tax_credit_grade": ("纳税信用等级", "tax credit grade"),
    "is_high_tech": ("高新技术企业认定", "high-tech certification"),
    "is_tech_sme": ("科技型中小企业认定", "tech-based SME certification"),
    "is_specialised": ("专精特新认定", "specialised SME recognition"),
    "is_little_giant": ("小巨人认定", "little giant recognition"),
    "is_ip_certified": ("知识产权贯标认证", "IP management certification"),
}

# A live abnormal-filing or bad-faith-trademark flag on the firm or its collateral is a reason of its own:
# ``filing:<signal>`` (the signals of tongzhirong.facts.filing), a warning no figure of the model carries.
FILING_PREFIX = "filing:"
FILING_WORDS: dict[str, tuple[str, str]] = {
    "near_duplicate": (
        "质押专利与其他申请高度雷同（疑似重复申请）",
        "a pledged patent nearly duplicates another application",
    ),
    "split_filing": ("同一发明疑似拆分至关联方申请", "the same invention appears split across related parties"),
    "filing_volume": ("专利申请量与研发能力明显不符", "patent filing volume is out of line with R&D capacity"),
    "transferred_before_pledge": (
        "质押专利在出质前不久受让取得",
        "a pledged patent was transferred in shortly before the pledge",
    ),
    "high_lapse_share": (
        "专利申请撤回、驳回或失效比例过高",
        "a high share of applications withdrawn, rejected or lapsed",
    ),
    "notified_list": ("质押专利列入国家知识产权局非正常申请通报名单", "a pledged patent is on CNIPA's notified list"),
    "mass_class_filing": ("商标跨大量类别申请且无使用证据", "trademarks filed across many classes without use"),
    "well_known_mark": ("商标与驰名商标近似（疑似恶意注册）", "a mark is near-identical to a well-known mark"),
    "hoarding": ("囤积商标（大量注册且少有使用）", "trademark hoarding (many marks, few in use)"),
}

# What each risk input is called where a person reads it changed (a rescore's timeline entry).
INPUT_WORDS: dict[str, tuple[str, str]] = {
    "firm_age_years": ("成立年限", "firm age (years)"),
    "annual_revenue": ("营业收入", "annual revenue"),
    "debt_ratio": ("负债收入比", "debt to revenue"),
    "overdue_events_24m": FACT_WORDS["overdue_events_24m"],
    "max_days_past_due_24m": FACT_WORDS["max_days_past_due_24m"],
    "has_court_enforcement": FACT_WORDS["has_court_enforcement"],
    "tax_credit_grade": FACT_WORDS["tax_credit_grade"],
    "is_high_tech": FACT_WORDS["is_high_tech"],
    "is_specialised": FACT_WORDS["is_specialised"],
    "cluster": ("产业集群", "industry cluster"),
    "pledge_rate": ("质押率", "pledge rate"),
    "term_months": ("期限（月）", "term (months)"),
    "insured_or_guaranteed": ("保险或担保", "insured or guaranteed"),
    "collateral_min_life_years": ("质押物最短剩余保护期", "shortest remaining life of the collateral"),
    "invention_share": ("发明专利占比", "share of invention patents"),
    "collateral_count": ("质押物数量", "number of pledged rights"),
}
