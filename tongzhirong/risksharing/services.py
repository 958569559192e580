"""Risk sharing: cover bound at disbursement, the pool (filing, ledger), claims, disposal and recoveries.

Every state change goes through ``tongzhirong.core.state.transition``; money goes through ``to_yuan``;
the arithmetic of who bears what is in ``waterfall.py`` and the ledger's in ``ledger.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.services import asset_valuate
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import BANK_ROLES, SME_ROLES, Organisation, OrganisationKind, Role, User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import (
    Conflict,
    DuplicateObject,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from tongzhirong.core.models import next_reference
from tongzhirong.core.money import to_yuan
from tongzhirong.core.reference import DEFAULT_AFTER_DAYS, District, TechMarker
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import transition
from tongzhirong.financing.models import Application, ApplicationStatus, Loan, LoanStatus
from tongzhirong.notifications.services import notify_users

from . import ledger, waterfall
from .models import (
    LIVE_FILING,
    Auction,
    Bid,
    Claim,
    ClaimKind,
    ClaimStatus,
    CoverKind,
    CoverPolicy,
    DisposalCase,
    DisposalRoute,
    DisposalStatus,
    FilingStatus,
    Pool,
    PoolEntry,
    PoolFiling,
    PoolJournal,
    PoolSponsor,
    Recovery,
    RecoveryShare,
    RecoverySource,
)
from .selectors import CLAIM_PARTY, loan_allocation, loan_loss_summary, pool_exposure, pool_position

C, D, FS = ClaimStatus, DisposalStatus, FilingStatus
# What the evidence chain holds of a claim's payment and of a recovery (fields never changed afterwards).
CLAIM_PAYMENT_FACTS = ("kind", "loan", "payer", "approved_amount", "paid_amount", "paid_on", "payment_reference")
RECOVERY_FACTS = (
    "case",
    "loan",
    "source",
    "gross",
    "costs",
    "net",
    "received_on",
    "after_payment",
    "surplus",
    "recorded_by",
)
ZERO = Decimal("0.00")
# Who decides and pays each kind of claim: the payer organisation's people in these roles.
PAYER_ROLES = {
    ClaimKind.INSURANCE: frozenset({Role.UNDERWRITER}),
    ClaimKind.GUARANTEE: frozenset({Role.UNDERWRITER}),
    ClaimKind.POOL: frozenset({Role.ANALYST}),
}
FILEABLE = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.OFFER_ACCEPTED,
    ApplicationStatus.PLEDGE_REGISTRATION,
    ApplicationStatus.REGISTERED,
)


class PoolCapacityExceeded(Conflict):
    code = "pool_capacity_exceeded"
    title = "The pool's exposure would exceed fund × leverage."


class AuctionClosed(Conflict):
    code = "auction_closed"
    title = "The auction does not take bids now."


def _require_bank(actor, bank_id: int) -> None:
    require(
        actor, organisation_id=bank_id, roles=BANK_ROLES, message=_("Only the lending bank's officers may do this.")
    )


# --- Cover bound at disbursement ------------------------------------------------------------------------


def _premium(principal: Decimal, rate: Decimal, term_months: int) -> Decimal:
    """Premium or fee for the whole term: principal × annual rate × months ÷ 12, rounded once to the fen."""
    return to_yuan(principal * rate * Decimal(term_months) / Decimal(12))


def loan_risk_bind(*, loan: Loan, actor) -> list[CoverPolicy]:
    """At disbursement, inside its transaction: bind the application's insurance and guarantee to the loan
    on the products' terms, and bring its pool filing (made before disbursement) onto the loan."""
    application = loan.application
    starts_on = timezone.localdate(loan.disbursed_at)
    policies = []
    for kind, product, provider_id, cap, rate in (
        (
            CoverKind.INSURANCE,
            application.insurance_product,
            getattr(application.insurance_product, "insurer_id", None),
            getattr(application.insurance_product, "coverage_cap", None),
            getattr(application.insurance_product, "premium_rate", None),
        ),
        (
            CoverKind.GUARANTEE,
            application.guarantee_product,
            getattr(application.guarantee_product, "guarantor_id", None),
            None,
            getattr(application.guarantee_product, "fee_rate", None),
        ),
    ):
        if product is None:
            continue
        policies.append(
            CoverPolicy.objects.create(
                loan=loan,
                kind=kind,
                provider_id=provider_id,
                insurance_product=product if kind == CoverKind.INSURANCE else None,
                guarantee_product=product if kind == CoverKind.GUARANTEE else None,
                number=f"{'INS' if kind == CoverKind.INSURANCE else 'GUA'}-{loan.pk:010d}",
                insured_amount=loan.principal,
                rate=rate,
                premium=_premium(loan.principal, rate, loan.term_months),
                coverage_ratio=product.coverage_ratio,
                coverage_cap=cap,
                starts_on=starts_on,
                ends_on=max(loan.maturity_date, starts_on),
            )
        )
    filing = PoolFiling.objects.select_for_update().filter(application=application, status=FS.FILED).first()
    if filing is not None:
        if loan.principal > filing.amount:
            raise ValidationFailed(
                {"pool_filing": [_("The loan is larger than the amount filed with the pool; file it again.")]}
            )
        unused = filing.amount - loan.principal
        if unused:
            _post(filing.pool, ledger.Journal.RELEASE, unused, memo=_("unused part of the filing"), filing=filing)
        filing.loan, filing.amount = loan, loan.principal
        transition(filing, to=FS.COVERED, actor=actor, reason="disbursed", extra_fields=("loan", "amount"))
    return policies


