"""What each caller may see of risk sharing: scoped querysets and the recovery report."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet, Sum

from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.models import StatusChange
from tongzhirong.financing.models import Loan

from . import ledger, waterfall
from .models import (
    LIVE_FILING,
    Auction,
    Bid,
    Claim,
    ClaimKind,
    CoverPolicy,
    CoverRequest,
    DisposalCase,
    DisposalStatus,
    FilingStatus,
    Pool,
    PoolEntry,
    PoolFiling,
    PoolJournal,
    RecoveryShare,
)
from .models import ClaimStatus as C

ZERO = Decimal("0.00")


def _is_platform(user) -> bool:
    return user.is_superuser or user.kind == OrganisationKind.PLATFORM


def cover_policy_list(*, user) -> QuerySet[CoverPolicy]:
    """The lending bank and the borrower see a loan's cover; the insurer or guarantor its own policies."""
    qs = CoverPolicy.objects.select_related("loan", "provider")
    if _is_platform(user):
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(loan__bank_id=user.organisation_id)
    if user.kind == OrganisationKind.SME:
        return qs.filter(loan__borrower__organisation_id=user.organisation_id)
    if user.kind in (OrganisationKind.INSURER, OrganisationKind.GUARANTOR):
        return qs.filter(provider_id=user.organisation_id)
    return qs.none()


def cover_request_list(*, user) -> QuerySet[CoverRequest]:
    """The lending bank and the borrower see the cover asked for an application; the insurer or guarantor asked,
    its own requests."""
    qs = CoverRequest.objects.select_related(
        "application__enterprise", "application__product__bank", "provider", "insurance_product", "guarantee_product"
    )
    if _is_platform(user):
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(application__product__bank_id=user.organisation_id)
    if user.kind == OrganisationKind.SME:
        return qs.filter(application__enterprise__organisation_id=user.organisation_id)
    if user.kind in (OrganisationKind.INSURER, OrganisationKind.GUARANTOR):
        return qs.filter(provider_id=user.organisation_id)
    return qs.none()


def cover_request_histories(*, requests) -> dict[int, list]:
    """Each request's status changes (who moved it, when, why), oldest first, by request id."""
    return _histories(CoverRequest, [r.pk for r in requests])


def claim_list(*, user) -> QuerySet[Claim]:
    """The claimant bank and the payer (insurer, guarantor, the pool's operator) see a claim."""
    qs = Claim.objects.select_related("loan", "bank", "payer").prefetch_related("documents")
    if _is_platform(user):
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    if user.kind in (OrganisationKind.INSURER, OrganisationKind.GUARANTOR, OrganisationKind.CITY_OFFICE):
        return qs.filter(payer_id=user.organisation_id)
    return qs.none()


def pool_list(*, user) -> QuerySet[Pool]:
    """Pools are public to signed-in users: banks choose where to file."""
    return Pool.objects.select_related("operator").prefetch_related("sponsors__organisation")


def pool_filing_list(*, user) -> QuerySet[PoolFiling]:
    qs = PoolFiling.objects.select_related("pool", "application", "loan", "bank")
    if _is_platform(user):
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    if user.kind == OrganisationKind.CITY_OFFICE:
        return qs.filter(pool__operator_id=user.organisation_id)
    if user.kind == OrganisationKind.APPRAISER:  # it bears its share of the loss on the loans it appraised
        return qs.filter(appraiser_id=user.organisation_id)
    return qs.none()


def pool_balances_visible(*, user) -> bool:
    """A pool's cash, claims paid and recoveries are the city's books: shown to the city office and the platform,
    as the dashboard shows them; a bank sees the exposure of its own filings there, not the pools' balances."""
    return _is_platform(user) or user.kind == OrganisationKind.CITY_OFFICE


def pool_may_read_ledger(*, user, pool: Pool) -> bool:
    return _is_platform(user) or (
        user.kind == OrganisationKind.CITY_OFFICE and user.organisation_id == pool.operator_id
    )


def pool_journal_list(*, pool: Pool) -> QuerySet[PoolJournal]:
    return pool.journals.prefetch_related("entries").order_by("created_at", "id")


