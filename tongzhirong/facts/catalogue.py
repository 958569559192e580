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


def _text(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 200:
        raise FactValueError("text of 1 to 200 characters")
    return text


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
    field: str | None = None  # the Enterprise column the fact decides, if any
    on_asset: bool = False

    def column_value(self, stored: Any) -> Any:
        return _to_column(self.kind, stored)


def _kind(name, label, source, kind, parse, field=None, on_asset=False) -> FactKind:
    return FactKind(name, label, source, kind, parse, field, on_asset)


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
    # The IP registers, per asset (the register feed that keeps pledged collateral current comes later).
    _kind("legal_status", _("Legal status"), S.IP_REGISTER, "choice", _one_of(LegalStatus), on_asset=True),
    _kind("annual_fee_paid_through", _("Annual fee paid through"), S.IP_REGISTER, "date", _date, on_asset=True),
    _kind("expiry_date", _("Expiry date"), S.IP_REGISTER, "date", _date, on_asset=True),
    _kind("invalidation_pending", _("Invalidation pending"), S.IP_REGISTER, "boolean", _boolean, on_asset=True),
    _kind("recorded_pledge", _("Pledge recorded at the register"), S.IP_REGISTER, "boolean", _boolean, on_asset=True),
)
FACTS = {k.name: k for k in FACT_KINDS}
FACT_NAME_CHOICES = [(k.name, k.label) for k in FACT_KINDS]

# The profile columns that only a source may set once the profile exists: the applicant declares them when it
# creates the profile and disputes them afterwards (``tongzhirong.enterprises.services.VERIFIED_FIELDS``).
ENTERPRISE_FIELD_FACTS = {k.field: k for k in FACT_KINDS if k.field}