# --- Default: claims open, everyone is told ---------------------------------------------------------------


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


# --- Claims ---------------------------------------------------------------------------------------------


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
        _require_bank(actor, claim.bank_id)
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
        _require_bank(actor, filing.bank_id)
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
            _post(pool, ledger.Journal.CLAIM_PAYMENT, claim.paid_amount, memo=claim.reference, claim=claim)
            _post(pool, ledger.Journal.RELEASE, filing.amount, memo=claim.reference, filing=filing)
            transition(filing, to=FS.SETTLED, actor=actor, reason=claim.reference)
    return claim


# --- The pool: set-up, filings, ledger ------------------------------------------------------------------


def _post(pool: Pool, kind: ledger.Journal, amount: Decimal, *, memo: str = "", **links) -> PoolJournal:
    postings = ledger.journal(kind, to_yuan(amount))
    if not ledger.is_balanced(postings):  # by construction; a broken journal must never be written
        raise Conflict("An unbalanced journal was refused.")
    entry = PoolJournal.objects.create(pool=pool, kind=kind, amount=to_yuan(amount), memo=memo[:200], **links)
    PoolEntry.objects.bulk_create(
        PoolEntry(journal=entry, account=p.account, debit=p.debit, credit=p.credit) for p in postings
    )
    evidence_append(
        actor=None,
        kind="pool_journal",
        record=entry,
        fields=("pool", "kind", "amount", "memo", "filing", "claim", "recovery"),
        subject=pool,
        context={"postings": [[p.account, p.debit, p.credit] for p in postings]},
    )
    return entry


