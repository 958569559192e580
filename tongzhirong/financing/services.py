"""Application and loan services. Every state change goes through ``tongzhirong.core.state.transition``;
notifications are sent after commit."""

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
from tongzhirong.accounts.models import BANK_ROLES, SME_ROLES, OrganisationKind, Role, User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import Conflict, DuplicateObject, InvalidTransition, PermissionDenied, ValidationFailed
from tongzhirong.core.models import next_reference
from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import transition
from tongzhirong.notifications.services import notify_users
from tongzhirong.notifications.tasks import notify_status_change
from tongzhirong.outbox.services import task_enqueue
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct

from .access import application_locked, party_of
from .eligibility import assets_eligibility, ineligible_errors, portfolio_errors
from .filing import package_ready_to_file, pledge_release_generate, pledge_release_on_rejection
from .models import (
    Application,
    ApplicationAsset,
    ApplicationStatus,
    Loan,
    LoanStatus,
    PledgeRegistration,
    RejectReason,
    Repayment,
    ScheduleLine,
)
from .pledge import precheck_require_pass
from .schedule import accrued_interest, build_schedule

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

# Which side of the marketplace may move an application into each status. ``None`` (the system,
# e.g. a scheduled expiry) may make any allowed move.
SIDE_FOR_TARGET: dict[str, str] = {
    S.SUBMITTED: OrganisationKind.SME,
    S.WITHDRAWN: OrganisationKind.SME,
    S.OFFER_ACCEPTED: OrganisationKind.SME,
    S.UNDER_REVIEW: OrganisationKind.BANK,
    S.INFO_REQUESTED: OrganisationKind.BANK,
    S.APPROVED: OrganisationKind.BANK,
    S.REJECTED: OrganisationKind.BANK,
    S.PLEDGE_REGISTRATION: OrganisationKind.BANK,
    S.REGISTERED: OrganisationKind.BANK,
    S.DISBURSED: OrganisationKind.BANK,
    S.EXPIRED: OrganisationKind.PLATFORM,
}

# Moves whose owner differs from the target's: the SME's answer sends an application back to review.
SIDE_FOR_MOVE: dict[tuple[str, str], str] = {(S.INFO_REQUESTED, S.UNDER_REVIEW): OrganisationKind.SME}

# How amount and term are named in errors: the applicant's request or the bank's approved terms.
APPROVED_FIELDS = ("amount", "term_months")
REQUESTED_FIELDS = ("requested_amount", "requested_term_months")

TIMESTAMP_ON_ENTRY = {S.SUBMITTED: "submitted_at", S.APPROVED: "decided_at", S.REJECTED: "decided_at"}


def application_create(
    *,
    actor,
    enterprise: Enterprise,
    product: LoanProduct,
    assets: list[IPAsset],
    requested_amount: Decimal,
    requested_term_months: int,
    repayment_method: str,
    purpose: str = "",
    insurance_product: InsuranceProduct | None = None,
    guarantee_product: GuaranteeProduct | None = None,
) -> Application:
    """A draft on ``product`` pledging ``assets``, with the IP insurance or guarantee the applicant takes
    (bound to the loan at disbursement); a product that requires one refuses an application without it."""
    require(actor, organisation_id=enterprise.organisation_id, message=_("Only the enterprise itself may apply."))
    amount = to_yuan(requested_amount)
    errors = _validate_terms(
        product, amount=amount, term=requested_term_months, method=repayment_method, fields=REQUESTED_FIELDS
    )
    if not product.is_active:
        errors["product"] = [_("This product is not open for applications.")]
    errors.update(_cover_errors(product, insurance_product, guarantee_product))
    with transaction.atomic():
        # Locked, so that two applications cannot both take the same asset as collateral.
        assets = _locked_assets(assets)
        errors.update(_asset_errors(enterprise, product, assets, term_months=requested_term_months))
        if errors:
            raise ValidationFailed(errors)
        application = Application.objects.create(
            reference=next_reference("APP", Application),
            enterprise=enterprise,
            product=product,
            requested_amount=amount,
            requested_term_months=requested_term_months,
            repayment_method=repayment_method,
            purpose=purpose,
            insurance_product=insurance_product,
            guarantee_product=guarantee_product,
        )
        ApplicationAsset.objects.bulk_create(ApplicationAsset(application=application, asset=a) for a in assets)
    return application


