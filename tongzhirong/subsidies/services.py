"""Subsidy policies (the city office), claims (the firm), decisions and payment (the city office).

A claim reserves its amount on the firm's ``SubsidyAllowance`` for the policy and year, under a row lock, so
that any number of claims — over several loans, one after another or at the same moment — never add up to
more than the policy's annual cap; a rejected or withdrawn claim gives its amount back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import uuid4

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import SME_ROLES, OrganisationKind
from tongzhirong.core.errors import Conflict, DomainError, ObjectLocked, PermissionDenied, ValidationFailed
from tongzhirong.core.models import save_validated
from tongzhirong.core.reference import SHANGHAI
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.evidence.state import transition
from tongzhirong.financing.models import Loan
from tongzhirong.outbox.services import task_enqueue

from .models import ClaimStatus, SubsidyAllowance, SubsidyClaim, SubsidyClaimLine, SubsidyPolicy
from .rules import ZERO, LineQuote, enterprise_reasons, quote_line
from .tasks import notify_subsidy_claim

C = ClaimStatus
POLICY_FIELDS = {f.name for f in SubsidyPolicy._meta.concrete_fields} - {
    "id",
    "created_by",
    "created_at",
    "updated_at",
}
# Once a firm has claimed, the terms it claimed under stay as they were; the wording and opening may change.
EDITABLE_AFTER_CLAIMS = frozenset({"name", "description", "is_active", "last_year"})


class NotEligible(DomainError):
    """The firm or one of its loans is outside the policy; ``errors`` says why, loan by loan."""

    code = "not_eligible"
    status = 422
    title = "The claim is outside the policy."

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


class CapReached(Conflict):
    code = "subsidy_cap_reached"
    title = "The firm's annual cap under this policy is used up."


@dataclass
class ClaimQuote:
    lines: list[LineQuote]
    firm_reasons: list[str]
    computed_amount: Decimal
    cap: Decimal
    committed: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.cap - self.committed, ZERO)

    @property
    def amount(self) -> Decimal:
        return min(self.computed_amount, self.remaining)


def can_decide_claims(actor) -> bool:
    """The city office sets the policies and decides and pays the claims; the platform only looks on."""
    return actor.kind == OrganisationKind.CITY_OFFICE


def _ensure_city_office(actor) -> None:
    require(
        actor,
        kinds=(OrganisationKind.CITY_OFFICE,),
        message=_("Only the city office sets subsidy policies and decides claims."),
    )


def _today() -> date:
    return timezone.localtime(timezone.now(), SHANGHAI).date()


# --- policies ------------------------------------------------------------------------------------------


def subsidy_policy_create(*, actor, **fields) -> SubsidyPolicy:
    _ensure_city_office(actor)
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    return save_validated(SubsidyPolicy(created_by=actor, **fields))


def subsidy_policy_update(*, actor, policy: SubsidyPolicy, **fields) -> SubsidyPolicy:
    """Change a policy. Once a firm has claimed under it, its terms (shares, caps, eligibility) are frozen."""
    _ensure_city_office(actor)
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    with transaction.atomic():
        locked = SubsidyPolicy.objects.select_for_update().get(pk=policy.pk)
        if set(fields) - EDITABLE_AFTER_CLAIMS and locked.claims.exists():
            raise ObjectLocked(_("Firms have claimed under this policy: its terms can no longer change."))
        for name, value in fields.items():
            setattr(locked, name, value)
        return save_validated(locked, update_fields=[*fields, "updated_at"])


# --- quoting and claiming -------------------------------------------------------------------------------


def subsidy_claim_quote(
    *,
    policy: SubsidyPolicy,
    enterprise: Enterprise,
    year: int,
    loans: list[Loan],
    appraisal_fees: dict[int, Decimal] | None = None,
    today: date | None = None,
) -> ClaimQuote:
    """What ``loans`` would earn in a claim now, within what is left of the firm's cap. Reads only."""
    today = today or _today()
    appraisal_fees = appraisal_fees or {}
    prefetch_related_objects(loans, "cover_policies")  # whether each is covered, and its premium and fee
    claimed = dict(
        SubsidyClaimLine.objects.filter(policy=policy, year=year, loan__in=loans, live=True).values_list(
            "loan_id", "claim__reference"
        )
    )
    lines = []
    for loan in loans:
        line = quote_line(policy=policy, year=year, loan=loan, today=today, appraisal_fee=appraisal_fees.get(loan.pk))
        if loan.pk in claimed:
            line.reasons.append(
                _("Already claimed for %(year)s in claim %(reference)s.")
                % {"year": year, "reference": claimed[loan.pk]}
            )
        lines.append(line)
    allowance = SubsidyAllowance.objects.filter(enterprise=enterprise, policy=policy, year=year).first()
    return ClaimQuote(
        lines=lines,
        firm_reasons=enterprise_reasons(policy=policy, enterprise=enterprise),
        computed_amount=sum((line.amount for line in lines if not line.reasons), ZERO),
        cap=allowance.cap if allowance else policy.annual_cap,
        committed=allowance.committed if allowance else ZERO,
    )


