"""The daily collateral health monitor.

For every IP asset pledged to a loan that is still at risk (active, overdue or defaulted) it checks the asset's
record against four conditions — annual fee due within 60 days or overdue; the right lapsed, invalidated,
expired or withdrawn, or an invalidation request pending; the right expiring before the loan matures; the
co-owners differing from those at the pledge — opens one flag per condition, tells the borrower, the bank and
the insurer or guarantor once per flag, and resolves the flag when the condition clears. Running it twice on a
day changes nothing the second time.

The record it checks is kept by the register's facts (``tongzhirong.facts``: the source feed, or a fee receipt
the bank confirmed, writes the asset's columns even while it is pledged), so each flag quotes the fact it rests
on, and a flag the register's newer fact clears says which fact cleared it. The nightly register refresh runs
before the monitor (settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import User
from tongzhirong.assets.models import CoOwner, IPAsset, LegalStatus
from tongzhirong.core.errors import Conflict, ValidationFailed
from tongzhirong.facts.models import Fact
from tongzhirong.facts.selectors import asset_register_facts, shown
from tongzhirong.financing.models import OPEN_LOAN_STATUSES, ApplicationAsset, Loan
from tongzhirong.notifications.services import notify_users

from .models import SEVERITY, CollateralFlag, CollateralHealth, FlagKind, FlagStatus, PledgeBaseline, Severity

FEE_WARNING_DAYS = 60
# The register's fact each condition rests on.
FLAG_FACTS = {
    FlagKind.ANNUAL_FEE_DUE: "annual_fee_paid_through",
    FlagKind.ANNUAL_FEE_OVERDUE: "annual_fee_paid_through",
    FlagKind.LEGAL_STATUS: "legal_status",
    FlagKind.INVALIDATION_PENDING: "invalidation_pending",
    FlagKind.SHORT_LIFE: "expiry_date",
    FlagKind.CO_OWNERS_CHANGED: "co_owners",
}
LOST_STATUSES = frozenset({LegalStatus.LAPSED, LegalStatus.INVALIDATED, LegalStatus.EXPIRED, LegalStatus.WITHDRAWN})


def collateral_health(flags) -> str:
    """The loan's collateral health from its flags: alert if any open alert, watch if any open watch, else ok."""
    severities = {f.severity for f in flags if f.status == FlagStatus.OPEN}
    if Severity.ALERT in severities:
        return CollateralHealth.ALERT
    if Severity.WATCH in severities:
        return CollateralHealth.WATCH
    return CollateralHealth.OK


def co_owner_snapshot(co_owners) -> list[dict]:
    """What identifies the co-owners for the pledge: who they are and their shares, in a stable order."""
    return sorted(
        (
            {"name": c.name, "uscc": c.uscc, "share_percent": None if c.share_percent is None else str(c.share_percent)}
            for c in co_owners
        ),
        key=lambda c: (c["name"], c["uscc"]),
    )


def asset_conditions(*, asset: IPAsset, loan: Loan, today: date, baseline: list[dict]) -> dict[str, str]:
    """The conditions that hold for ``asset`` pledged to ``loan`` on ``today``: kind → detail in words."""
    found: dict[str, str] = {}
    paid_through = asset.annual_fee_paid_through
    if paid_through is not None and asset.legal_status not in LOST_STATUSES:
        if paid_through < today:
            found[FlagKind.ANNUAL_FEE_OVERDUE] = _("Annual fees were paid through %(day)s only.") % {
                "day": paid_through.isoformat()
            }
        elif paid_through <= today + timedelta(days=FEE_WARNING_DAYS):
            found[FlagKind.ANNUAL_FEE_DUE] = _("The next annual fee falls due on %(day)s.") % {
                "day": paid_through.isoformat()
            }
    if asset.legal_status in LOST_STATUSES:
        found[FlagKind.LEGAL_STATUS] = _("The right is now: %(status)s.") % {"status": asset.get_legal_status_display()}
    elif asset.invalidation_pending:
        found[FlagKind.INVALIDATION_PENDING] = _("A request to declare the right invalid is pending.")
    if asset.expiry_date is not None and asset.expiry_date < loan.maturity_date:
        found[FlagKind.SHORT_LIFE] = _("The right expires on %(expiry)s, before the loan matures on %(maturity)s.") % {
            "expiry": asset.expiry_date.isoformat(),
            "maturity": loan.maturity_date.isoformat(),
        }
    current = co_owner_snapshot(asset.co_owners.all())
    if current != baseline:
        found[FlagKind.CO_OWNERS_CHANGED] = _("Co-owners at the pledge: %(before)s; now: %(now)s.") % {
            "before": _names(baseline),
            "now": _names(current),
        }
    return found