def _cover_errors(product: LoanProduct, insurance, guarantee) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if insurance is not None and not insurance.is_active:
        errors["insurance_product"] = [_("This insurance product is not offered.")]
    elif insurance is None and product.requires_insurance:
        errors["insurance_product"] = [_("This loan product requires IP pledge financing insurance: choose one.")]
    if guarantee is not None and not guarantee.is_active:
        errors["guarantee_product"] = [_("This guarantee product is not offered.")]
    elif guarantee is None and product.requires_guarantee:
        errors["guarantee_product"] = [_("This loan product requires a guarantee: choose one.")]
    return errors


def application_change_status(*, actor, application: Application, to: str, reason: str = "") -> Application:
    """Move an application. The side (SME, bank, platform) must be the one that owns the move."""
    current = Application.objects.values_list("status", flat=True).get(
        pk=application.pk
    )  # the caller's copy may be stale
    if to not in Application.TRANSITIONS[current]:
        # Before the side check: a party asking for a move its side owns elsewhere learns the state is wrong.
        raise InvalidTransition(
            _("An application cannot go from %(current)s to %(to)s.")
            % {"current": ApplicationStatus(current).label, "to": ApplicationStatus(to).label}
        )
    side = party_of(application, actor)
    owner = SIDE_FOR_MOVE.get((application.status, to), SIDE_FOR_TARGET.get(to))
    if side is not None and side != OrganisationKind.PLATFORM and owner != side:
        raise PermissionDenied(
            _("Your side may not move an application to %(to)s.") % {"to": ApplicationStatus(to).label}
        )
    extra = ()
    if to in TIMESTAMP_ON_ENTRY:
        setattr(application, TIMESTAMP_ON_ENTRY[to], timezone.now())
        extra = (TIMESTAMP_ON_ENTRY[to],)
    with transaction.atomic():
        change = transition(application, to=to, actor=actor, reason=reason, extra_fields=extra)
        task_enqueue(notify_status_change, change.pk)
    return application


