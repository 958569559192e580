"""Pledge registration pre-check against the refusal grounds of CNIPA's 专利权质押登记办法 (2021).

Each ground is computed from the asset and loan data and answers pass, fail or needs_confirmation
(the parties must confirm in the filing), with the reason in plain words. Grounds that only concern
patents are not_applicable to trademarks, copyrights and the rest (they register elsewhere or under
their own rules, BRIEF §4). Before the bank has set the terms, the contract cannot be complete yet:
ground 8 then reads awaiting_terms, not fail.

The grounds an asset decides by itself are also asked up front, when the asset is chosen
(``eligibility``); this pre-check is the last word before filing, on the approved terms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhirong.assets.models import FilingSignal, IPAsset, LegalStatus
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.reference import PATENT_TYPES, IPType

from .eligibility import expiry_of, pledge_facts
from .models import Application
from .schedule import add_months

PASS, FAIL, CONFIRM, NOT_APPLICABLE = "pass", "fail", "needs_confirmation", "not_applicable"
AWAITING_TERMS = "awaiting_terms"
RESULT_LABELS = {
    PASS: gettext_lazy("pass"),
    FAIL: gettext_lazy("would be refused"),
    CONFIRM: gettext_lazy("needs the parties' confirmation"),
    NOT_APPLICABLE: gettext_lazy("not applicable"),
    AWAITING_TERMS: gettext_lazy("awaiting terms"),
}
# The contract items that only the bank's approved terms fill (ground 8 awaits them before approval).
TERMS_ITEMS = ("secured_debt", "debt_term")

GUARANTEE_SCOPE = (
    "主债权本金、利息、罚息、复利、违约金、损害赔偿金和实现质权的费用",
    "Principal, interest, penalty and compound interest, liquidated damages, damages and the costs of enforcing "
    "the pledge",
)
# The platform contract's enforcement clause (民法典 art. 436): after a default the parties may agree on a price
# or the pledgee is paid first from a sale — never that the right simply becomes the pledgee's.
ENFORCEMENT_CLAUSE = (
    "债务人不履行到期债务或者发生当事人约定的实现质权的情形，质权人可以与出质人协议以质押的权利折价，"
    "也可以就拍卖、变卖质押的权利所得的价款优先受偿",
    "If the debtor does not pay a debt when due, or an agreed enforcement event occurs, the pledgee may agree "
    "with the pledgor on a price for the pledged right, or be paid first from the proceeds of its auction or sale",
)
# Ground 7, a forfeiture (流质) clause: an agreement made before the debt falls due that the pledged right
# becomes the creditor's on non-payment (民法典 art. 428).
FORFEITURE = re.compile(
    r"流质|流押"
    r"|归(?:质权人|债权人|银行|贷款人|乙方)"
    r"|(?:转让|转移|移转|过户)(?:给|予|于|至)(?:质权人|债权人|银行|贷款人|乙方)"
    r"|(?:pass(?:es)?|vests?|transfer(?:s|red)?|becomes?\s+the\s+property\s+of)\s+(?:to\s+|in\s+)?"
    r"the\s+(?:pledgee|creditor|lender|bank)"
    r"|forfeit",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Check:
    ground: int
    code: str
    result: str
    reason_zh: str
    reason_en: str


def _check(ground: int, code: str, ok: bool, fail: tuple[str, str], good: tuple[str, str], soft: bool = False):
    result = PASS if ok else (CONFIRM if soft else FAIL)
    zh, en = good if ok else fail
    return Check(ground, code, result, zh, en)


def asset_precheck(
    asset: IPAsset,
    application: Application,
    *,
    missing_items: list[str],
    pledged_elsewhere: bool,
    twin: str | None,
    awaiting_terms: bool = False,
    forfeiture: str | None = None,
    filing_flags: tuple[tuple[str, str], ...] = (),
    today: dt.date | None = None,
) -> list[Check]:
    """``missing_items``: the contract's required items the application cannot fill (ground 8), those only
    the bank's terms fill aside while ``awaiting_terms``; ``forfeiture``: the contract's words that make the
    right pass to the pledgee (ground 7); ``pledged_elsewhere`` (ground 10) and ``twin``, a same-day utility
    model/invention (ground 11), are looked up for all the application's assets at once by
    ``application_precheck``, as are the ``filing_flags`` (ground 13, the platform's own: a live abnormal-filing
    or bad-faith-trademark flag, ``tongzhirong.facts.filing``; a right whose filing the rules call abnormal may be
    revoked under the pledge)."""
    today = today or timezone.localdate()
    patent = asset.ip_type in PATENT_TYPES
    term = application.approved_term_months or application.requested_term_months
    maturity = add_months(today, term)
    co_owners = list(asset.co_owners.all())
    checks = [
        _check(
            1,
            "pledgor_is_owner",
            asset.owner_id == application.enterprise_id,
            ("出质人不是登记的权利人", "The pledgor is not the registered owner"),
            ("出质人为登记权利人", "The pledgor is the registered owner"),
        ),
        _check(
            2,
            "in_force",
            asset.legal_status not in (LegalStatus.LAPSED, LegalStatus.INVALIDATED, LegalStatus.EXPIRED),
            ("权利已终止或被宣告无效", "The right has terminated or been invalidated"),
            ("权利有效", "The right is in force"),
        ),
        _check(
            3,
            "granted",
            asset.legal_status != LegalStatus.PENDING and asset.grant_date is not None,
            ("尚未授权", "The application has not been granted"),
            ("已授权", "Granted"),
        ),
    ]
    if patent:
        paid = asset.annual_fee_paid_through
        checks.append(
            _check(
                4,
                "annual_fee_paid",
                paid is not None and paid >= today,
                ("年费未按期缴纳", "Annual fees are unpaid"),
                ("年费已缴纳", "Annual fees are paid"),
            )
        )
    else:
        checks.append(Check(4, "annual_fee_paid", NOT_APPLICABLE, "非专利无年费", "No annual fee for this IP type"))
    checks += [
        _check(
            5,
            "no_dispute_or_preservation",
            not (asset.ownership_dispute or asset.court_preservation),
            ("存在权属纠纷中止或法院保全", "An ownership dispute or court preservation is recorded"),
            ("无权属纠纷或保全", "No dispute or preservation"),
        ),
        _expiry_check(asset, maturity),
        _check(
            7,
            "no_forfeiture_clause",
            forfeiture is None,
            (
                f"合同约定债务人不履行时质押权利归质权人所有（流质条款）：“{forfeiture}”",
                f"The contract makes the right pass to the pledgee on non-payment (a forfeiture clause): "
                f"\u201c{forfeiture}\u201d",
            ),
            (
                "合同未约定债务人不履行时质押权利归质权人所有（无流质条款）",
                "The contract does not make the right pass to the pledgee on non-payment (no forfeiture clause)",
            ),
        ),
        _contract_check(missing_items, awaiting_terms),
        _check(
            9,
            "co_owners_consent",
            all(c.consent_given for c in co_owners),
            ("共有人未全部同意出质", "Not every co-owner consents to the pledge"),
            ("无共有人或共有人均已同意", "No co-owners, or all consent"),
        ),
        _check(
            10,
            "not_already_pledged",
            not pledged_elsewhere,
            ("该权利已被出质", "The right is already pledged"),
            ("未被出质", "Not pledged elsewhere"),
        ),
    ]
    if asset.ip_type in (IPType.INVENTION_PATENT, IPType.UTILITY_MODEL):
        checks.append(
            _check(
                11,
                "no_same_day_twin",
                twin is None,
                (
                    f"同日申请的实用新型/发明({twin})需当事人确认",
                    f"A same-day utility model/invention ({twin}) needs the parties' confirmation",
                ),
                ("无同日申请的同样发明创造", "No same-day twin filing"),
                soft=True,
            )
        )
    else:
        checks.append(Check(11, "no_same_day_twin", NOT_APPLICABLE, "不适用", "Not applicable to this IP type"))
    checks.append(
        _check(
            12,
            "no_invalidation_pending",
            not asset.invalidation_pending,
            ("已启动无效宣告程序，需当事人确认", "Invalidation proceedings are pending: the parties must confirm"),
            ("无无效宣告程序", "No invalidation proceedings"),
            soft=True,
        )
    )
    with translation.override("zh-hans"):
        flagged_zh = "、".join(str(FilingSignal(code).label) for code, _named in filing_flags)
    with translation.override("en"):
        flagged_en = "; ".join(str(FilingSignal(code).label) for code, _named in filing_flags)
    checks.append(
        _check(
            13,
            "no_filing_flag",
            not filing_flags,
            (
                f"存在非正常申请或恶意商标注册标记：{flagged_zh}",
                f"Flagged as an abnormal or bad-faith filing: {flagged_en}",
            ),
            ("无非正常申请或恶意注册标记", "No abnormal-filing or bad-faith flag"),
        )
    )
    return checks


def contract_items(application: Application, assets=None) -> list[dict]:
    """The pledge contract's required items (专利权质押登记办法 2021, art. 10 — verify the wording), each
    present or missing with what is missing. An incomplete contract is refusal ground 8."""
    assets = list(application.assets.all()) if assets is None else assets
    bank, enterprise = application.product.bank, application.enterprise
    term = application.approved_term_months
    items = [
        (
            "parties",
            "当事人的名称和住所",
            "The parties' names and addresses",
            [
                (enterprise.legal_name, "pledgor name"),
                (enterprise.organisation.address, "pledgor address"),
                (bank.name, "pledgee name"),
                (bank.address, "pledgee address"),
            ],
        ),
        (
            "secured_debt",
            "被担保债权的种类和数额",
            "Kind and amount of the secured debt",
            [
                (application.approved_amount, "approved amount"),
            ],
        ),
        ("debt_term", "债务人履行债务的期限", "The debtor's term of performance", [(term, "approved term")]),
        (
            "pledged_rights",
            "质押的权利及其项数、名称、号码、申请日、授权日",
            "The pledged rights: count, title, number, filing and grant dates",
            [(a.grant_date, f"{a.identifier} grant date") for a in assets] + [(assets, "pledged assets")],
        ),
        ("guarantee_scope", "质押担保的范围", "The scope of the guarantee", [(GUARANTEE_SCOPE[0], "scope")]),
    ]
    return [
        {
            "code": code,
            "label_zh": zh,
            "label_en": en,
            "present": not (missing := [name for value, name in values if value in (None, "", [])]),
            "missing": missing,
        }
        for code, zh, en, values in items
    ]


def _expiry_check(asset: IPAsset, maturity: dt.date) -> Check:
    """Ground 6 on the recorded expiry date, else the statutory term (an unrecorded date is not a pass)."""
    expiry = expiry_of(asset)
    if expiry is None:
        return Check(
            6,
            "debt_within_term",
            NOT_APPLICABLE,
            "著作权保护期长于任何贷款期限，或尚无起算日期",
            "A copyright outlives any loan, or there is no date yet to count the term from",
        )
    basis_zh, basis_en = ("法定期限", "statutory term") if expiry.statutory else ("登记期限", "recorded expiry")
    return _check(
        6,
        "debt_within_term",
        maturity <= expiry.on,
        (
            f"债务履行期({maturity})超过权利期限({expiry.on}，{basis_zh})",
            f"The debt runs to {maturity}, past the right's {basis_en} on {expiry.on}",
        ),
        (
            f"债务履行期({maturity})未超过权利期限({expiry.on}，{basis_zh})",
            f"The debt ends on {maturity}, before the right's {basis_en} on {expiry.on}",
        ),
    )


def _contract_check(missing_items: list[str], awaiting_terms: bool) -> Check:
    if missing_items:
        return Check(
            8,
            "contract_complete",
            FAIL,
            "合同缺少必备条款：" + "、".join(missing_items),
            "The contract lacks required items: " + "; ".join(missing_items),
        )
    if awaiting_terms:
        return Check(
            8,
            "contract_complete",
            AWAITING_TERMS,
            "待银行确定授信条件（金额、期限）后生成合同",
            "The contract is drawn up once the bank sets the terms (amount, term)",
        )
    return Check(8, "contract_complete", PASS, "合同必备条款齐全", "The contract has its required items")


def contract_text(application: Application) -> list[str]:
    """The contract's words that could hold a forfeiture clause: the platform's clauses and the conditions the
    bank attached to its approval (the offer carries them into the contract)."""
    return [*GUARANTEE_SCOPE, *ENFORCEMENT_CLAUSE, application.decision_comment]


def forfeiture_clause(texts: list[str]) -> str | None:
    """The first sentence of ``texts`` that makes the pledged right pass to the pledgee on non-payment."""
    for text in texts:
        for sentence in re.split(r"(?<=[。；;.!！?？])\s*|\n+", text or ""):
            if FORFEITURE.search(sentence):
                return sentence.strip()
    return None


def application_precheck(application: Application, *, today: dt.date | None = None) -> dict:
    assets = list(application.assets.prefetch_related("co_owners"))
    awaiting_terms = application.approved_amount is None or application.approved_term_months is None
    missing = [
        f"{i['label_en']} ({', '.join(i['missing'])})"
        for i in contract_items(application, assets)
        if not i["present"] and not (awaiting_terms and i["code"] in TERMS_ITEMS)
    ]
    facts = pledge_facts(assets, exclude=application)
    forfeiture = forfeiture_clause(contract_text(application))
    twins = _same_day_twins(assets)
    per_asset = [
        {
            "asset": asset.pk,
            "identifier": asset.identifier,
            "checks": [
                asdict(c) | {"result_label": str(RESULT_LABELS[c.result])}
                for c in asset_precheck(
                    asset,
                    application,
                    missing_items=missing,
                    pledged_elsewhere=bool(facts[asset.pk].pledged_in or facts[asset.pk].registered_pledges),
                    twin=twins.get(asset.pk),
                    awaiting_terms=awaiting_terms,
                    forfeiture=forfeiture,
                    filing_flags=facts[asset.pk].filing_flags,
                    today=today,
                )
            ],
        }
        for asset in assets
    ]
    results = {c["result"] for a in per_asset for c in a["checks"]}
    overall = next((r for r in (FAIL, AWAITING_TERMS, CONFIRM) if r in results), PASS)
    return {
        "application": application.pk,
        "result": overall,
        "result_label": str(RESULT_LABELS[overall]),
        "assets": per_asset,
    }


def precheck_require_pass(application: Application) -> dict:
    """The application's pre-check, or a refusal naming each failed ground: a failed ground stops the package
    and the filing alike, and so does a contract still awaiting the bank's terms."""
    precheck = application_precheck(application)
    if precheck["result"] == FAIL:
        raise ValidationFailed(
            {"pledge_precheck": precheck_failures(precheck)},
            _("The pledge would be refused: fix these grounds first."),
        )
    if precheck["result"] == AWAITING_TERMS:
        raise ValidationFailed(
            {"pledge_precheck": [_("The bank has not set the terms yet: the contract cannot be drawn up.")]}
        )
    return precheck


def precheck_failures(precheck: dict) -> list[str]:
    """The failed grounds, one line per asset and ground, for an error message."""
    return sorted(
        {f"{a['identifier']}: {c['reason_en']}" for a in precheck["assets"] for c in a["checks"] if c["result"] == FAIL}
    )


def _same_day_twins(assets: list[IPAsset]) -> dict[int, str]:
    """For each invention patent or utility model, a live same-owner filing of the other type on the same day
    (one query)."""
    pair = {IPType.INVENTION_PATENT: IPType.UTILITY_MODEL, IPType.UTILITY_MODEL: IPType.INVENTION_PATENT}
    candidates = [a for a in assets if a.ip_type in pair]
    if not candidates:
        return {}
    found = {
        (owner, ip_type, day): identifier
        for owner, ip_type, day, identifier in IPAsset.objects.filter(
            owner_id__in={a.owner_id for a in candidates},
            filing_date__in={a.filing_date for a in candidates},
            ip_type__in=list(pair),
            archived_at__isnull=True,
        )
        .order_by("identifier")
        .values_list("owner_id", "ip_type", "filing_date", "identifier")
    }
    return {a.pk: found[key] for a in candidates if (key := (a.owner_id, pair[a.ip_type], a.filing_date)) in found}
