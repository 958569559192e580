"""Whether an IP asset can secure a loan on a product for a term: one rule, asked by matching, by creating or
editing an application, by its submission and by the bank's approval, so that an asset the register would
refuse is turned away when it is chosen — not four approvals later when the filing package is generated.

The reasons cover the refusal grounds of the pledge registration (BRIEF §4) that the asset itself decides
(1 owner, 2 in force, 3 granted, 4 annual fee, 5 dispute or preservation, 6 expiry, 9 co-owners' consent,
10 already pledged), the register's signals of an abnormal patent filing or a bad-faith trademark
(``tongzhirong.facts.filing``: a near-duplicate, a split filing, a number on CNIPA's notified list, a mark copying a
well-known one) and the product's own terms (a pledge-rate cap of 0% for the type). Each reason has a
stable code; its message is rendered in the reader's language (zh_Hans catalogue) when it is shown.

``asset_reasons`` is pure: it reads the asset, the product's caps and the facts looked up for it.
``assets_eligibility`` looks those facts up for many assets in two queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongzhirong.assets.models import FilingFlag, FilingSignal, IPAsset, LegalStatus, statutory_expiry
from tongzhirong.core.reference import PATENT_TYPES, IPType
from tongzhirong.facts.filing import ABNORMAL_FILING_BLOCKING, BAD_FAITH_BLOCKING
from tongzhirong.products.models import LoanProduct

from .models import Application, ApplicationAsset, Loan, PledgeRegistration
from .schedule import add_months

# The right must outlive the loan by this much: the loan starts only after review and registration (weeks to
# months after the request), and after a default the bank needs the right alive to dispose of it.
EXPIRY_MARGIN_MONTHS = 6

# Trademarks run 10 years from registration, renewable 10 years at a time (商标法 art. 39-40); geographical
# indications register as collective or certification marks under the same rule. A layout design runs 10
# years from its filing (集成电路布图设计保护条例 art. 12: from the earlier of filing and first commercial use;
# the register's filing date is what the platform knows). Copyrights run 50 years or the author's life plus 50
# (著作权法 art. 23): no loan outlives them, and the register holds no date to count from.
MARK_TERM_YEARS = 10
LAYOUT_TERM_YEARS = 10
MARK_TYPES = (IPType.TRADEMARK, IPType.GEOGRAPHICAL_INDICATION)

# The stable codes and their messages, translated when rendered (``Reason.message``).
MESSAGES = {
    "not_owned": gettext_noop("%(identifier)s is not a live IP asset of the applicant."),
    "not_granted": gettext_noop("%(identifier)s is not granted yet: a pending application cannot be pledged."),
    "not_in_force": gettext_noop("%(identifier)s is %(status)s: a right no longer in force cannot be pledged."),
    "annual_fee_overdue": gettext_noop(
        "%(identifier)s: annual fees are overdue (paid through %(paid_through)s); pay them before pledging."
    ),
    "annual_fee_unknown": gettext_noop(
        "%(identifier)s: no annual fee payment is recorded; record the date fees are paid through."
    ),
    "dispute_or_preservation": gettext_noop(
        "%(identifier)s: an ownership dispute or a court preservation is recorded against it."
    ),
    "co_owner_consent_missing": gettext_noop("%(identifier)s: co-owner %(names)s has not consented to the pledge."),
    "already_pledged": gettext_noop("%(identifier)s is already collateral of application %(reference)s."),
    "already_pledged_registered": gettext_noop(
        "%(identifier)s is already pledged: the pledge registered under %(number)s is not released."
    ),
    "expires_before_term": gettext_noop(
        "%(identifier)s expires on %(expiry)s, before the loan's end plus %(margin)s months (%(needed)s)."
    ),
    "expires_before_term_statutory": gettext_noop(
        "%(identifier)s expires on %(expiry)s (its statutory term), before the loan's end plus %(margin)s "
        "months (%(needed)s)."
    ),
    "no_pledge_rate": gettext_noop(
        "%(identifier)s: this product lends nothing against a %(ip_type)s (its pledge-rate cap is 0%%)."
    ),
    "not_valued": gettext_noop(
        "%(identifier)s is not valued yet: it is valued within minutes of being registered or corrected."
    ),
    "abnormal_filing": gettext_noop(
        "%(identifier)s is flagged as an abnormal patent filing (%(signal)s): it cannot be pledged until the flag "
        "is cleared."
    ),
    "bad_faith_trademark": gettext_noop(
        "%(identifier)s is flagged as a bad-faith trademark filing (near-identical to the well-known mark "
        "%(mark)s): it cannot be pledged."
    ),
}
# The codes a reason may carry (several messages may share one).
REASON_CODES = (
    "not_owned",
    "not_granted",
    "not_in_force",
    "annual_fee_overdue",
    "dispute_or_preservation",
    "co_owner_consent_missing",
    "already_pledged",
    "expires_before_term",
    "no_pledge_rate",
    "not_valued",
    "abnormal_filing",
    "bad_faith_trademark",
)
# Parameters that hold an enum value, shown by its label in the reader's language.
LABELS = {"status": LegalStatus, "ip_type": IPType, "signal": FilingSignal}


@dataclass(frozen=True)
class Reason:
    """Why one asset cannot secure the loan: a stable ``code`` and what fills its message."""

    code: str
    params: dict = field(default_factory=dict, hash=False, compare=False)
    message_key: str = ""

    @property
    def message(self) -> str:
        """The message in the active language."""
        params = {
            name: str(LABELS[name](value).label) if name in LABELS else value for name, value in self.params.items()
        }
        return _(MESSAGES[self.message_key or self.code]) % params

    def bilingual(self) -> dict:
        """The reason as matching shows it: code, Chinese and English."""
        texts = {}
        for key, language in (("zh", "zh-hans"), ("en", "en")):
            with translation.override(language):
                texts[key] = self.message
        return {"code": self.code, **texts}


@dataclass(frozen=True)
class Expiry:
    on: dt.date
    statutory: bool  # counted from the statutory term, no expiry date being recorded


def expiry_of(asset: IPAsset) -> Expiry | None:
    """When the right ends: the recorded expiry date, else its statutory term; None when no loan could
    outlive it (copyrights) or nothing is known to count from (a mark not yet registered)."""
    if asset.expiry_date is not None:
        return Expiry(asset.expiry_date, statutory=False)
    if asset.ip_type in PATENT_TYPES:
        on = statutory_expiry(asset.ip_type, asset.filing_date)
    elif asset.ip_type in MARK_TYPES and asset.grant_date is not None:
        on = _years_after(asset.grant_date, MARK_TERM_YEARS * (1 + asset.renewals))
    elif asset.ip_type == IPType.IC_LAYOUT:
        on = _years_after(asset.filing_date, LAYOUT_TERM_YEARS)
    else:
        on = None
    return Expiry(on, statutory=True) if on is not None else None


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Facts:
    """What the register and the platform's records hold about an asset beyond its own row."""

    pledged_in: tuple[str, ...] = ()  # references of other live applications holding it
    registered_pledges: tuple[str, ...] = ()  # registration numbers of pledges not released
    filing_flags: tuple[tuple[str, str], ...] = ()  # (signal code, what it names) of live blocking flags