def loan_disburse(
    *, actor, application: Application, contract_number: str, disbursed_at: datetime | None = None
) -> Loan:
    """Disburse an approved, pledge-registered application: the loan and its schedule are created."""
    disbursed_at = disbursed_at or timezone.now()
    with transaction.atomic():
        application = application_locked(application)  # the approved terms as stored, not a caller's stale copy
        _require(actor, application, OrganisationKind.BANK, BANK_ROLES)
        if Loan.objects.filter(bank_id=application.product.bank_id, contract_number=contract_number).exists():
            raise DuplicateObject(
                _("Contract number %(contract_number)s is already used by this bank.")
                % {"contract_number": contract_number}
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
        if loan.status not in (LoanStatus.ACTIVE, LoanStatus.OVERDUE, LoanStatus.DEFAULTED):
            raise ValidationFailed(
                {"loan": [_("This loan takes no repayments (%(status)s).") % {"status": loan.get_status_display()}]}
            )
        remaining, principal_part, interest_part = amount, Decimal("0"), Decimal("0")
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
        evidence_append(
            actor=actor,
            kind="repayment",
            record=repayment,
            fields=REPAYMENT_FACTS,
            subject=loan,
            context={"contract_number": loan.contract_number},
        )
        loan.outstanding_principal -= principal_part
        loan.save(update_fields=["outstanding_principal", "updated_at"])
        if loan.outstanding_principal == 0 and not loan.schedule.filter(settled_at__isnull=True).exists():
            loan.closed_at = paid_at
            transition(loan, to=LoanStatus.REPAID, actor=actor, reason="paid off", extra_fields=("closed_at",))
            pledge_release_generate(loan=loan, paid_off_at=paid_at)
    return repayment


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
        if loan.status not in (LoanStatus.ACTIVE, LoanStatus.OVERDUE, LoanStatus.DEFAULTED):
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


# --- The application's life, side by side: the SME's moves and the bank's --------------------------

CHECKER_ROLES = frozenset({Role.BANK_CHECKER, Role.BANK_MANAGER})
EDITABLE_ON_DRAFT = ("requested_amount", "requested_term_months", "repayment_method", "purpose")


def _require(actor, application: Application, side: str, roles: frozenset[str]) -> None:
    """The actor is one of ``roles`` on ``side`` (the SME or the bank) of this application."""
    party = application.enterprise.organisation_id if side == OrganisationKind.SME else application.product.bank_id
    require(
        actor,
        organisation_id=party,
        roles=roles,
        message=_("This application is not yours to act on."),
        name_the_role=True,
    )


def _require_lender(actor, loan: Loan) -> None:
    require(
        actor,
        organisation_id=loan.bank_id,
        roles=BANK_ROLES,
        message=_("Repayments are recorded by the lending bank."),
    )


def _validate_terms(
    product: LoanProduct, *, amount: Decimal, term: int, method: str | None = None, fields=APPROVED_FIELDS
) -> dict:
    """Amount, term and repayment method against the product; ``fields`` names them in the errors."""
    amount_field, term_field = fields
    errors: dict[str, list[str]] = {}
    if not product.min_amount <= amount <= product.max_amount:
        errors[amount_field] = [
            _("The product lends %(min_amount)s to %(max_amount)s yuan.")
            % {"min_amount": product.min_amount, "max_amount": product.max_amount}
        ]
    if not product.min_term_months <= term <= product.max_term_months:
        errors[term_field] = [
            _("The product's term is %(min_term_months)s to %(max_term_months)s months.")
            % {"min_term_months": product.min_term_months, "max_term_months": product.max_term_months}
        ]
    if method is not None and method not in product.repayment_methods:
        errors["repayment_method"] = [_("The product does not offer this repayment method.")]
    return errors


def application_update(
    *, actor, application: Application, assets: list[IPAsset] | None = None, **fields
) -> Application:
    """Edit a draft: amounts, term, method, purpose and the pledged assets."""
    changes_assets = assets is not None
    unknown = set(fields) - set(EDITABLE_ON_DRAFT)
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    with transaction.atomic():
        application = application_locked(application)
        _require(actor, application, OrganisationKind.SME, SME_ROLES)
        if application.status != S.DRAFT:
            raise Conflict(_("Only a draft can be edited; withdraw and apply again."))
        for name, value in fields.items():
            setattr(application, name, to_yuan(value) if name == "requested_amount" else value)
        errors = _validate_terms(
            application.product,
            amount=application.requested_amount,
            term=application.requested_term_months,
            method=application.repayment_method,
            fields=REQUESTED_FIELDS,
        )
        # The term decides eligibility too: the assets kept are checked again against a changed one.
        assets = _locked_assets(application.assets.all() if assets is None else assets)
        errors.update(
            _asset_errors(
                application.enterprise,
                application.product,
                assets,
                term_months=application.requested_term_months,
                application=application,
            )
        )
        if errors:
            raise ValidationFailed(errors)
        application.save(update_fields=[*fields, "updated_at"])
        if changes_assets:
            application.pledged_assets.all().delete()
            ApplicationAsset.objects.bulk_create(ApplicationAsset(application=application, asset=a) for a in assets)
    return application


def _locked_assets(assets) -> list[IPAsset]:
    """``assets`` locked for this transaction (in id order, so that two callers never wait on each other), with
    their co-owners, in the order given."""
    ids = [a.pk for a in assets]
    rows = IPAsset.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    locked = {a.pk: a for a in rows.prefetch_related("co_owners")}
    return [locked[pk] for pk in ids]


def _asset_errors(
    enterprise: Enterprise,
    product: LoanProduct,
    assets: list[IPAsset],
    *,
    term_months: int,
    application: Application | None = None,
) -> dict[str, list[str]]:
    """Each asset that cannot secure this loan, named with its reasons (``eligibility``), and a portfolio that
    would need two registries."""
    if not assets:
        return {"assets": [_("Pledge at least one IP asset.")]}
    reasons = assets_eligibility(
        assets=assets, product=product, enterprise_id=enterprise.pk, term_months=term_months, application=application
    )
    problems = portfolio_errors(assets) + ineligible_errors(assets, reasons)
    return {"assets": problems} if problems else {}


def _sme_move(*, actor, application: Application, to: str, reason: str = "") -> Application:
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.SME, SME_ROLES)
        return application_change_status(actor=actor, application=locked, to=to, reason=reason)