def _names(snapshot: list[dict]) -> str:
    return "、".join(c["name"] for c in snapshot) or _("none")


@dataclass
class MonitorResult:
    checked: int = 0
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    notified: int = 0


def collateral_monitor_run(*, as_of: date | None = None) -> MonitorResult:
    """Check every pledged asset of every loan at risk; one transaction per loan, so one bad record cannot
    hold back the others' flags. Idempotent: flags are keyed by loan, asset and kind, notices by flag."""
    today = as_of or timezone.localdate()
    result = MonitorResult()
    for loan in _loans_at_risk().iterator(chunk_size=200):
        with transaction.atomic():
            _check_loan(loan=loan, today=today, result=result)
    with transaction.atomic():
        stale = (
            CollateralFlag.objects.select_for_update()
            .filter(status=FlagStatus.OPEN)
            .exclude(loan__status__in=OPEN_LOAN_STATUSES)
        )
        for flag in stale:
            _resolve(flag, _("The loan is closed."), result)
    return result


def _loans_at_risk():
    return (
        Loan.objects.filter(status__in=OPEN_LOAN_STATUSES)
        .select_related(
            "borrower",  # the flags' recipients
            "application__insurance_product",
            "application__guarantee_product",
        )
        .prefetch_related("application__pledge_registrations")  # when the pledge was filed (_pledged_at)
        .order_by("pk")
    )


def collateral_monitor_asset(*, asset: IPAsset, as_of: date | None = None) -> MonitorResult:
    """Check now, as the daily run would, the loans at risk that ``asset`` secures: a fact just recorded about it
    (a fee receipt the bank confirmed) opens or clears their flags at once rather than overnight. Runs inside
    the caller's transaction."""
    today = as_of or timezone.localdate()
    result = MonitorResult()
    for loan in _loans_at_risk().filter(application__pledged_assets__asset=asset).distinct():
        _check_loan(loan=loan, today=today, result=result)
    return result


def _check_loan(*, loan: Loan, today: date, result: MonitorResult) -> None:
    pledged = (
        ApplicationAsset.objects.filter(application_id=loan.application_id)
        .select_related("asset")
        .prefetch_related(Prefetch("asset__co_owners", CoOwner.objects.order_by("name")))
    )
    open_flags = {
        (f.asset_id, f.kind): f
        for f in CollateralFlag.objects.select_for_update().filter(loan=loan, status=FlagStatus.OPEN)
    }
    baselines = {b.asset_id: b.co_owners for b in PledgeBaseline.objects.filter(loan=loan)}
    pledged_at = _pledged_at(loan)
    pledged = list(pledged)
    facts = asset_register_facts(link.asset_id for link in pledged)
    for link in pledged:
        asset = link.asset
        result.checked += 1
        if asset.pk not in baselines:
            baselines[asset.pk] = _first_baseline(loan=loan, asset=asset, pledged_at=pledged_at)
        found = asset_conditions(asset=asset, loan=loan, today=today, baseline=baselines[asset.pk])
        for kind, detail in found.items():
            fact = facts.get(asset.pk, {}).get(FLAG_FACTS[kind])
            if fact is not None:
                detail = f"{detail} {_provenance(fact)}"
            flag = open_flags.pop((asset.pk, kind), None)
            if flag is None:
                flag = CollateralFlag.objects.create(
                    loan=loan, asset=asset, kind=kind, severity=SEVERITY[kind], detail=detail[:300], detected_on=today
                )
                result.opened.append(flag.pk)
            elif flag.detail != detail[:300]:
                flag.detail = detail[:300]
                flag.save(update_fields=["detail", "updated_at"])
            if flag.notified_at is None:
                result.notified += _notify(flag=flag, loan=loan, asset=asset)
    for flag in open_flags.values():  # conditions that no longer hold (or assets no longer pledged)
        fact = facts.get(flag.asset_id, {}).get(FLAG_FACTS[flag.kind])
        if fact is not None and timezone.localdate(fact.fetched_at) >= flag.detected_on:
            resolution = _("Cleared by the register: %(fact)s is now %(value)s. %(provenance)s") % {
                "fact": fact.label,
                "value": shown(fact.name, fact.value),
                "provenance": _provenance(fact),
            }
        else:
            resolution = _("The condition no longer holds.")
        _resolve(flag, resolution[:300], result)


