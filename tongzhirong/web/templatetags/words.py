"""What the services record in words of their own (a status change's reason, a notice's title) read in the
reader's language at display time: the stored text stays as written (the audit trail keeps it), and the page
shows the matching phrase through gettext, as does a notice's e-mail copy (``notice_words``). A person's own
words (a comment, a decision's reason) are shown as they wrote them."""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext, pgettext

from scoring.ml.train import RISK_MODEL_NAME
from tongzhirong.assets.importing import COLUMNS as ASSET_COLUMNS
from tongzhirong.core.reference import IPType
from tongzhirong.financing.models import ApplicationStatus, LoanStatus, Registry, RejectReason
from tongzhirong.reporting.forecast import METHOD
from tongzhirong.risksharing.models import ClaimStatus, DisposalRoute, DisposalStatus, FilingStatus
from tongzhirong.subsidies.models import ClaimStatus as SubsidyClaimStatus

register = template.Library()

# Where one value names a status in several workflows, the first enum listed gives its label.
STATUS_ENUMS = (ApplicationStatus, LoanStatus, ClaimStatus, SubsidyClaimStatus, DisposalStatus, FilingStatus)


@register.filter
def status_label(value: str) -> str:
    """A workflow status value (``under_review``) as its label (审查中); anything unknown as it is."""
    for enum in STATUS_ENUMS:
        if value in enum.values:
            return str(enum(value).label)
    return value or "—"


@register.filter
def route_label(value: str) -> str:
    """A disposal route value (``agreed_transfer``) as its label."""
    return str(DisposalRoute(value).label) if value in DisposalRoute.values else (value or "—")


@register.filter
def ip_type_label(value: str) -> str:
    """An IP type value (``invention_patent``) as its label."""
    return str(IPType(value).label) if value in IPType.values else (value or "—")


ASSET_HEADERS = {column.field: column.zh for column in ASSET_COLUMNS}


@register.filter
def asset_column(field: str | None) -> str:
    """A column of the IP-asset import named by the template's Chinese header (申请日), not its code."""
    if not field:
        return "—"
    return ASSET_HEADERS.get(field, field)


# The forecast's method note (tongzhirong.reporting.forecast.METHOD) with its two numbers as groups.
FORECAST_METHOD = re.escape(METHOD).replace(r"\{window\}", r"(?P<window>\d+)").replace(r"\{draws\}", r"(?P<draws>\d+)")


def _words():
    """(pattern, phrase) pairs: a whole reason the services write, and how a page says it. Built per call so that
    gettext answers in the language of the request."""
    return (
        (r"submitted", pgettext("status change", "submitted")),
        (r"review started", pgettext("status change", "review started")),
        (r"offer accepted", pgettext("status change", "offer accepted")),
        (r"approved", pgettext("status change", "approved")),
        (r"approval confirmed by checker", pgettext("status change", "approval confirmed by the checker")),
        (r"pledge filed", pgettext("status change", "pledge filed for registration")),
        (r"registered (?P<number>.+)", pgettext("status change", "pledge registered, notice %(number)s")),
        (r"disbursed", pgettext("status change", "disbursed")),
        (r"paid off", pgettext("status change", "paid off")),
        (r"paid", pgettext("status change", "paid")),
        (r"(?P<days>\d+) days past due", pgettext("status change", "%(days)s days past due")),
        (r"auction", pgettext("status change", "put up for auction")),
        (r"no valid bid", pgettext("status change", "the auction closed without a valid bid")),
        (r"licensed", pgettext("status change", "licensed")),
        (r"royalties received", pgettext("status change", "royalties received")),
        (r"withdrawn", pgettext("status change", "withdrawn")),
        (r"loan repaid", pgettext("status change", "the loan was repaid")),
        (r"(?P<reference>\S+) rejected", pgettext("status change", "claim %(reference)s rejected")),
        (
            r"质押登记材料已签署 Package v(?P<version>\d+) "
            r"signed by the (?P<party>pledgor|pledgee): (?P<reference>\S+)",
            gettext("Filing package v%(version)s signed by the %(party)s: %(reference)s"),
        ),
        (
            r"质押登记材料待签署 Filing package v(?P<version>\d+) ready to sign: (?P<reference>\S+)",
            gettext("Filing package v%(version)s ready to sign: %(reference)s"),
        ),
        (
            r"质押注销申请已生成 Release ready to file: (?P<number>.+)",
            gettext("Release of pledge registration %(number)s ready to file"),
        ),
        (r"no activity for (?P<days>\d+) days", pgettext("status change", "no activity for %(days)s days")),
        (
            FORECAST_METHOD,
            gettext(
                "Resampled from the last %(window)s complete months' volumes (%(draws)s simulations, fixed seed) "
                "added to the volume reached; point = median, band = 10th to 90th percentile."
            ),
        ),
        (
            r"违约 Default: (?P<contract>\S+) \((?P<firm>.*)\), (?P<amount>[\d.]+) 元",
            gettext("Default: %(contract)s (%(firm)s), %(amount)s yuan outstanding"),
        ),
        (
            r"逾期提醒 Overdue: (?P<contract>\S+) #(?P<line>\d+) (?P<amount>[\d.]+) 元 since (?P<day>\S+)",
            gettext("Overdue: %(contract)s instalment %(line)s, %(amount)s yuan since %(day)s"),
        ),
        (
            r"还款提醒 Due T-(?P<days>\d+): (?P<contract>\S+) #(?P<line>\d+) (?P<amount>[\d.]+) 元 on (?P<day>\S+)",
            gettext("Due in %(days)s days: %(contract)s instalment %(line)s, %(amount)s yuan on %(day)s"),
        ),
    )