def asset_reasons(
    asset: IPAsset,
    *,
    enterprise_id: int,
    caps: dict[str, Decimal],
    term_months: int,
    facts: Facts,
    today: dt.date,
) -> list[Reason]:
    """Why ``asset`` cannot secure a loan of ``term_months`` from ``today`` on a product with these pledge-rate
    ``caps``, for the enterprise ``enterprise_id``; empty when it can."""
    ident = {"identifier": asset.identifier}
    if asset.owner_id != enterprise_id or asset.archived_at is not None:
        return [Reason("not_owned", ident)]  # nothing else about someone else's asset is the applicant's business
    reasons = []
    if asset.legal_status == LegalStatus.PENDING or asset.grant_date is None:
        reasons.append(Reason("not_granted", ident))
    elif asset.legal_status != LegalStatus.VALID:
        reasons.append(Reason("not_in_force", {**ident, "status": asset.legal_status}))
    if asset.ip_type in PATENT_TYPES and asset.legal_status == LegalStatus.VALID:
        paid = asset.annual_fee_paid_through
        if paid is None:
            reasons.append(Reason("annual_fee_overdue", ident, message_key="annual_fee_unknown"))
        elif paid < today:
            reasons.append(Reason("annual_fee_overdue", {**ident, "paid_through": paid.isoformat()}))
    if asset.ownership_dispute or asset.court_preservation:
        reasons.append(Reason("dispute_or_preservation", ident))
    refusing = [c.name for c in asset.co_owners.all() if not c.consent_given]
    if refusing:
        reasons.append(Reason("co_owner_consent_missing", {**ident, "names": "、".join(sorted(refusing))}))
    reasons += [Reason("already_pledged", {**ident, "reference": ref}) for ref in facts.pledged_in]
    reasons += [
        Reason("already_pledged", {**ident, "number": number}, message_key="already_pledged_registered")
        for number in facts.registered_pledges
    ]
    for code, named in facts.filing_flags:
        if code in BAD_FAITH_BLOCKING:
            reasons.append(Reason("bad_faith_trademark", {**ident, "mark": named}))
        else:
            reasons.append(Reason("abnormal_filing", {**ident, "signal": code}))
    expiry = expiry_of(asset)
    needed = add_months(today, term_months + EXPIRY_MARGIN_MONTHS)
    if expiry is not None and expiry.on < needed:
        reasons.append(
            Reason(
                "expires_before_term",
                {
                    **ident,
                    "expiry": expiry.on.isoformat(),
                    "margin": EXPIRY_MARGIN_MONTHS,
                    "needed": needed.isoformat(),
                },
                message_key="expires_before_term_statutory" if expiry.statutory else "",
            )
        )
    if not caps.get(asset.ip_type):
        reasons.append(Reason("no_pledge_rate", {**ident, "ip_type": asset.ip_type}))
    return reasons