def _provenance(fact: Fact) -> str:
    return _("(%(source)s, %(reference)s, observed %(day)s)") % {
        "source": fact.get_source_display(),
        "reference": fact.reference,
        "day": timezone.localdate(fact.observed_at).isoformat(),
    }


def _pledged_at(loan: Loan):
    """When the pledge was filed (the first registry's filing of a mixed portfolio), else the disbursement."""
    filed = [r.filed_at for r in loan.application.pledge_registrations.all()]
    return min(filed) if filed else loan.disbursed_at


def _first_baseline(*, loan: Loan, asset: IPAsset, pledged_at) -> list[dict]:
    """The co-owners as the pledge knew them: those recorded before the pledge and unchanged since. A co-owner
    added or edited after the pledge shows as a change on the very first check."""
    known = [c for c in asset.co_owners.all() if c.created_at <= pledged_at and c.updated_at <= pledged_at]
    snapshot = co_owner_snapshot(known)
    PledgeBaseline.objects.create(loan=loan, asset=asset, co_owners=snapshot, taken_at=timezone.now())
    return snapshot


def _resolve(flag: CollateralFlag, resolution: str, result: MonitorResult) -> None:
    flag.status, flag.resolved_at, flag.resolution = FlagStatus.RESOLVED, timezone.now(), resolution
    flag.save(update_fields=["status", "resolved_at", "resolution", "updated_at"])
    result.resolved.append(flag.pk)


def flag_recipients(loan: Loan):
    """The people of the borrower, the bank, and the insurer or guarantor bound to the loan."""
    application = loan.application
    organisations = [loan.bank_id, loan.borrower.organisation_id]
    if application.insurance_product is not None:
        organisations.append(application.insurance_product.insurer_id)
    if application.guarantee_product is not None:
        organisations.append(application.guarantee_product.guarantor_id)
    return User.objects.filter(organisation_id__in=organisations, is_active=True).select_related("organisation")


def _notify(*, flag: CollateralFlag, loan: Loan, asset: IPAsset) -> int:
    title = _("Collateral %(severity)s on loan %(contract)s: %(kind)s") % {
        "severity": flag.get_severity_display(),
        "contract": loan.contract_number,
        "kind": flag.get_kind_display(),
    }
    body = f"{asset.identifier} {asset.title}\n{flag.detail}"
    notices = notify_users(users=flag_recipients(loan), title=title, body=body, dedupe_key=f"collateral-flag:{flag.pk}")
    flag.notified_at = timezone.now()
    flag.save(update_fields=["notified_at", "updated_at"])
    return len(notices)


def collateral_flag_accept(*, actor, flag: CollateralFlag, note: str) -> CollateralFlag:
    """The lending bank accepts the asset's co-owners as they are now (for instance with the new co-owner's
    written consent): they become the pledge's baseline and the flag is resolved. Other kinds of flag clear
    only when the asset's record does."""
    with transaction.atomic():
        flag = CollateralFlag.objects.select_for_update().select_related("loan", "asset").get(pk=flag.pk)
        require(
            actor, organisation_id=flag.loan.bank_id, message=_("Only the lending bank accepts a change of co-owners.")
        )
        if flag.kind != FlagKind.CO_OWNERS_CHANGED:
            raise Conflict(_("This flag clears by itself once the asset's record no longer shows the problem."))
        if flag.status != FlagStatus.OPEN:
            raise Conflict(_("This flag is already resolved."))
        if not note.strip():
            raise ValidationFailed({"note": [_("Say why the new co-owners are acceptable.")]})
        PledgeBaseline.objects.update_or_create(
            loan=flag.loan,
            asset=flag.asset,
            defaults={"co_owners": co_owner_snapshot(flag.asset.co_owners.all()), "taken_at": timezone.now()},
        )
        _resolve(flag, note[:300], MonitorResult())
    return flag