def subsidy_claim_submit(
    *,
    actor,
    policy: SubsidyPolicy,
    year: int,
    loans: list[Loan],
    appraisal_fees: dict[int, Decimal] | None = None,
) -> SubsidyClaim:
    """The firm claims for ``loans`` (its own) under ``policy`` for ``year``: all the loans qualify or nothing
    is claimed. The claim holds the computed amount, or what is left of the firm's annual cap if less."""
    enterprise = _claimant(actor)
    _check_claimable(policy=policy, year=year, loans=loans, enterprise=enterprise)
    with transaction.atomic():
        allowance = _locked_allowance(enterprise=enterprise, policy=policy, year=year)
        quote = subsidy_claim_quote(
            policy=policy, enterprise=enterprise, year=year, loans=loans, appraisal_fees=appraisal_fees
        )
        errors = {f"loan {line.loan.contract_number}": line.reasons for line in quote.lines if line.reasons}
        if quote.firm_reasons:
            errors["enterprise"] = quote.firm_reasons
        if errors:
            raise NotEligible(errors)
        if quote.remaining <= 0:
            raise CapReached(
                _("Your cap of %(cap)s yuan under this policy for %(year)s is used up.")
                % {"cap": allowance.cap, "year": year}
            )
        claim = SubsidyClaim.objects.create(
            reference=f"TMP{uuid4().hex[:20]}",  # replaced by one made of the id below
            policy=policy,
            enterprise=enterprise,
            year=year,
            computed_amount=quote.computed_amount,
            amount=quote.amount,
            submitted_by=actor,
        )
        claim.reference = f"BT{year}{claim.pk:07d}"
        claim.save(update_fields=["reference"])
        SubsidyClaimLine.objects.bulk_create(
            SubsidyClaimLine(
                claim=claim,
                loan=line.loan,
                policy=policy,
                year=year,
                base=line.base,
                share=line.share,
                covered=line.covered,
                loan_cap=line.loan_cap,
                amount=line.amount,
            )
            for line in quote.lines
        )
        allowance.committed += quote.amount
        allowance.save(update_fields=["committed"])
        task_enqueue(notify_subsidy_claim, claim.pk)
    return claim


def _claimant(actor) -> Enterprise:
    require(
        actor, kinds=(OrganisationKind.SME,), roles=SME_ROLES, message=_("A firm claims subsidies for its own loans.")
    )
    enterprise = Enterprise.objects.filter(organisation_id=actor.organisation_id).first()
    if enterprise is None:
        raise PermissionDenied(_("Create your enterprise profile before claiming."))
    return enterprise


