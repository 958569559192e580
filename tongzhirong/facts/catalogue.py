"""What a fact may say and who says it: each fact name with the one source that verifies it and, for the
enterprise's facts, the profile column it decides (BRIEF §6a "Where the facts come from").

A value is stored as JSON (a date as ISO text, money as a decimal string) and read back through ``parse``,
so the history keeps exactly what the source said."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhirong.assets.models import LegalStatus
from tongzhirong.enterprises.models import TaxCreditGrade


class Source(models.TextChoices):
    ENTERPRISE_REGISTER = "enterprise_register", _("Enterprise register (National Enterprise Credit Information)")
    CREDIT_REPORT = "credit_report", _("PBOC enterprise credit report")
    COURT = "court_enforcement", _("Court enforcement lists (China Enforcement Information)")
    TAX = "tax_credit", _("Tax credit grade (tax bureau)")
    CERTIFICATION = "certification", _("Certification lists")
    IP_REGISTER = "ip_register", _("IP register (CNIPA, copyright centre)")
    FEE_RECEIPT = "fee_receipt", _("Official fee receipt confirmed by the pledgee bank")
    DECLARED = "declared", _("Declared by the applicant")


class FactValueError(ValueError):
    """A value the fact's kind cannot hold; the message says what it takes."""


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "是"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "否"}:
        return False
    raise FactValueError("a yes/no value")