PARTIES = {"pledgor": lambda: pgettext("party", "pledgor"), "pledgee": lambda: pgettext("party", "pledgee")}
REJECTION = re.compile(r"(?P<code>[a-z_]+): (?P<comment>.*)", re.S)
STATUS_NOTICE = re.compile(r"(?P<subject>.+): (?P<from>[a-z_]*) → (?P<to>[a-z_]+)")
# A filing's notices and a mixed portfolio's status reasons end with the registries they concern, by code.
_CODES = "|".join(Registry.values)
REGISTRIES = re.compile(rf"(?P<text>.+) \[(?P<codes>(?:{_CODES})(?:, (?:{_CODES}))*)\]", re.S)


@register.filter
def model_label(label: str) -> str:
    """A risk model as its metrics name it, by name and version ("pledge_risk v3-scorecard"), in words: the
    platform's model or the bank's own, with its version."""
    name, _, version = label.partition(" ")
    if name == RISK_MODEL_NAME:
        return gettext("the platform's model %(version)s") % {"version": version}
    return gettext("your bank's model %(version)s") % {"version": version}


@register.filter
def said(text: str) -> str:
    """A reason or notice the services wrote, in the reader's language; a person's own words unchanged."""
    if not text:
        return ""
    registries = REGISTRIES.fullmatch(text)
    if registries:
        names = "、".join(str(Registry(code).label) for code in registries["codes"].split(", "))
        return gettext("%(text)s (%(registries)s)") % {"text": said(registries["text"]), "registries": names}
    for pattern, phrase in _words():
        match = re.fullmatch(pattern, text, re.S)
        if match:
            values = match.groupdict()
            if "party" in values:
                values["party"] = PARTIES[values["party"]]()
            return phrase % values if values else phrase
    rejection = REJECTION.fullmatch(text)
    if rejection and rejection["code"] in RejectReason.values:
        label = str(RejectReason(rejection["code"]).label)
        return f"{label}：{rejection['comment']}" if rejection["comment"] else label
    return text


@register.filter
def notice_title(notice) -> str:
    """A notification's title as the reader reads it: a status change as "reference: 已提交 → 审查中"."""
    title = notice.title
    if notice.status_change_id:
        match = STATUS_NOTICE.fullmatch(title)
        if match:
            before = status_label(match["from"]) if match["from"] else pgettext("status change", "new")
            return f"{match['subject']}：{before} → {status_label(match['to'])}"
    return said(title)


def notice_words(notice) -> tuple[str, str]:
    """A notice's title and body as the notification page shows them, for its e-mail copy too."""
    return notice_title(notice), said(notice.body)
