"""What each caller may see of risk sharing: scoped querysets and the recovery report."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from tongzhirong.accounts.models import OrganisationKind

from .models import Auction, Bid, Claim, CoverPolicy, DisposalCase, DisposalStatus, Pool, PoolFiling, PoolJournal

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


def pool_may_read_ledger(*, user, pool: Pool) -> bool:
    return _is_platform(user) or (
        user.kind == OrganisationKind.CITY_OFFICE and user.organisation_id == pool.operator_id
    )


def pool_journal_list(*, pool: Pool) -> QuerySet[PoolJournal]:
    return pool.journals.prefetch_related("entries").order_by("created_at", "id")


def disposal_case_list(*, user) -> QuerySet[DisposalCase]:
    """The lending bank its cases; the borrower its own; any registered buyer the cases in a running
    auction; the platform all."""
    qs = DisposalCase.objects.select_related("loan__borrower", "asset", "bank").prefetch_related(
        Prefetch(
            "auctions",
            queryset=Auction.objects.select_related("winning_bid").prefetch_related(
                Prefetch("bids", queryset=Bid.objects.select_related("bidder"))
            ),
        ),
        "recoveries",
    )
    if _is_platform(user):
        return qs
    if user.kind == OrganisationKind.BANK:
        return qs.filter(bank_id=user.organisation_id)
    if user.kind == OrganisationKind.SME:
        running = Q(status=DisposalStatus.AUCTION, auctions__closed_at__isnull=True)
        return qs.filter(Q(loan__borrower__organisation_id=user.organisation_id) | running).distinct()
    return qs.none()


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
