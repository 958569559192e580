"""The loan: disbursement, repayments and payoff, delinquency and due-date reminders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, OrganisationKind, Role, User
from tongzhirong.core.errors import Conflict, DuplicateObject, InvalidTransition, PermissionDenied, ValidationFailed
from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import transition
from tongzhirong.notifications.services import notify_users

from ..access import application_locked
from ..filing import pledge_release_generate, registrations_outstanding
from ..models import (
    OPEN_LOAN_STATUSES,
    Application,
    ApplicationStatus,
    Loan,
    LoanStatus,
    Registry,
    Repayment,
    RepaymentAllocation,
    ScheduleLine,
)
from ..schedule import accrued_interest, build_schedule
from .applications import application_change_status, require_party

S = ApplicationStatus

# What the evidence chain holds of a loan and a repayment (fields the domain never changes afterwards).
DISBURSEMENT_FACTS = (
    "application",
    "bank",
    "borrower",
    "contract_number",
    "principal",
    "annual_rate",
    "term_months",
    "repayment_method",
    "disbursed_at",
    "maturity_date",
)
REPAYMENT_FACTS = (
    "loan",
    "paid_at",
    "amount",
    "principal_part",
    "interest_part",
    "penalty_part",
    "reference",
    "recorded_by",
)


# Who may reverse a repayment: the bank's second line, never the officer who records repayments.
REVERSING_ROLES = frozenset({Role.BANK_CHECKER, Role.BANK_MANAGER})


def _require_lender(actor, loan: Loan) -> None:
    require(
        actor,
        organisation_id=loan.bank_id,
        roles=BANK_ROLES,
        message=_("Repayments are recorded by the lending bank."),
    )


def loan_disburse(
    *, actor, application: Application, contract_number: str, disbursed_at: datetime | None = None
) -> Loan:
    """Disburse an approved, pledge-registered application: the loan and its schedule are created."""
    disbursed_at = disbursed_at or timezone.now()
    with transaction.atomic():
        application = application_locked(application)  # the approved terms as stored, not a caller's stale copy
        require_party(actor, application, OrganisationKind.BANK, BANK_ROLES)
        if Loan.objects.filter(bank_id=application.product.bank_id, contract_number=contract_number).exists():
            raise DuplicateObject(
                _("Contract number %(contract_number)s is already used by this bank.")
                % {"contract_number": contract_number}
            )
        outstanding = registrations_outstanding(application)
        if outstanding:
            # A mixed portfolio is registered at each registry: the money waits for every notice.
            raise InvalidTransition(
                _("The loan is disbursed once every registry has registered the pledge: still to record %(names)s.")
                % {"names": "、".join(str(Registry(r).label) for r in outstanding)}
            )
        application_change_status(actor=actor, application=application, to=S.DISBURSED, reason="disbursed")
        principal = application.approved_amount or application.requested_amount
        rate = application.approved_rate if application.approved_rate is not None else application.product.min_rate
        term = application.approved_term_months or application.requested_term_months
        lines = build_schedule(
            principal=principal,
            annual_rate=rate,
            term_months=term,
            method=application.repayment_method,
            start=timezone.localdate(disbursed_at),
        )
        loan = Loan.objects.create(
            application=application,
            bank_id=application.product.bank_id,
            borrower=application.enterprise,
            contract_number=contract_number,
            principal=principal,
            annual_rate=rate,
            term_months=term,
            repayment_method=application.repayment_method,
            disbursed_at=disbursed_at,
            maturity_date=lines[-1].due_date,
            outstanding_principal=principal,
        )
        ScheduleLine.objects.bulk_create(
            ScheduleLine(
                loan=loan, sequence=i.sequence, due_date=i.due_date, principal_due=i.principal, interest_due=i.interest
            )
            for i in lines
        )
        evidence_append(
            actor=actor,
            kind="disbursement",
            record=loan,
            fields=DISBURSEMENT_FACTS,
            context={"schedule": [[i.sequence, i.due_date, i.principal, i.interest] for i in lines]},
        )
    return loan


def repayment_record(
    *, actor, loan: Loan, amount: Decimal, paid_at: datetime | None = None, reference: str = ""
) -> Repayment:
    """Apply a payment to the oldest unpaid instalments, interest before principal."""
    amount = to_yuan(amount)
    if amount <= 0:
        raise ValidationFailed({"amount": [_("A repayment is a positive amount.")]})
    paid_at = paid_at or timezone.now()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
        _require_lender(actor, loan)
        if loan.status not in OPEN_LOAN_STATUSES:
            raise ValidationFailed(
                {"loan": [_("This loan takes no repayments (%(status)s).") % {"status": loan.get_status_display()}]}
            )
        remaining, principal_part, interest_part = amount, Decimal("0"), Decimal("0")
        allocation: list[tuple[ScheduleLine, Decimal, Decimal]] = []
        for line in loan.schedule.filter(settled_at__isnull=True).order_by("sequence"):
            interest = min(remaining, line.interest_due - line.interest_paid)
            remaining -= interest
            principal = min(remaining, line.principal_due - line.principal_paid)
            remaining -= principal
            line.interest_paid += interest
            line.principal_paid += principal
            if line.interest_paid == line.interest_due and line.principal_paid == line.principal_due:
                line.settled_at = paid_at
            line.save(update_fields=["interest_paid", "principal_paid", "settled_at"])
            allocation.append((line, principal, interest))
            principal_part += principal
            interest_part += interest
            if remaining == 0:
                break
        if remaining > 0:
            raise ValidationFailed(
                {"amount": [_("The payment exceeds what is owed by %(remaining)s yuan.") % {"remaining": remaining}]}
            )
        repayment = Repayment.objects.create(
            loan=loan,
            paid_at=paid_at,
            amount=amount,
            principal_part=principal_part,
            interest_part=interest_part,
            reference=reference,
            recorded_by=actor,
        )
        _allocate(repayment, allocation)
        evidence_append(
            actor=actor,
            kind="repayment",
            record=repayment,
            fields=REPAYMENT_FACTS,
            subject=loan,
            context={"contract_number": loan.contract_number, "allocation": _allocation_facts(allocation)},
        )
        loan.outstanding_principal -= principal_part
        loan.save(update_fields=["outstanding_principal", "updated_at"])
        if loan.outstanding_principal == 0 and not loan.schedule.filter(settled_at__isnull=True).exists():
            loan.closed_at = paid_at
            transition(loan, to=LoanStatus.REPAID, actor=actor, reason="paid off", extra_fields=("closed_at",))
            pledge_release_generate(loan=loan, paid_off_at=paid_at)
    return repayment


def _allocate(repayment: Repayment, allocation: list[tuple[ScheduleLine, Decimal, Decimal]]) -> None:
    RepaymentAllocation.objects.bulk_create(
        RepaymentAllocation(repayment=repayment, line=line, principal=principal, interest=interest)
        for line, principal, interest in allocation
    )


def _allocation_facts(allocation: list[tuple[ScheduleLine, Decimal, Decimal]]) -> list:
    """Instalment by instalment, what the entry moved: [sequence, principal, interest]."""
    return [[line.sequence, principal, interest] for line, principal, interest in allocation]


def _require_reverser(actor, loan: Loan, original: Repayment) -> None:
    """A second person: the lending bank's checker or manager, not whoever recorded the repayment."""
    require(
        actor,
        organisation_id=loan.bank_id,
        roles=REVERSING_ROLES,
        message=_("A repayment is reversed by the lending bank's checker or manager."),
    )
    if original.recorded_by_id is not None and original.recorded_by_id == actor.pk:
        raise PermissionDenied(_("Whoever recorded a repayment cannot reverse it: a second person must."))