def pledge_facts(assets: list[IPAsset], *, exclude: Application | None = None) -> dict[int, Facts]:
    """For each asset, the other applications that hold it, the registered pledges not yet released and its
    live blocking filing flags (three queries). An application holds its assets from the draft until it ends,
    and after disbursement until its loan is repaid or written off; a registered pledge holds the right at the
    register until its release is recorded, whatever became of the application."""
    ids = [a.pk for a in assets]
    running = [status for status, targets in Loan.TRANSITIONS.items() if targets]
    links = ApplicationAsset.objects.filter(asset_id__in=ids).filter(
        ~Q(application__status__in=Application.TERMINAL) | Q(application__loan__status__in=running)
    )
    registrations = PledgeRegistration.objects.filter(
        application__pledged_assets__asset_id__in=ids, registered_on__isnull=False, released_on__isnull=True
    )
    if exclude is not None:
        links = links.exclude(application=exclude)
        registrations = registrations.exclude(application=exclude)
    held: dict[int, set[str]] = {}
    for asset_id, reference in links.values_list("asset_id", "application__reference"):
        held.setdefault(asset_id, set()).add(reference)
    registered: dict[int, set[str]] = {}
    for asset_id, number in registrations.values_list("application__pledged_assets__asset_id", "registration_number"):
        if asset_id in ids:
            registered.setdefault(asset_id, set()).add(number)
    flagged: dict[int, set[tuple[str, str]]] = {}
    flags = FilingFlag.objects.filter(
        asset_id__in=ids, cleared_at__isnull=True, code__in=ABNORMAL_FILING_BLOCKING | BAD_FAITH_BLOCKING
    )
    for asset_id, code, evidence in flags.values_list("asset_id", "code", "evidence"):
        flagged.setdefault(asset_id, set()).add((code, str(evidence.get("well_known", ""))))
    return {
        pk: Facts(
            tuple(sorted(held.get(pk, ()))), tuple(sorted(registered.get(pk, ()))), tuple(sorted(flagged.get(pk, ())))
        )
        for pk in ids
    }


def product_caps(product: LoanProduct) -> dict[str, Decimal]:
    return {c.ip_type: c.max_pledge_rate for c in product.pledge_rate_caps.all()}


def assets_eligibility(
    *,
    assets: list[IPAsset],
    product: LoanProduct,
    enterprise_id: int,
    term_months: int,
    application: Application | None = None,
    today: dt.date | None = None,
) -> dict[int, list[Reason]]:
    """Each asset's reasons (empty: eligible) to secure a loan of ``term_months`` on ``product``;
    ``application`` is the one asking, whose own hold on its assets does not count."""
    today = today or timezone.localdate()
    facts = pledge_facts(assets, exclude=application)
    caps = product_caps(product)
    return {
        a.pk: asset_reasons(
            a, enterprise_id=enterprise_id, caps=caps, term_months=term_months, facts=facts[a.pk], today=today
        )
        for a in assets
    }


def ineligible_errors(assets: list[IPAsset], reasons: dict[int, list[Reason]]) -> list[str]:
    """One message per reason, each naming its asset, in the order the assets were given."""
    return [reason.message for a in assets for reason in reasons.get(a.pk, ())]