def _bank_move(*, actor, application: Application, to: str, reason: str = "", roles=BANK_ROLES) -> Application:
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.BANK, roles)
        return application_change_status(actor=actor, application=locked, to=to, reason=reason)


def application_submit(*, actor, application: Application) -> Application:
    """Submit the draft; its assets are checked again, as things may have changed since it was saved."""
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.SME, SME_ROLES)
        if not locked.pledged_assets.exists():
            raise ValidationFailed({"assets": [_("Pledge at least one IP asset before submitting.")]})
        if locked.status == S.DRAFT:
            errors = _asset_errors(
                locked.enterprise,
                locked.product,
                _locked_assets(locked.assets.all()),
                term_months=locked.requested_term_months,
                application=locked,
            )
            if errors:
                raise ValidationFailed(errors)
        return application_change_status(actor=actor, application=locked, to=S.SUBMITTED, reason="submitted")


def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    return _sme_move(
        actor=actor, application=application, to=S.WITHDRAWN, reason=reason or "withdrawn by the applicant"
    )


def application_respond(*, actor, application: Application, comment: str) -> Application:
    """The SME answers a request for information; the application goes back to review."""
    return _sme_move(actor=actor, application=application, to=S.UNDER_REVIEW, reason=comment)


def application_accept_offer(*, actor, application: Application) -> Application:
    return _sme_move(actor=actor, application=application, to=S.OFFER_ACCEPTED, reason="offer accepted")


def application_decline_offer(*, actor, application: Application, reason: str = "") -> Application:
    return _sme_move(actor=actor, application=application, to=S.WITHDRAWN, reason=reason or "offer declined")


def application_start_review(*, actor, application: Application) -> Application:
    return _bank_move(actor=actor, application=application, to=S.UNDER_REVIEW, reason="review started")


def application_request_info(*, actor, application: Application, comment: str) -> Application:
    if not comment.strip():
        raise ValidationFailed({"comment": [_("Say what information is needed.")]})
    return _bank_move(actor=actor, application=application, to=S.INFO_REQUESTED, reason=comment)


def application_reject(*, actor, application: Application, reason_code: str, comment: str = "") -> Application:
    if reason_code not in RejectReason.values:
        raise ValidationFailed(
            {"reason_code": [_("Use one of %(codes)s.") % {"codes": ", ".join(RejectReason.values)}]}
        )
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        registered = locked.status == S.REGISTERED
        locked.reject_reason_code, locked.decision_comment = reason_code, comment
        locked.save(update_fields=["reject_reason_code", "decision_comment", "updated_at"])
        application_change_status(actor=actor, application=locked, to=S.REJECTED, reason=f"{reason_code}: {comment}")
        if registered:  # the register holds the pledge of a loan that will never be made: release it
            pledge_release_on_rejection(application=locked, rejected_at=timezone.now())
        return locked