def _check_claimable(*, policy: SubsidyPolicy, year: int, loans: list[Loan], enterprise: Enterprise) -> None:
    if not policy.is_active:
        raise Conflict(_("This policy is closed for claims."))
    errors: dict[str, list[str]] = {}
    if not policy.covers_year(year):
        errors["year"] = [_("The policy does not run in %(year)s.") % {"year": year}]
    elif year > _today().year:
        errors["year"] = [_("A year is claimed once it has begun.")]
    if not loans:
        errors["loans"] = [_("Name at least one loan.")]
    elif any(loan.borrower_id != enterprise.pk for loan in loans):
        errors["loans"] = [_("Claim only for your own loans.")]
    if errors:
        raise ValidationFailed(errors)


def _locked_allowance(*, enterprise: Enterprise, policy: SubsidyPolicy, year: int) -> SubsidyAllowance:
    """The firm's allowance row for the policy and year, created on first use, locked until commit.

    ``get_or_create`` inserts in a savepoint; if another claim inserted the row meanwhile, the unique constraint
    refuses ours and it reads that row instead, through the same locking queryset."""
    allowance, _created = SubsidyAllowance.objects.select_for_update().get_or_create(
        enterprise=enterprise, policy=policy, year=year, defaults={"cap": policy.annual_cap}
    )
    return allowance


# --- the city office's decisions ------------------------------------------------------------------------


def subsidy_claim_approve(*, actor, claim: SubsidyClaim, reason: str = "") -> SubsidyClaim:
    _ensure_city_office(actor)
    return _decide(actor=actor, claim=claim, to=C.APPROVED, reason=reason)


def subsidy_claim_reject(*, actor, claim: SubsidyClaim, reason: str) -> SubsidyClaim:
    _ensure_city_office(actor)
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Tell the firm why the claim is rejected.")]})
    return _decide(actor=actor, claim=claim, to=C.REJECTED, reason=reason)


def subsidy_claim_withdraw(*, actor, claim: SubsidyClaim, reason: str = "") -> SubsidyClaim:
    _claimant(actor)
    require(
        actor,
        organisation_id=claim.enterprise.organisation_id,
        message=_("Only the firm that claimed may withdraw the claim."),
    )
    with transaction.atomic():
        transition(claim, to=C.WITHDRAWN, actor=actor, reason=reason)
        _release(claim)
        task_enqueue(notify_subsidy_claim, claim.pk)
    return claim


def subsidy_claim_record_payment(*, actor, claim: SubsidyClaim, paid_on: date, reference: str) -> SubsidyClaim:
    _ensure_city_office(actor)
    if paid_on > _today():
        raise ValidationFailed({"paid_on": [_("The payment date cannot be in the future.")]})
    with transaction.atomic():
        claim.paid_on, claim.payment_reference = paid_on, reference
        transition(claim, to=C.PAID, actor=actor, reason=reference, extra_fields=("paid_on", "payment_reference"))
        task_enqueue(notify_subsidy_claim, claim.pk)
    return claim


def _decide(*, actor, claim: SubsidyClaim, to: str, reason: str) -> SubsidyClaim:
    with transaction.atomic():
        claim.decided_by, claim.decided_at, claim.decision_reason = actor, timezone.now(), reason
        transition(
            claim, to=to, actor=actor, reason=reason, extra_fields=("decided_by", "decided_at", "decision_reason")
        )
        if to == C.REJECTED:
            _release(claim)
        task_enqueue(notify_subsidy_claim, claim.pk)
    return claim


def _release(claim: SubsidyClaim) -> None:
    """Give the claim's amount back to the firm's allowance and free its loans for another claim."""
    allowance = SubsidyAllowance.objects.select_for_update().get(
        enterprise_id=claim.enterprise_id, policy_id=claim.policy_id, year=claim.year
    )
    allowance.committed -= claim.amount
    allowance.save(update_fields=["committed"])
    claim.lines.update(live=False)