def _pool_errors(
    *, waterfall_order, eligible_districts, required_tech_markers, shares: dict, sponsors
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        waterfall._check_order(waterfall_order)
    except waterfall.WaterfallError:
        errors["waterfall_order"] = [_("Name each of recovery, cover, pool at most once.")]
    if set(eligible_districts) - set(District.values):
        errors["eligible_districts"] = [_("Unknown district codes.")]
    if set(required_tech_markers) - set(TechMarker.values):
        errors["required_tech_markers"] = [_("Unknown tech markers.")]
    if any(v < 0 for v in shares.values()) or not any(v > 0 for v in shares.values()):
        errors["shares"] = [_("Loss shares are non-negative and not all zero.")]
    if not sponsors or any(amount <= 0 for _, amount in sponsors):
        errors["sponsors"] = [_("Name at least one sponsor with a positive contribution.")]
    elif len({org.pk for org, _ in sponsors}) != len(sponsors):
        errors["sponsors"] = [_("Name each sponsor once.")]
    return errors


def pool_create(
    *,
    actor,
    name: str,
    sponsors: list[tuple[Organisation, Decimal]],
    leverage_cap: Decimal,
    share_fund: Decimal,
    share_bank: Decimal,
    share_insurer: Decimal = ZERO,
    share_guarantor: Decimal = ZERO,
    share_appraiser: Decimal = ZERO,
    waterfall_order: list[str] | None = None,
    eligible_districts: list[str] | None = None,
    required_tech_markers: list[str] | None = None,
    max_loan_amount: Decimal | None = None,
    max_compensation_per_loan: Decimal | None = None,
    appraiser_cap: Decimal | None = None,
    trigger_days_past_due: int = DEFAULT_AFTER_DAYS,
) -> Pool:
    """A city office sets up a pool it runs; the fund is what the sponsors contribute, posted to the ledger."""
    require(
        actor,
        kinds=(OrganisationKind.CITY_OFFICE,),
        roles=(Role.ANALYST,),
        message=_("Pools are set up by the city office."),
    )
    order = list(waterfall_order or waterfall.DEFAULT_ORDER)
    shares = {
        "share_fund": share_fund,
        "share_bank": share_bank,
        "share_insurer": share_insurer,
        "share_guarantor": share_guarantor,
        "share_appraiser": share_appraiser,
    }
    sponsors = [(org, to_yuan(amount)) for org, amount in sponsors]
    errors = _pool_errors(
        waterfall_order=order,
        eligible_districts=eligible_districts or [],
        required_tech_markers=required_tech_markers or [],
        shares=shares,
        sponsors=sponsors,
    )
    if leverage_cap <= 0:
        errors["leverage_cap"] = [_("The leverage cap is positive.")]
    if Pool.objects.filter(name=name).exists():
        errors["name"] = [_("A pool of this name exists.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        pool = Pool.objects.create(
            name=name,
            operator_id=actor.organisation_id,
            fund_size=sum((amount for _, amount in sponsors), ZERO),
            leverage_cap=leverage_cap,
            waterfall_order=order,
            eligible_districts=eligible_districts or [],
            required_tech_markers=required_tech_markers or [],
            max_loan_amount=max_loan_amount,
            max_compensation_per_loan=max_compensation_per_loan,
            appraiser_cap=appraiser_cap,
            trigger_days_past_due=trigger_days_past_due,
            **shares,
        )
        for org, amount in sponsors:
            PoolSponsor.objects.create(pool=pool, organisation=org, contribution=amount)
            _post(pool, ledger.Journal.CONTRIBUTION, amount, memo=str(org))
    return pool


def _eligibility_errors(pool: Pool, application: Application, amount: Decimal) -> list[str]:
    enterprise = application.enterprise
    problems = []
    if pool.eligible_districts and enterprise.district not in pool.eligible_districts:
        problems.append(_("The borrower's district is outside the pool's."))
    if pool.required_tech_markers and not set(enterprise.tech_markers) & set(pool.required_tech_markers):
        problems.append(_("The borrower has none of the pool's required tech markers."))
    if pool.max_loan_amount is not None and amount > pool.max_loan_amount:
        problems.append(_("The pool takes loans up to %(max)s yuan.") % {"max": pool.max_loan_amount})
    return problems


def pool_file(*, actor, pool: Pool, application: Application, appraiser: Organisation | None = None) -> PoolFiling:
    """File an approved application with the pool before disbursement (事前备案). The pool's row is locked,
    so concurrent filings are counted one after another and the exposure never passes fund × leverage."""
    _require_bank(actor, application.product.bank_id)
    if application.status not in FILEABLE:
        raise Conflict(
            _("A loan is filed between approval and disbursement (the application is %s).") % application.status
        )
    if appraiser is not None and appraiser.kind != OrganisationKind.APPRAISER:
        raise ValidationFailed({"appraiser": [_("Name an appraisal firm.")]})
    amount = application.approved_amount
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        if not pool.is_active:
            raise Conflict(_("The pool takes no filings."))
        problems = _eligibility_errors(pool, application, amount)
        if problems:
            raise ValidationFailed({"application": problems})
        if PoolFiling.objects.filter(application=application, status__in=[*LIVE_FILING, FS.SETTLED]).exists():
            raise DuplicateObject(_("This application is already filed with a pool."))
        exposure = pool_exposure(pool=pool)
        if exposure + amount > pool.capacity:
            raise PoolCapacityExceeded(
                _("Filed loans would reach %(total)s yuan; the pool covers at most %(cap)s.")
                % {"total": exposure + amount, "cap": pool.capacity}
            )
        filing = PoolFiling.objects.create(
            pool=pool,
            application=application,
            bank_id=application.product.bank_id,
            appraiser=appraiser,
            amount=amount,
            filed_by=actor,
        )
        _post(pool, ledger.Journal.FILING, amount, memo=application.reference, filing=filing)
    return filing


def pool_filing_withdraw(*, actor, filing: PoolFiling) -> PoolFiling:
    with transaction.atomic():
        filing = PoolFiling.objects.select_for_update().get(pk=filing.pk)
        _require_bank(actor, filing.bank_id)
        transition(filing, to=FS.WITHDRAWN, actor=actor, reason="withdrawn")
        _post(filing.pool, ledger.Journal.RELEASE, filing.amount, memo=_("withdrawn"), filing=filing)
    return filing


def pool_filings_release_repaid() -> int:
    """Release the exposure of filed loans that were repaid. Daily; safe to run twice."""
    released = 0
    for filing_id in PoolFiling.objects.filter(status=FS.COVERED, loan__status=LoanStatus.REPAID).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            filing = PoolFiling.objects.select_for_update().get(pk=filing_id)
            if filing.status != FS.COVERED:
                continue
            transition(filing, to=FS.RELEASED, actor=None, reason="loan repaid")
            _post(filing.pool, ledger.Journal.RELEASE, filing.amount, memo=_("loan repaid"), filing=filing)
            released += 1
    return released


# --- Disposal -------------------------------------------------------------------------------------------


def _locked_case(case: DisposalCase) -> DisposalCase:
    return DisposalCase.objects.select_for_update(of=("self",)).select_related("loan", "asset").get(pk=case.pk)


def disposal_case_open(*, actor, loan: Loan, asset: IPAsset) -> DisposalCase:
    """The bank opens the disposal of one pledged asset of a defaulted loan. The loan's row lock makes two
    opens of the same asset at once one case and one refusal."""
    _require_bank(actor, loan.bank_id)
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
        if loan.status not in (LoanStatus.DEFAULTED, LoanStatus.WRITTEN_OFF):
            raise Conflict(_("Pledged IP is disposed of after default (the loan is %s).") % loan.get_status_display())
        pledged = list(loan.application.assets.order_by("pk").values_list("pk", flat=True))
        if asset.pk not in pledged:
            raise ValidationFailed({"asset": [_("This asset is not pledged for the loan.")]})
        if DisposalCase.objects.filter(loan=loan, asset=asset).exclude(status=D.CANCELLED).exists():
            raise DuplicateObject(_("This asset already has a disposal case."))
        # The loan's loss is attributed to its pledged assets in equal parts, exactly to the fen.
        exposure = waterfall.split(loan.outstanding_principal, dict.fromkeys(map(str, pledged), 1))[str(asset.pk)]
        return DisposalCase.objects.create(
            reference=next_reference("DSP", DisposalCase),
            loan=loan,
            asset=asset,
            bank_id=loan.bank_id,
            exposure=exposure,
            opened_by=actor,
        )


def _bank_case(actor, case: DisposalCase, status: str) -> DisposalCase:
    case = _locked_case(case)
    _check_bank_case(actor, case, status)
    return case


def _check_bank_case(actor, case: DisposalCase, status: str) -> None:
    _require_bank(actor, case.bank_id)
    if case.status != status:
        raise InvalidTransition(_("The case is %(now)s, not %(want)s.") % {"now": case.status, "want": status})


def _received_on_errors(received_on: dt.date | None) -> dict[str, list[str]]:
    """Money is recorded once it has arrived: not on a day still to come."""
    if received_on is not None and received_on > timezone.localdate():
        return {"received_on": [_("Record money once it has arrived: the date is in the future.")]}
    return {}


def _money_errors(**amounts) -> dict[str, list[str]]:
    errors = {}
    for name, (value, positive) in amounts.items():
        if value is None or value < 0 or (positive and value == 0):
            errors[name] = [_("Give a positive amount.") if positive else _("Give a non-negative amount.")]
    return errors


def _complete(
    case: DisposalCase, *, actor, route: str, counterparty: str, terms: dict, source: str, gross, costs, received_on
):
    case.route, case.counterparty, case.terms, case.closed_at = route, counterparty, terms, timezone.now()
    transition(
        case, to=D.COMPLETED, actor=actor, reason=route, extra_fields=("route", "counterparty", "terms", "closed_at")
    )
    return _recovery_record(case, actor=actor, source=source, gross=gross, costs=costs, received_on=received_on)


def disposal_direct_sale(
    *,
    actor,
    case: DisposalCase,
    route: str,
    counterparty: str,
    price: Decimal,
    costs: Decimal = ZERO,
    terms: dict | None = None,
    received_on: dt.date | None = None,
) -> Recovery:
    """An outcome in one step: an agreed transfer at a price, a sale on an IP exchange, or an equity swap
    (the shares taken at ``price``)."""
    if route not in (DisposalRoute.AGREED_TRANSFER, DisposalRoute.EXCHANGE_LISTING, DisposalRoute.EQUITY_SWAP):
        raise ValidationFailed({"route": [_("Not a one-step route.")]})
    price, costs = to_yuan(price), to_yuan(costs)
    errors = {**_money_errors(price=(price, True), costs=(costs, False)), **_received_on_errors(received_on)}
    if not counterparty.strip():
        errors["counterparty"] = [_("Name the counterparty.")]
    if "price" not in errors and "costs" not in errors and costs > price:
        errors["costs"] = [_("Costs above the price leave nothing to recover; record them against a sale.")]
    if errors:
        raise ValidationFailed(errors)
    source = RecoverySource.EQUITY if route == DisposalRoute.EQUITY_SWAP else RecoverySource.SALE
    with transaction.atomic():
        case = _bank_case(actor, case, D.OPEN)
        return _complete(
            case,
            actor=actor,
            route=route,
            counterparty=counterparty.strip(),
            terms={**(terms or {}), "price": str(price), "costs": str(costs)},
            source=source,
            gross=price,
            costs=costs,
            received_on=received_on,
        )


def auction_start(
    *, actor, case: DisposalCase, opens_at: dt.datetime, closes_at: dt.datetime, reserve_price: Decimal | None = None
) -> Auction:
    """Put the asset up for auction. The reserve is the valuation's realisable value unless the bank sets
    one (recorded as such)."""
    if closes_at <= opens_at or closes_at <= timezone.now():
        raise ValidationFailed({"closes_at": [_("The auction closes after it opens, and in the future.")]})
    if reserve_price is None:
        # The model call runs before the case is locked, so that the lock is held for the state change only.
        # Checked first on a fresh read so that no stranger and no case past this step calls it; checked again
        # under the lock.
        current = DisposalCase.objects.select_related("asset").get(pk=case.pk)
        _check_bank_case(actor, current, D.OPEN)

        valuation = asset_valuate(asset=current.asset)
        reserve, source = to_yuan(valuation.realisable), f"valuation #{valuation.pk}"
    else:
        reserve, source = to_yuan(reserve_price), "bank"
    with transaction.atomic():
        case = _bank_case(actor, case, D.OPEN)
        if reserve <= 0:
            raise ValidationFailed({"reserve_price": [_("The reserve price is positive.")]})
        auction = Auction.objects.create(
            case=case, opens_at=opens_at, closes_at=closes_at, reserve_price=reserve, reserve_source=source
        )
        case.route = DisposalRoute.AUCTION
        transition(case, to=D.AUCTION, actor=actor, reason="auction", extra_fields=("route",))
    return auction


def auction_bid(*, actor, case: DisposalCase, amount: Decimal) -> Bid:
    """A registered buyer (an SME on the platform) bids. Refused: the borrower and the lending bank (their
    own case's IP), before opening or after closing, under the reserve. Equal bids stand; the earlier wins."""
    amount = to_yuan(amount)
    loan = case.loan
    if actor.organisation_id in (loan.borrower.organisation_id, loan.bank_id):
        raise PermissionDenied(_("The borrower and the lending bank cannot bid on their own case's IP."))
    require(
        actor,
        kinds=(OrganisationKind.SME,),
        roles=SME_ROLES,
        message=_("Only registered buyers (enterprises on the platform) bid."),
    )
    with transaction.atomic():
        auction = Auction.objects.select_for_update().filter(case=case, closed_at__isnull=True).first()
        if auction is None:
            raise AuctionClosed(_("This case has no running auction."))
        now = timezone.now()  # read under the lock: a bid waiting for it is judged when it gets it
        if now < auction.opens_at:
            raise AuctionClosed(_("The auction opens at %s.") % auction.opens_at.isoformat())
        if now >= auction.closes_at:
            raise AuctionClosed(_("The auction closed at %s.") % auction.closes_at.isoformat())
        if amount < auction.reserve_price:
            raise ValidationFailed(
                {"amount": [_("The reserve price is %(reserve)s yuan.") % {"reserve": auction.reserve_price}]}
            )
        return Bid.objects.create(
            auction=auction, bidder_id=actor.organisation_id, placed_by=actor, amount=amount, placed_at=now
        )


def auction_winner(auction: Auction) -> Bid | None:
    """The highest bid at or above the reserve placed within the window; of equal bids the earlier."""
    return (
        auction.bids.filter(
            amount__gte=auction.reserve_price, placed_at__gte=auction.opens_at, placed_at__lt=auction.closes_at
        )
        .order_by("-amount", "placed_at", "id")
        .first()
    )


def auction_close(*, actor, case: DisposalCase, costs: Decimal = ZERO) -> DisposalCase:
    """After the closing time the bank closes the auction: the winner's price is recovered (less costs), or
    with no valid bid the case is open again for another route."""
    costs = to_yuan(costs)
    if costs < 0:
        raise ValidationFailed({"costs": [_("Give a non-negative amount.")]})
    with transaction.atomic():
        case = _bank_case(actor, case, D.AUCTION)
        auction = Auction.objects.select_for_update().get(case=case, closed_at__isnull=True)
        if timezone.now() < auction.closes_at:
            raise Conflict(_("The auction runs until %s.") % auction.closes_at.isoformat())
        winner = auction_winner(auction)
        auction.closed_at, auction.winning_bid = timezone.now(), winner
        auction.save(update_fields=["closed_at", "winning_bid", "updated_at"])
        if winner is None:
            case.route = ""
            transition(case, to=D.OPEN, actor=actor, reason="no valid bid", extra_fields=("route",))
            return case
        if costs > winner.amount:
            raise ValidationFailed({"costs": [_("Costs cannot exceed the price.")]})
        _complete(
            case,
            actor=actor,
            route=DisposalRoute.AUCTION,
            counterparty=str(winner.bidder),
            terms={"auction": auction.pk, "bid": winner.pk, "price": str(winner.amount), "costs": str(costs)},
            source=RecoverySource.SALE,
            gross=winner.amount,
            costs=costs,
            received_on=None,
        )
    return case


def disposal_license(*, actor, case: DisposalCase, licensee: str, royalties: list[dict]) -> DisposalCase:
    """License the asset: the licensee and the royalty schedule (``[{"due_on", "amount"}]``); royalties
    received become recoveries."""
    schedule = sorted(
        ({"due_on": r["due_on"], "amount": to_yuan(r["amount"])} for r in royalties), key=lambda r: r["due_on"]
    )
    errors = {}
    if not licensee.strip():
        errors["licensee"] = [_("Name the licensee.")]
    if not schedule or any(r["amount"] <= 0 for r in schedule):
        errors["royalties"] = [_("Give at least one royalty, each a positive amount.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        case = _bank_case(actor, case, D.OPEN)
        case.route, case.counterparty = DisposalRoute.LICENSING, licensee.strip()
        case.terms = {"royalties": [{"due_on": r["due_on"].isoformat(), "amount": str(r["amount"])} for r in schedule]}
        transition(
            case, to=D.LICENSING, actor=actor, reason="licensed", extra_fields=("route", "counterparty", "terms")
        )
    return case


def disposal_royalty_record(
    *, actor, case: DisposalCase, amount: Decimal, costs: Decimal = ZERO, received_on: dt.date | None = None
) -> Recovery:
    """A royalty received; once the schedule is paid in full the case is complete."""
    amount, costs = to_yuan(amount), to_yuan(costs)
    errors = {**_money_errors(amount=(amount, True), costs=(costs, False)), **_received_on_errors(received_on)}
    if "amount" not in errors and "costs" not in errors and costs > amount:
        errors["costs"] = [_("Costs cannot exceed the royalty.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        case = _bank_case(actor, case, D.LICENSING)
        recovery = _recovery_record(
            case, actor=actor, source=RecoverySource.ROYALTY, gross=amount, costs=costs, received_on=received_on
        )
        due = sum((Decimal(r["amount"]) for r in case.terms.get("royalties", [])), ZERO)
        received = case.recoveries.aggregate(s=Sum("gross"))["s"] or ZERO
        if received >= due:
            case.closed_at = timezone.now()
            transition(case, to=D.COMPLETED, actor=actor, reason="royalties received", extra_fields=("closed_at",))
    return recovery


def _recovery_record(
    case: DisposalCase, *, actor, source: str, gross: Decimal, costs: Decimal, received_on: dt.date | None
) -> Recovery:
    """Record a recovery. Before any claim on the loan is paid it reduces the loss (the waterfall's first
    step); after, it flows back to those who bore the loss, in their shares — the pool's part into its
    ledger."""
    received_on = received_on or timezone.localdate()
    loan = Loan.objects.select_for_update().get(pk=case.loan_id)
    net = gross - costs
    paid_claims = list(loan.claims.filter(status=C.PAID).select_related("filing__pool"))
    recovery = Recovery(
        case=case,
        loan=loan,
        source=source,
        gross=gross,
        costs=costs,
        net=net,
        received_on=received_on,
        after_payment=bool(paid_claims),
        recorded_by=actor,
    )
    summary = loan_loss_summary(loan=loan)
    if not paid_claims:
        left = summary["loss"] - summary["recovered_before_payment"]
        recovery.surplus = max(net - left, ZERO)
        recovery.save()
        return _chained(recovery, actor=actor)
    remaining = {row["party"]: row["final_loss"] for row in summary["parties"] if row["final_loss"] > 0}
    parts, surplus = waterfall.flow_back(net, remaining)
    recovery.surplus = surplus
    recovery.save()
    organisations = {CLAIM_PARTY[c.kind]: c.payer_id for c in paid_claims}
    organisations[waterfall.BANK] = loan.bank_id
    pool_claim = next((c for c in paid_claims if c.kind == ClaimKind.POOL), None)
    for party, amount in parts.items():
        if amount <= 0:
            continue
        RecoveryShare.objects.create(
            recovery=recovery, party=party, organisation_id=organisations.get(party), amount=amount
        )
        if party == waterfall.FUND and pool_claim is not None:
            _post(pool_claim.filing.pool, ledger.Journal.RECOVERY, amount, memo=case.reference, recovery=recovery)
    return _chained(recovery, actor=actor, shares=parts)


def _chained(recovery: Recovery, *, actor, shares: dict | None = None) -> Recovery:
    """Chain the recovery as evidence (and, after a payment, who got how much of it back)."""
    evidence_append(
        actor=actor,
        kind="recovery",
        record=recovery,
        fields=RECOVERY_FACTS,
        subject=recovery.loan,
        context={"shares": {party: amount for party, amount in shares.items() if amount > 0}} if shares else None,
    )
    return recovery