def _cases():
    return DisposalCase.objects.select_related("loan__borrower", "asset", "bank").prefetch_related(
        Prefetch(
            "auctions",
            queryset=Auction.objects.select_related("winning_bid").prefetch_related(
                Prefetch("bids", queryset=Bid.objects.select_related("bidder"))
            ),
        ),
        "recoveries",
    )


def disposal_case_list(*, user) -> QuerySet[DisposalCase]:
    """The cases whose books the caller may read — the loan, the exposure, the sale and its recoveries: the
    lending bank its own, the borrower its own, the platform all. A would-be buyer sees auctions through
    ``auction_listing_list``."""
    qs = _cases()
    if _is_platform(user):
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    if user.kind == OrganisationKind.SME:
        return qs.filter(loan__borrower__organisation_id=user.organisation_id)
    return qs.none()


def auction_listing_list(*, user) -> QuerySet[DisposalCase]:
    """The running auctions a registered buyer (any enterprise on the platform, the borrower excepted) may bid
    in, read only as far as an auction listing shows (the right, the seller, the window, the reserve and the
    bids): never the defaulted loan or its exposure."""
    if not (_is_platform(user) or user.kind == OrganisationKind.SME):
        return DisposalCase.objects.none()
    running = _cases().filter(status=DisposalStatus.AUCTION, auctions__closed_at__isnull=True).distinct()
    if user.kind == OrganisationKind.SME:
        running = running.exclude(loan__borrower__organisation_id=user.organisation_id)
    return running


def recovery_rates(*, user) -> list[dict]:
    """Recovery rate (net recovered ÷ exposure attributed) by route and IP type, over the cases with a route
    taken: a bank's own, or the whole city's for the city office and the platform."""
    cases = DisposalCase.objects.exclude(route="")
    if user.kind == OrganisationKind.BANK:
        cases = cases.filter(bank_id=user.organisation_id)
    elif not (_is_platform(user) or user.kind == OrganisationKind.CITY_OFFICE):
        cases = cases.none()
    rows: dict[tuple[str, str], dict] = {}
    for case in cases.select_related("asset").prefetch_related("recoveries"):
        key = (case.route, case.asset.ip_type)
        row = rows.setdefault(
            key,
            {
                "route": key[0],
                "ip_type": key[1],
                "cases": 0,
                "exposure": ZERO,
                "gross": ZERO,
                "costs": ZERO,
                "net": ZERO,
            },
        )
        row["cases"] += 1
        row["exposure"] += case.exposure
        for r in case.recoveries.all():
            row["gross"] += r.gross
            row["costs"] += r.costs
            row["net"] += r.net
    for row in rows.values():
        row["rate"] = (row["net"] / row["exposure"]).quantize(Decimal("0.0001")) if row["exposure"] else None
    return sorted(rows.values(), key=lambda r: (r["route"], r["ip_type"]))


FS = FilingStatus


# --- Who bears what: the waterfall on the loan's records, and the pools' positions ---------------------

PARTY_OF_KIND = {ClaimKind.INSURANCE: waterfall.INSURER, ClaimKind.GUARANTEE: waterfall.GUARANTOR}
CLAIM_PARTY = {**PARTY_OF_KIND, ClaimKind.POOL: waterfall.FUND}


def claim_limit(claim: Claim | None) -> Decimal | None:
    if claim is None or claim.status in (C.OPEN, C.SUBMITTED):
        return None
    return ZERO if claim.status == C.REJECTED else claim.approved_amount


def live_claims(loan: Loan) -> dict[str, Claim]:
    return {c.kind: c for c in loan.claims.exclude(status=C.WITHDRAWN)}


def live_filing(loan: Loan) -> PoolFiling | None:
    return (
        PoolFiling.objects.select_related("pool")
        .filter(loan=loan, status__in=(FS.COVERED, FS.CLAIMED, FS.SETTLED))
        .first()
    )


