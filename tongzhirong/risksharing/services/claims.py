"""Claims: opened at default (everyone is told), submitted by the bank, decided and paid by the payer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import Role, User
from tongzhirong.core.errors import (
    Conflict,
    DuplicateObject,
    InvalidTransition,
    ValidationFailed,
)
from tongzhirong.core.models import next_reference
from tongzhirong.core.money import to_yuan
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import transition
from tongzhirong.financing.models import Loan, LoanStatus
from tongzhirong.notifications.services import notify_users

from .. import ledger
from ..models import (
    Claim,
    ClaimKind,
    Pool,
    PoolFiling,
)
from ..selectors import CLAIM_PARTY, loan_allocation, pool_position
from .common import FS, C, pool_post, require_bank

# What the evidence chain holds of a claim's payment (fields never changed afterwards).
CLAIM_PAYMENT_FACTS = ("kind", "loan", "payer", "approved_amount", "paid_amount", "paid_on", "payment_reference")
# Who decides and pays each kind of claim: the payer organisation's people in these roles.
PAYER_ROLES = {
    ClaimKind.INSURANCE: frozenset({Role.UNDERWRITER}),
    ClaimKind.GUARANTEE: frozenset({Role.UNDERWRITER}),
    ClaimKind.POOL: frozenset({Role.ANALYST}),
}


def loan_default_open_claims(*, loan: Loan) -> list[Claim]:
    """When a loan defaults: open a claim on each bound insurance policy and guarantee (the bank completes
    and submits it). The lending workflow that records the default tells the parties after commit."""
    if loan.status != LoanStatus.DEFAULTED:
        return []
    opened = []
    with transaction.atomic():
        for policy in loan.cover_policies.all():
            if Claim.objects.filter(loan=loan, kind=policy.kind).exclude(status=C.WITHDRAWN).exists():
                continue
            opened.append(
                Claim.objects.create(
                    reference=next_reference("CLM", Claim),
                    kind=policy.kind,
                    loan=loan,
                    bank_id=loan.bank_id,
                    payer_id=policy.provider_id,
                    policy=policy,
                )
            )
    return opened


def loan_default_notify(*, loan_id: int) -> int:
    """Tell the bank, insurer, guarantor and pool operator that the loan defaulted. Safe to run twice."""
    loan = Loan.objects.select_related("borrower").get(pk=loan_id)
    orgs = {loan.bank_id, *loan.cover_policies.values_list("provider_id", flat=True)}
    filing = PoolFiling.objects.filter(loan=loan).select_related("pool").first()
    if filing is not None:
        orgs.add(filing.pool.operator_id)
    users = User.objects.filter(organisation_id__in=orgs, is_active=True)
    title = f"违约 Default: {loan.contract_number} ({loan.borrower.legal_name}), {loan.outstanding_principal} 元"
    return len(notify_users(users=users, title=title, dedupe_key=f"default:{loan.pk}"))


def _locked_claim(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("loan", "filing__pool").get(pk=claim.pk)


def _claim_documents(loan: Loan, documents: Iterable[int]) -> list:
    ids = sorted(set(documents))
    found = list(loan.application.documents.filter(pk__in=ids))
    missing = sorted(set(ids) - {d.pk for d in found})
    if missing:
        raise ValidationFailed({"documents": [_("No such document of this loan's application: %s.") % missing]})
    return found


def _submit(claim: Claim, *, actor, claimed_amount, comment: str, documents) -> Claim:
    allocation = loan_allocation(loan=claim.loan)
    coverage = allocation.shares[CLAIM_PARTY[claim.kind]]
    claimed = coverage if claimed_amount is None else to_yuan(claimed_amount)
    if claimed <= 0 or claimed > coverage:
        raise ValidationFailed(
            {"claimed_amount": [_("Claim more than zero and at most %(coverage)s yuan.") % {"coverage": coverage}]}
        )
    docs = _claim_documents(claim.loan, documents)
    claim.loss, claim.coverage, claim.claimed_amount, claim.comment = (
        allocation.loss,
        coverage,
        claimed,
        comment,
    )
    claim.allocation = {
        "loss": str(allocation.loss),
        "recovered": str(allocation.recovered),
        "shares": {p: str(v) for p, v in allocation.shares.items()},
    }
    claim.submitted_at = timezone.now()
    transition(
        claim,
        to=C.SUBMITTED,
        actor=actor,
        reason=comment or "submitted",
        extra_fields=("loss", "coverage", "claimed_amount", "comment", "allocation", "submitted_at"),
    )
    claim.documents.set(docs)
    return claim


def claim_submit(
    *, actor, claim: Claim, claimed_amount: Decimal | None = None, comment: str = "", documents: Iterable[int] = ()
) -> Claim:
    """The bank submits an opened insurance or guarantee claim on a defaulted loan, within the coverage."""
    with transaction.atomic():
        claim = _locked_claim(claim)
        require_bank(actor, claim.bank_id)
        if claim.status != C.OPEN:
            raise InvalidTransition(_("Only an open claim can be submitted (it is %s).") % claim.get_status_display())
        if claim.loan.status != LoanStatus.DEFAULTED:
            raise Conflict(_("A claim is submitted once the loan has defaulted."))
        return _submit(claim, actor=actor, claimed_amount=claimed_amount, comment=comment, documents=documents)


def pool_claim_create(
    *,
    actor,
    filing: PoolFiling,
    claimed_amount: Decimal | None = None,
    comment: str = "",
    documents: Iterable[int] = (),
) -> Claim:
    """The bank claims the pool's share once the loan is past the pool's trigger (days past due)."""
    with transaction.atomic():
        filing = PoolFiling.objects.select_for_update(of=("self",)).select_related("pool", "loan").get(pk=filing.pk)
        require_bank(actor, filing.bank_id)
        if filing.status != FS.COVERED:
            raise InvalidTransition(
                _("Only a filing covering a disbursed loan can be claimed (it is %s).") % filing.get_status_display()
            )
        loan = filing.loan
        if loan.status != LoanStatus.DEFAULTED and loan.days_past_due < filing.pool.trigger_days_past_due:
            raise Conflict(
                _("The pool compensates from %(days)s days past due; the loan is %(dpd)s.")
                % {"days": filing.pool.trigger_days_past_due, "dpd": loan.days_past_due}
            )
        if Claim.objects.filter(loan=loan, kind=ClaimKind.POOL).exclude(status=C.WITHDRAWN).exists():
            raise DuplicateObject(_("This loan already has a pool claim."))
        claim = Claim.objects.create(
            reference=next_reference("CLM", Claim),
            kind=ClaimKind.POOL,
            loan=loan,
            bank_id=filing.bank_id,
            payer_id=filing.pool.operator_id,
            filing=filing,
        )
        _submit(claim, actor=actor, claimed_amount=claimed_amount, comment=comment, documents=documents)
        transition(filing, to=FS.CLAIMED, actor=actor, reason=claim.reference)
    return claim


def _require_payer(actor, claim: Claim) -> None:
    require(
        actor,
        organisation_id=claim.payer_id,
        roles=PAYER_ROLES[claim.kind],
        message=_("Only the payer's reviewers decide and pay this claim."),
    )


def claim_approve(*, actor, claim: Claim, amount: Decimal, comment: str = "") -> Claim:
    """The payer approves an amount, at most the claimed amount and the coverage."""
    amount = to_yuan(amount)
    with transaction.atomic():
        claim = _locked_claim(claim)
        _require_payer(actor, claim)
        if claim.status != C.SUBMITTED:
            raise InvalidTransition(_("Only a submitted claim can be decided (it is %s).") % claim.get_status_display())
        if amount <= 0 or amount > claim.claimed_amount:
            raise ValidationFailed(
                {"amount": [_("Approve more than zero and at most %(max)s yuan.") % {"max": claim.claimed_amount}]}
            )
        claim.approved_amount, claim.decided_at = amount, timezone.now()
        transition(
            claim,
            to=C.APPROVED,
            actor=actor,
            reason=comment or "approved",
            extra_fields=("approved_amount", "decided_at"),
        )
    return claim


def claim_reject(*, actor, claim: Claim, reason: str) -> Claim:
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Say why the claim is rejected.")]})
    with transaction.atomic():
        claim = _locked_claim(claim)
        _require_payer(actor, claim)
        claim.reject_reason, claim.decided_at = reason, timezone.now()
        transition(claim, to=C.REJECTED, actor=actor, reason=reason, extra_fields=("reject_reason", "decided_at"))
        if claim.kind == ClaimKind.POOL:
            transition(claim.filing, to=FS.COVERED, actor=actor, reason=f"{claim.reference} rejected")
    return claim


def claim_record_payment(*, actor, claim: Claim, paid_on: dt.date | None = None, reference: str = "") -> Claim:
    """The payer records that it paid the approved amount. A pool claim is paid from the pool's cash, which
    must cover it, and releases the loan's exposure."""
    paid_on = paid_on or timezone.localdate()
    if paid_on > timezone.localdate():
        raise ValidationFailed({"paid_on": [_("The payment date cannot be in the future.")]})
    with transaction.atomic():
        claim = _locked_claim(claim)
        _require_payer(actor, claim)
        if claim.status != C.APPROVED:
            raise InvalidTransition(_("Only an approved claim can be paid (it is %s).") % claim.get_status_display())
        if claim.kind == ClaimKind.POOL:
            pool = Pool.objects.select_for_update().get(pk=claim.filing.pool_id)
            balance = pool_position(pool=pool).balance
            if balance < claim.approved_amount:
                raise Conflict(_("The pool holds %(balance)s yuan, less than the claim.") % {"balance": balance})
        claim.paid_amount, claim.paid_on, claim.payment_reference = claim.approved_amount, paid_on, reference
        transition(
            claim,
            to=C.PAID,
            actor=actor,
            reason=reference or "paid",
            extra_fields=("paid_amount", "paid_on", "payment_reference"),
        )
        evidence_append(actor=actor, kind="claim_payment", record=claim, fields=CLAIM_PAYMENT_FACTS)
        if claim.kind == ClaimKind.POOL:
            filing = claim.filing
            pool_post(pool, ledger.Journal.CLAIM_PAYMENT, claim.paid_amount, memo=claim.reference, claim=claim)
            pool_post(pool, ledger.Journal.RELEASE, filing.amount, memo=claim.reference, filing=filing)
            transition(filing, to=FS.SETTLED, actor=actor, reason=claim.reference)
    return claim
