"""Application and loan services. Every state change goes through ``tongzhirong.core.state.transition``;
notifications are sent after commit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from scoring.tasks import score_application
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.assets.models import IPAsset, LegalStatus
from tongzhirong.core.errors import DuplicateObject, PermissionDenied, ValidationFailed
from tongzhirong.core.money import to_yuan
from tongzhirong.core.state import transition
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.notifications.tasks import notify_status_change
from tongzhirong.products.models import LoanProduct

from .models import Application, ApplicationAsset, ApplicationStatus, Loan, LoanStatus, Repayment, ScheduleLine
from .schedule import build_schedule

S = ApplicationStatus

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

TIMESTAMP_ON_ENTRY = {S.SUBMITTED: "submitted_at", S.APPROVED: "decided_at", S.REJECTED: "decided_at"}


def _next_reference(prefix: str, model, field: str) -> str:
    today = timezone.localdate().strftime("%Y%m%d")
    stem = f"{prefix}{today}"
    count = model.objects.filter(**{f"{field}__startswith": stem}).count()
    return f"{stem}{count + 1:05d}"


def _party_of(application: Application, actor) -> str | None:
    if actor is None:
        return None
    if actor.organisation_id == application.enterprise.organisation_id:
        return OrganisationKind.SME
    if actor.organisation_id == application.product.bank_id:
        return OrganisationKind.BANK
    if actor.is_superuser or actor.kind == OrganisationKind.PLATFORM:
        return OrganisationKind.PLATFORM
    return "outsider"


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
) -> Application:
    if actor.organisation_id != enterprise.organisation_id:
        raise PermissionDenied("Only the enterprise itself may apply.")
    errors: dict[str, list[str]] = {}
    amount = to_yuan(requested_amount)
    if not product.is_active:
        errors["product"] = ["This product is not open for applications."]
    if not product.min_amount <= amount <= product.max_amount:
        errors["requested_amount"] = [f"The product lends {product.min_amount} to {product.max_amount} yuan."]
    if not product.min_term_months <= requested_term_months <= product.max_term_months:
        errors["requested_term_months"] = [
            f"The product's term is {product.min_term_months} to {product.max_term_months} months."
        ]
    if repayment_method not in product.repayment_methods:
        errors["repayment_method"] = ["The product does not offer this repayment method."]
    if not assets:
        errors["assets"] = ["Pledge at least one IP asset."]
    for asset in assets:
        if asset.owner_id != enterprise.pk or asset.archived_at is not None:
            errors.setdefault("assets", []).append(f"{asset.identifier} is not a live asset of this enterprise.")
        elif asset.legal_status not in (LegalStatus.VALID, LegalStatus.PENDING):
            errors.setdefault("assets", []).append(f"{asset.identifier} is {asset.legal_status} and cannot be pledged.")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        application = Application.objects.create(
            reference=_next_reference("APP", Application, "reference"),
            enterprise=enterprise,
            product=product,
            requested_amount=amount,
            requested_term_months=requested_term_months,
            repayment_method=repayment_method,
            purpose=purpose,
        )
        ApplicationAsset.objects.bulk_create(ApplicationAsset(application=application, asset=a) for a in assets)
    return application


def application_change_status(*, actor, application: Application, to: str, reason: str = "") -> Application:
    """Move an application. The side (SME, bank, platform) must be the one that owns the move."""
    side = _party_of(application, actor)
    if side is not None and side != OrganisationKind.PLATFORM and SIDE_FOR_TARGET.get(to) != side:
        raise PermissionDenied(f"Your side may not move an application to {to}.")
    extra = ()
    if to in TIMESTAMP_ON_ENTRY:
        setattr(application, TIMESTAMP_ON_ENTRY[to], timezone.now())
        extra = (TIMESTAMP_ON_ENTRY[to],)
    with transaction.atomic():
        change = transition(application, to=to, actor=actor, reason=reason, extra_fields=extra)
        transaction.on_commit(lambda: notify_status_change.delay(change.pk))
        if to == S.SUBMITTED:
            transaction.on_commit(lambda: score_application.delay(application.pk))
    return application


def loan_disburse(
    *, actor, application: Application, contract_number: str, disbursed_at: datetime | None = None
) -> Loan:
    """Disburse an approved, pledge-registered application: the loan and its schedule are created."""
    disbursed_at = disbursed_at or timezone.now()
    with transaction.atomic():
        if Loan.objects.filter(bank_id=application.product.bank_id, contract_number=contract_number).exists():
            raise DuplicateObject(f"Contract number {contract_number} is already used by this bank.")
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
    return loan


def repayment_record(
    *, actor, loan: Loan, amount: Decimal, paid_at: datetime | None = None, reference: str = ""
) -> Repayment:
    """Apply a payment to the oldest unpaid instalments, interest before principal."""
    amount = to_yuan(amount)
    if amount <= 0:
        raise ValidationFailed({"amount": ["A repayment is a positive amount."]})
    paid_at = paid_at or timezone.now()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
        if loan.status not in (LoanStatus.ACTIVE, LoanStatus.OVERDUE, LoanStatus.DEFAULTED):
            raise ValidationFailed({"loan": [f"A {loan.status} loan takes no repayments."]})
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
            raise ValidationFailed({"amount": [f"The payment exceeds what is owed by {remaining} yuan."]})
        repayment = Repayment.objects.create(
            loan=loan,
            paid_at=paid_at,
            amount=amount,
            principal_part=principal_part,
            interest_part=interest_part,
            reference=reference,
            recorded_by=actor,
        )
        loan.outstanding_principal -= principal_part
        loan.save(update_fields=["outstanding_principal", "updated_at"])
        if loan.outstanding_principal == 0 and not loan.schedule.filter(settled_at__isnull=True).exists():
            loan.closed_at = paid_at
            transition(loan, to=LoanStatus.REPAID, actor=actor, reason="paid off", extra_fields=("closed_at",))
    return repayment
