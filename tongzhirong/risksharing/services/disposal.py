"""Disposal of pledged IP: direct sales, auctions, licences, and the recoveries they bring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.services import asset_valuate
from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import SME_ROLES, OrganisationKind
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import (
    Conflict,
    DuplicateObject,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tongzhirong.core.models import next_reference
from tongzhirong.core.money import to_yuan
from tongzhirong.evidence.services import evidence_append
from tongzhirong.evidence.state import transition
from tongzhirong.financing.models import Loan, LoanStatus

from .. import ledger, waterfall
from ..models import (
    Auction,
    Bid,
    ClaimKind,
    DisposalCase,
    DisposalRoute,
    Recovery,
    RecoveryShare,
    RecoverySource,
    ReserveSource,
)
from ..selectors import CLAIM_PARTY, loan_loss_summary
from .common import ZERO, C, D, pool_post, require_bank

# What the evidence chain holds of a recovery (fields never changed afterwards).
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


class AuctionClosed(Conflict):
    code = "auction_closed"
    title = "The auction does not take bids now."


def _locked_case(case: DisposalCase) -> DisposalCase:
    return DisposalCase.objects.select_for_update(of=("self",)).select_related("loan", "asset").get(pk=case.pk)


def disposal_case_open(*, actor, loan: Loan, asset: IPAsset) -> DisposalCase:
    """The bank opens the disposal of one pledged asset of a defaulted loan. The loan's row lock makes two
    opens of the same asset at once one case and one refusal."""
    require_bank(actor, loan.bank_id)
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
    require_bank(actor, case.bank_id)
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
        reserve = to_yuan(valuation.realisable)
    else:
        valuation, reserve = None, to_yuan(reserve_price)
    with transaction.atomic():
        case = _bank_case(actor, case, D.OPEN)
        if reserve <= 0:
            raise ValidationFailed({"reserve_price": [_("The reserve price is positive.")]})
        auction = Auction.objects.create(
            case=case,
            opens_at=opens_at,
            closes_at=closes_at,
            reserve_price=reserve,
            reserve_source=ReserveSource.BANK if valuation is None else ReserveSource.VALUATION,
            reserve_valuation=valuation,
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
        if auction is None:  # to a buyer a case is a listing only while its auction runs, as the API lists it
            raise NotFound(_("This case has no running auction."))
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
            pool_post(pool_claim.filing.pool, ledger.Journal.RECOVERY, amount, memo=case.reference, recovery=recovery)
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