def application_approve(
    *,
    actor,
    application: Application,
    amount: Decimal,
    rate: Decimal,
    term_months: int,
    collateral_limit: Callable[[Application], Decimal],
    comment: str = "",
) -> Application:
    """Approve with terms. Above the bank's maker-checker threshold this only records the maker's
    proposal; a checker who is not the maker confirms it with ``application_confirm_approval``.

    ``collateral_limit`` gives the most the pledged assets support; it is asked only once the actor and the
    terms pass (the lending workflow values the assets for it)."""
    amount, rate = to_yuan(amount), Decimal(rate)
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        if locked.status != S.UNDER_REVIEW:
            raise InvalidTransition(
                _("Only an application under review can be approved (it is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        if locked.approval_proposed_by_id is not None:
            raise Conflict(_("Terms are already proposed and wait for a checker."))
        product = locked.product
        errors = _validate_terms(product, amount=amount, term=term_months)
        if not product.min_rate <= rate <= product.max_rate:
            errors["rate"] = [
                _("The product's rate is %(min_rate)s to %(max_rate)s.")
                % {"min_rate": product.min_rate, "max_rate": product.max_rate}
            ]
        if not errors:
            # An asset the register would refuse is never approved against: the bank rejects instead.
            ineligible = _asset_errors(
                locked.enterprise,
                product,
                _locked_assets(locked.assets.all()),
                term_months=term_months,
                application=locked,
            )
            errors.update(ineligible)
        if not errors:
            limit = collateral_limit(locked)
            if amount > limit:
                errors["amount"] = [
                    _("Above the pledge-rate limit of the collateral: at most %(limit)s yuan.") % {"limit": limit}
                ]
        if errors:
            raise ValidationFailed(errors)
        locked.approved_amount, locked.approved_rate, locked.approved_term_months = amount, rate, term_months
        locked.decision_comment = comment
        fields = ["approved_amount", "approved_rate", "approved_term_months", "decision_comment"]
        if amount > product.bank.maker_checker_threshold:
            locked.approval_proposed_by, locked.approval_proposed_at = actor, timezone.now()
            locked.save(update_fields=[*fields, "approval_proposed_by", "approval_proposed_at", "updated_at"])
            return locked
        locked.save(update_fields=[*fields, "updated_at"])
        return application_change_status(actor=actor, application=locked, to=S.APPROVED, reason=comment or "approved")


def application_confirm_approval(*, actor, application: Application, comment: str = "") -> Application:
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.BANK, CHECKER_ROLES)
        if locked.approval_proposed_by_id is None:
            raise Conflict(_("There are no proposed terms to confirm."))
        if locked.approval_proposed_by_id == actor.pk:
            raise PermissionDenied(_("The maker cannot confirm their own proposal: a second person must."))
        locked.approval_confirmed_by = actor
        locked.save(update_fields=["approval_confirmed_by", "updated_at"])
        return application_change_status(
            actor=actor, application=locked, to=S.APPROVED, reason=comment or "approval confirmed by checker"
        )


# --- From offer to money: pledge registration, disbursement, delinquency -----------------------------


def pledge_registration_file(*, actor, application: Application) -> PledgeRegistration:
    """The bank files the pledge after the offer is accepted and both parties signed the package; a failed
    pre-check ground stops it."""
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        precheck_require_pass(locked)
        # Grounds that need the parties' confirmation are confirmed by signing the package, which lists them.
        package_ready_to_file(locked)
        application_change_status(actor=actor, application=locked, to=S.PLEDGE_REGISTRATION, reason="pledge filed")
        registration = PledgeRegistration.objects.create(application=locked, filed_at=timezone.now(), filed_by=actor)
        evidence_append(
            actor=actor, kind="pledge_filing", record=registration, fields=("application", "filed_by"), subject=locked
        )
    return registration


def pledge_registration_record(
    *, actor, application: Application, registration_number: str, registered_on: date
) -> PledgeRegistration:
    """Record the registration notice (number and date): the application becomes registered."""
    number = registration_number.strip()
    if not number:
        raise ValidationFailed({"registration_number": [_("The notice's registration number is required.")]})
    if registered_on > timezone.localdate():
        raise ValidationFailed({"registered_on": [_("The registration date cannot be in the future.")]})
    with transaction.atomic():
        locked = application_locked(application)
        _require(actor, locked, OrganisationKind.BANK, BANK_ROLES)
        if PledgeRegistration.objects.filter(registration_number=number).exclude(application=locked).exists():
            raise DuplicateObject(_("Registration number %(number)s is already recorded.") % {"number": number})
        registration = PledgeRegistration.objects.select_for_update().filter(application=locked).first()
        if registration is None:
            raise InvalidTransition(
                _("The notice is recorded after the pledge is filed (it is %(status)s).")
                % {"status": locked.get_status_display()}
            )
        registration.registration_number, registration.registered_on = number, registered_on
        registration.save(update_fields=["registration_number", "registered_on", "updated_at"])
        evidence_append(
            actor=actor,
            kind="pledge_registration",
            record=registration,
            fields=("registration_number", "registered_on"),
            subject=locked,
        )
        application_change_status(actor=actor, application=locked, to=S.REGISTERED, reason=f"registered {number}")
    return registration


# Delinquency buckets by days past due: (name, first day, last day or None for no end).
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