def _count(value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise FactValueError("a whole number of 0 or more") from exc
    if number < 0 or isinstance(value, bool):
        raise FactValueError("a whole number of 0 or more")
    return number


def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise FactValueError("an amount in yuan") from exc
    if not amount.is_finite() or amount < 0:
        raise FactValueError("an amount in yuan of 0 or more")
    return str(amount.quantize(Decimal("0.01")))


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise FactValueError("a date (YYYY-MM-DD)") from exc


def _long_text(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 2000:
        raise FactValueError("text of 1 to 2000 characters")
    return text


def _text(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 200:
        raise FactValueError("text of 1 to 200 characters")
    return text


def _co_owners(value: Any) -> list[dict]:
    """The co-owners the register names besides the owner: name, USCC (may be empty) and share (may be null)."""
    if not isinstance(value, list) or len(value) > 20:
        raise FactValueError("a list of up to 20 co-owners")
    found = []
    for item in value:
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise FactValueError("a list of co-owners, each with a name")
        share = item.get("share_percent")
        if share is not None:
            try:
                share = str(Decimal(str(share)).quantize(Decimal("0.01")))
            except InvalidOperation as exc:
                raise FactValueError("a co-owner's share as a percentage") from exc
        found.append(
            {"name": _text(item["name"]), "uscc": str(item.get("uscc") or "").strip()[:18], "share_percent": share}
        )
    return sorted(found, key=lambda c: (c["name"], c["uscc"]))


def _one_of(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip()
        if text not in choices.values:
            raise FactValueError(f"one of {', '.join(v or '“”' for v in choices.values)}")
        return text

    return parse


# How a stored value reads back on the enterprise's column.
def _to_column(kind: str, value: Any) -> Any:
    if kind == "money":
        return Decimal(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    return value


@dataclass(frozen=True)
class FactKind:
    name: str
    label: str
    source: str
    kind: str  # boolean, count, money, date, text, choice
    parse: Callable[[Any], Any]
    field: str | None = None  # the Enterprise column (or, on an asset, the IPAsset column) the fact decides
    on_asset: bool = False
    # Sources besides ``source`` that may verify it: an annual fee paid through a day is also proven by the
    # office's receipt, which the pledgee bank confirms (tongzhirong.financing fee receipts).
    also_from: tuple[str, ...] = ()

    def column_value(self, stored: Any) -> Any:
        return _to_column(self.kind, stored)


def _kind(name, label, source, kind, parse, field=None, on_asset=False, also_from=()) -> FactKind:
    return FactKind(name, label, source, kind, parse, field, on_asset, also_from)


S = Source
FACT_KINDS: tuple[FactKind, ...] = (
    # The enterprise register (国家企业信用信息公示系统); the USCC is the join key.
    _kind("legal_name", _("Legal name"), S.ENTERPRISE_REGISTER, "text", _text, "legal_name"),
    _kind("founded_on", _("Founding date"), S.ENTERPRISE_REGISTER, "date", _date, "founded_on"),
    _kind("registered_capital", _("Registered capital"), S.ENTERPRISE_REGISTER, "money", _money, "registered_capital"),
    _kind("business_status", _("Business status"), S.ENTERPRISE_REGISTER, "text", _text),
    _kind("abnormal_operation_listed", _("On the abnormal-operation list"), S.ENTERPRISE_REGISTER, "boolean", _boolean),
    _kind("serious_dishonesty_listed", _("On the serious-dishonesty list"), S.ENTERPRISE_REGISTER, "boolean", _boolean),
    # The central bank's enterprise credit report, pulled by a bank under the firm's authorisation.
    _kind(
        "overdue_events_24m", _("Overdue events in 24 months"), S.CREDIT_REPORT, "count", _count, "overdue_events_24m"
    ),
    _kind(
        "max_days_past_due_24m",
        _("Worst days past due in 24 months"),
        S.CREDIT_REPORT,
        "count",
        _count,
        "max_days_past_due_24m",
    ),
    _kind("existing_debt", _("Outstanding credit"), S.CREDIT_REPORT, "money", _money, "existing_debt"),
    _kind("prior_ip_loans", _("Prior IP pledge loans"), S.CREDIT_REPORT, "count", _count, "prior_ip_loans"),
    # 中国执行信息公开网.
    _kind("has_court_enforcement", _("Under court enforcement"), S.COURT, "boolean", _boolean, "has_court_enforcement"),
    _kind("dishonest_debtor", _("On the dishonest-debtor list"), S.COURT, "boolean", _boolean),
    # The tax bureau, yearly.
    _kind("tax_credit_grade", _("Tax credit grade"), S.TAX, "choice", _one_of(TaxCreditGrade), "tax_credit_grade"),
    # Certification lists of the science and industry departments.
    _kind("is_high_tech", _("High-tech enterprise"), S.CERTIFICATION, "boolean", _boolean, "is_high_tech"),
    _kind("is_tech_sme", _("Tech-based SME"), S.CERTIFICATION, "boolean", _boolean, "is_tech_sme"),
    _kind("is_specialised", _("Specialised SME"), S.CERTIFICATION, "boolean", _boolean, "is_specialised"),
    _kind("is_little_giant", _("Little giant"), S.CERTIFICATION, "boolean", _boolean, "is_little_giant"),
    _kind("is_ip_certified", _("IP management certified"), S.CERTIFICATION, "boolean", _boolean, "is_ip_certified"),
    # The IP registers, per asset. A fact naming a column sets the asset's column, pledged or not: the register,
    # not the applicant, keeps pledged collateral current (``tongzhirong.assets.services.ip_asset_register_sync``).
    _kind(
        "legal_status", _("Legal status"), S.IP_REGISTER, "choice", _one_of(LegalStatus), "legal_status", on_asset=True
    ),
    _kind(
        "annual_fee_paid_through",
        _("Annual fee paid through"),
        S.IP_REGISTER,
        "date",
        _date,
        "annual_fee_paid_through",
        on_asset=True,
        also_from=(S.FEE_RECEIPT,),
    ),
    _kind("expiry_date", _("Expiry date"), S.IP_REGISTER, "date", _date, "expiry_date", on_asset=True),
    _kind(
        "invalidation_pending",
        _("Invalidation pending"),
        S.IP_REGISTER,
        "boolean",
        _boolean,
        "invalidation_pending",
        on_asset=True,
    ),
    _kind("co_owners", _("Co-owners"), S.IP_REGISTER, "co_owners", _co_owners, "co_owners", on_asset=True),
    _kind("recorded_pledge", _("Pledge recorded at the register"), S.IP_REGISTER, "boolean", _boolean, on_asset=True),
    # What the filing signals read besides the asset's row (tongzhirong.facts.filing): the register's abstract,
    # the last transfer (its record number as the reference), CNIPA's notified lists (the batch as the
    # reference) and a mark's evidence of use.
    _kind("abstract", _("Abstract"), S.IP_REGISTER, "text", _long_text, on_asset=True),
    _kind("transferred_on", _("Transferred to the owner on"), S.IP_REGISTER, "date", _date, on_asset=True),
    _kind(
        "abnormal_filing_notified",
        _("On CNIPA's notified list of abnormal applications"),
        S.IP_REGISTER,
        "boolean",
        _boolean,
        on_asset=True,
    ),
    _kind("trademark_in_use", _("Evidence of the mark's use"), S.IP_REGISTER, "boolean", _boolean, on_asset=True),
)
FACTS = {k.name: k for k in FACT_KINDS}
FACT_NAME_CHOICES = [(k.name, k.label) for k in FACT_KINDS]

# The profile columns that only a source may set once the profile exists: the applicant declares them when it
# creates the profile and disputes them afterwards (``tongzhirong.enterprises.services.VERIFIED_FIELDS``).
ENTERPRISE_FIELD_FACTS = {k.field: k for k in FACT_KINDS if k.field and not k.on_asset}
ASSET_FIELD_FACTS = {k.field: k for k in FACT_KINDS if k.field and k.on_asset}