def loan_allocation(*, loan: Loan) -> waterfall.Allocation:
    """The loss waterfall on the loan's records now: its outstanding principal as the loss; recoveries kept
    before any claim was paid (and the bank's own part of later ones) first; then each cover within its
    ratio, cap and decision; then the pool's shares, the fund within its per-loan cap and its cash."""
    claims = live_claims(loan)
    covers = {
        PARTY_OF_KIND[p.kind]: waterfall.Cover(
            ratio=p.coverage_ratio, cap=p.coverage_cap, limit=claim_limit(claims.get(p.kind))
        )
        for p in loan.cover_policies.all()
    }
    recovered = loan.recoveries.filter(after_payment=False).aggregate(s=Sum("net"))["s"] or ZERO
    recovered += (
        RecoveryShare.objects.filter(recovery__loan=loan, party=waterfall.BANK).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    filing = live_filing(loan)
    if filing is None:
        return waterfall.allocate(
            loan.outstanding_principal, recovered=recovered, covers=covers, order=(waterfall.RECOVERY, waterfall.COVER)
        )
    pool = filing.pool
    pool_claim = claims.get(ClaimKind.POOL)
    fund_cap = claim_limit(pool_claim)
    if fund_cap is None:
        fund_cap = pool_position(pool=pool).balance
        if pool.max_compensation_per_loan is not None:
            fund_cap = min(fund_cap, pool.max_compensation_per_loan)
    caps = {waterfall.FUND: max(fund_cap, ZERO)}
    if pool.appraiser_cap is not None:
        caps[waterfall.APPRAISER] = pool.appraiser_cap
    return waterfall.allocate(
        loan.outstanding_principal,
        recovered=recovered,
        covers=covers,
        pool=waterfall.PoolTerms(weights=pool.weights(), caps=caps),
        appraiser_on_loan=filing.appraiser_id is not None,
        order=pool.waterfall_order or waterfall.DEFAULT_ORDER,
    )


def loan_loss_summary(*, loan: Loan) -> dict:
    """The loss as it stands, per party: what each bore (paid claims; the bank the rest), what came back to
    it from recoveries after payment, and its final loss. Final losses plus recoveries add up to the loss."""
    loss = loan.outstanding_principal
    before = min(loan.recoveries.filter(after_payment=False).aggregate(s=Sum("net"))["s"] or ZERO, loss)
    paid = dict.fromkeys(waterfall.PARTIES, ZERO)
    for claim in loan.claims.filter(status=C.PAID):
        paid[CLAIM_PARTY[claim.kind]] += claim.paid_amount
    borne = {**paid, waterfall.BANK: loss - before - sum(paid.values(), ZERO)}
    back = dict.fromkeys(waterfall.PARTIES, ZERO)
    for share in RecoveryShare.objects.filter(recovery__loan=loan):
        back[share.party] += share.amount
    final = {p: borne[p] - back[p] for p in waterfall.PARTIES}
    allocation = loan_allocation(loan=loan)
    return {
        "loss": loss,
        "recovered_before_payment": before,
        "recovered_after_payment": sum(back.values(), ZERO),
        "surplus": loan.recoveries.aggregate(s=Sum("surplus"))["s"] or ZERO,
        "parties": [
            {
                "party": p,
                "expected": allocation.shares[p],
                "borne": borne[p],
                "recovered": back[p],
                "final_loss": final[p],
            }
            for p in waterfall.PARTIES
        ],
    }


def pool_position(*, pool: Pool) -> ledger.Position:
    return pools_positions(pools=[pool])[pool.pk]


def pools_positions(*, pools) -> dict[int, ledger.Position]:
    """The position of each of ``pools`` from their ledger entries, in one grouped query."""
    rows = (
        PoolEntry.objects.filter(journal__pool__in=pools)
        .values("journal__pool_id", "account")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    postings: dict[int, list[ledger.Posting]] = {pool.pk: [] for pool in pools}
    for r in rows:
        postings[r["journal__pool_id"]].append(ledger.Posting(ledger.Account(r["account"]), r["debit"], r["credit"]))
    return {pk: ledger.position(entries) for pk, entries in postings.items()}


def pool_exposure(*, pool: Pool) -> Decimal:
    return pool.filings.filter(status__in=LIVE_FILING).aggregate(s=Sum("amount"))["s"] or ZERO


def claim_histories(*, claims) -> dict[int, list]:
    """Each claim's status changes (who moved it, when, why), oldest first, by claim id: two queries for a page."""
    return _histories(Claim, [c.pk for c in claims])


def _histories(model, ids: list[int]) -> dict[int, list]:
    history = {pk: [] for pk in ids}
    changes = (
        StatusChange.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
        .select_related("actor__organisation")
        .order_by("created_at", "id")
    )
    for change in changes:
        history[change.object_id].append(change)
    return history