def repayment_reverse(*, actor, repayment: Repayment, reason: str) -> Repayment:
    """Correct a wrong repayment by a reversing entry: a repayment of the exact negative amount and parts that
    names it and why, takes back from each instalment exactly what it paid there, restores the outstanding
    principal and the days past due (and the overdue status they imply), and is chained as evidence. The
    original stays as it was. A repayment is reversed once, and only when no later repayment stands on the loan
    (so the instalments are exactly as before it); a reversal is never reversed (record the payment again
    instead); a repayment that closed its loan cannot be reversed (the pledge's release is drafted)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the repayment is reversed.")]})
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=repayment.loan_id)
        original = Repayment.objects.select_for_update().get(pk=repayment.pk)
        _require_reverser(actor, loan, original)
        if original.reverses_id is not None:
            raise Conflict(_("A reversal is not reversed: record the repayment again instead."))
        if Repayment.objects.filter(reverses=original).exists():
            raise Conflict(_("This repayment is already reversed."))
        later = Repayment.objects.filter(loan=loan, pk__gt=original.pk, reverses__isnull=True, reversed_by__isnull=True)
        if later.exists():
            # Repayments fill the instalments in the order they are recorded; taking one out from under later ones
            # would leave an instalment paid while an earlier one is open. Reverse from the latest back.
            raise Conflict(
                _("Later repayments stand on this loan: reverse them first (latest first), then record them again.")
            )
        if loan.status not in OPEN_LOAN_STATUSES:
            raise Conflict(
                _("The loan is closed (%(status)s): its repayments can no longer be reversed.")
                % {"status": loan.get_status_display()}
            )
        allocations = list(original.allocations.select_related("line").order_by("line__sequence"))
        if not allocations:
            raise Conflict(
                _("This repayment was recorded before instalment allocations were kept; it cannot be reversed.")
            )
        now = timezone.now()
        reversal = Repayment.objects.create(
            loan=loan,
            paid_at=now,
            amount=-original.amount,
            principal_part=-original.principal_part,
            interest_part=-original.interest_part,
            penalty_part=-original.penalty_part,
            reference=original.reference,
            recorded_by=actor,
            reverses=original,
            reason=reason,
        )
        taken_back: list[tuple[ScheduleLine, Decimal, Decimal]] = []
        for item in allocations:
            line = ScheduleLine.objects.select_for_update().get(pk=item.line_id)
            line.principal_paid -= item.principal
            line.interest_paid -= item.interest
            if line.principal_paid != line.principal_due or line.interest_paid != line.interest_due:
                line.settled_at = None
            line.save(update_fields=["principal_paid", "interest_paid", "settled_at"])
            taken_back.append((line, -item.principal, -item.interest))
        _allocate(reversal, taken_back)
        evidence_append(
            actor=actor,
            kind="repayment_reversal",
            record=reversal,
            fields=(*REPAYMENT_FACTS, "reverses", "reason"),
            subject=loan,
            context={"contract_number": loan.contract_number, "allocation": _allocation_facts(taken_back)},
        )
        loan.outstanding_principal += original.principal_part
        loan.save(update_fields=["outstanding_principal", "updated_at"])
        _refresh_days_past_due(loan, actor=actor)
    return reversal


def _refresh_days_past_due(loan: Loan, *, actor) -> None:
    """Days past due and the status they imply for one loan after its instalments changed. A loan that should
    now be defaulted is left overdue: the nightly refresh defaults it with what follows (the claims)."""
    oldest = loan.schedule.filter(settled_at__isnull=True).aggregate(due=Min("due_date"))["due"]
    dpd = max((timezone.localdate() - oldest).days, 0) if oldest else 0
    loan.days_past_due = dpd
    loan.save(update_fields=["days_past_due", "updated_at"])
    if loan.status == LoanStatus.ACTIVE and dpd > 0:
        transition(loan, to=LoanStatus.OVERDUE, actor=actor, reason=f"{dpd} days past due")


@dataclass(frozen=True)
class PayoffQuote:
    as_of: date
    principal: Decimal  # everything still owed: instalments due and the principal not yet due
    interest: Decimal  # unpaid interest of instalments due + interest accrued in the running period
    accrued_interest: Decimal
    total: Decimal


def loan_payoff_quote(*, loan: Loan, as_of: date | None = None) -> PayoffQuote:
    """What settles the loan on ``as_of``: instalments already due in full, then the principal not yet due
    with interest accrued since the last due date (actual/360) — none for periods not yet begun."""
    as_of = as_of or timezone.localdate()
    start = timezone.localdate(loan.disbursed_at)
    if as_of < start:
        raise ValidationFailed({"as_of": [_("The loan was disbursed on %(start)s.") % {"start": start}]})
    lines = list(loan.schedule.order_by("sequence"))
    principal = sum((line.principal_due - line.principal_paid for line in lines), Decimal("0"))
    due_interest = sum((ln.interest_due - ln.interest_paid for ln in lines if ln.due_date <= as_of), Decimal("0"))
    running = next((ln for ln in lines if ln.due_date > as_of and ln.settled_at is None), None)
    accrued = Decimal("0")
    if running is not None:
        period_start = max((ln.due_date for ln in lines if ln.due_date <= as_of), default=start)
        not_yet_due = sum((ln.principal_due - ln.principal_paid for ln in lines if ln.due_date > as_of), Decimal(0))
        full = accrued_interest(principal=not_yet_due, annual_rate=loan.annual_rate, start=period_start, end=as_of)
        accrued = max(min(full, running.interest_due) - running.interest_paid, Decimal("0"))
    interest = due_interest + accrued
    return PayoffQuote(as_of, principal, interest, accrued, principal + interest)


def loan_pay_off(*, actor, loan: Loan, paid_at: datetime | None = None, reference: str = "") -> Repayment:
    """Early payoff: the running instalment becomes the payoff line (the principal not yet due, the interest
    accrued to today), later instalments no longer exist, and one repayment settles everything."""
    paid_at = paid_at or timezone.now()
    as_of = timezone.localdate(paid_at)
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
        _require_lender(actor, loan)
        if loan.status not in OPEN_LOAN_STATUSES:
            raise ValidationFailed(
                {"loan": [_("This loan takes no repayments (%(status)s).") % {"status": loan.get_status_display()}]}
            )
        quote = loan_payoff_quote(loan=loan, as_of=as_of)
        # Instalments paid ahead of their date stay as they are; the first open one becomes the payoff line.
        future = list(loan.schedule.filter(due_date__gt=as_of, settled_at__isnull=True).order_by("sequence"))
        if future:
            running, later = future[0], future[1:]
            running.principal_due = running.principal_paid + sum(
                (ln.principal_due - ln.principal_paid for ln in future), Decimal("0")
            )
            running.interest_due = running.interest_paid + quote.accrued_interest
            running.due_date = as_of
            loan.schedule.filter(pk__in=[ln.pk for ln in later]).delete()
            running.save(update_fields=["principal_due", "interest_due", "due_date"])
        return repayment_record(
            actor=actor, loan=loan, amount=quote.total, paid_at=paid_at, reference=reference or "early payoff"
        )


DELINQUENCY_BUCKETS = (("current", 0, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def delinquency_bucket(days_past_due: int) -> str:
    days = max(days_past_due, 0)
    return next(name for name, low, high in DELINQUENCY_BUCKETS if low <= days and (high is None or days <= high))


def delinquency_bucket_filter(name: str) -> Q:
    """The loans of one bucket, as a filter."""
    low, high = next((low, high) for bucket, low, high in DELINQUENCY_BUCKETS if bucket == name)
    return Q(days_past_due__gte=low) & (Q() if high is None else Q(days_past_due__lte=high))


def loans_refresh_delinquency(*, as_of: date | None = None, on_default: Callable[[Loan], object] | None = None) -> int:
    """Days past due from the oldest unpaid instalment; overdue from day 1, defaulted at 90. Daily.

    ``on_default`` runs inside the transaction that marks a loan defaulted (the lending workflow opens the
    claims there), so a default is never recorded without what follows from it."""
    as_of = as_of or timezone.localdate()
    changed = 0
    loans = Loan.objects.filter(status__in=(LoanStatus.ACTIVE, LoanStatus.OVERDUE)).annotate(
        oldest_due=Min("schedule__due_date", filter=Q(schedule__settled_at__isnull=True))
    )
    for loan in loans.iterator():
        dpd = max((as_of - loan.oldest_due).days, 0) if loan.oldest_due else 0
        target = (
            LoanStatus.DEFAULTED if dpd > DEFAULT_AFTER_DAYS else LoanStatus.OVERDUE if dpd > 0 else LoanStatus.ACTIVE
        )
        if dpd == loan.days_past_due and target == loan.status:
            continue
        with transaction.atomic():
            Loan.objects.filter(pk=loan.pk).update(days_past_due=dpd, updated_at=timezone.now())
            if target != loan.status:
                if target == LoanStatus.DEFAULTED and loan.status == LoanStatus.ACTIVE:
                    transition(loan, to=LoanStatus.OVERDUE, actor=None, reason=f"{dpd} days past due")
                transition(loan, to=target, actor=None, reason=f"{dpd} days past due")
                if target == LoanStatus.DEFAULTED and on_default is not None:
                    on_default(loan)
        changed += 1
    return changed


REMINDER_DAYS = (7, 3, 1)


def loans_due_reminders(*, as_of: date | None = None) -> int:
    """Due reminders at T-7, T-3 and T-1 and an overdue notice, to the borrower's and the bank's people.
    Each notice has a key (loan, instalment, kind), so running the day's task twice sends nothing twice."""
    as_of = as_of or timezone.localdate()
    due_dates = {as_of + timedelta(days=d): f"T-{d}" for d in REMINDER_DAYS}
    lines = (
        ScheduleLine.objects.filter(settled_at__isnull=True, loan__status__in=(LoanStatus.ACTIVE, LoanStatus.OVERDUE))
        .filter(Q(due_date__in=due_dates) | Q(due_date__lt=as_of))
        .select_related("loan__borrower")
    )
    sent = 0
    for line in lines:
        kind = due_dates.get(line.due_date, "overdue")
        loan = line.loan
        owed = (line.principal_due - line.principal_paid) + (line.interest_due - line.interest_paid)
        if kind == "overdue":
            title = f"逾期提醒 Overdue: {loan.contract_number} #{line.sequence} {owed} 元 since {line.due_date}"
        else:
            title = f"还款提醒 Due {kind}: {loan.contract_number} #{line.sequence} {owed} 元 on {line.due_date}"
        users = User.objects.filter(organisation_id__in=(loan.borrower.organisation_id, loan.bank_id), is_active=True)
        sent += len(notify_users(users=users, title=title, dedupe_key=f"due:{loan.pk}:{line.sequence}:{kind}"))
    return sent
