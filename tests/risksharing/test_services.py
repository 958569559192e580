"""Cover bound at disbursement, claims, the pool (filing, capacity, ledger) and the disposal desk."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from tests.factories import (
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    OrganisationFactory,
    UserFactory,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from tongzhirong.financing.models import LoanStatus
from tongzhirong.lending.loans import loan_disburse
from tongzhirong.notifications.models import Notification
from tongzhirong.risksharing import selectors, services
from tongzhirong.risksharing.models import (
    Auction,
    ClaimKind,
    ClaimStatus,
    CoverKind,
    DisposalRoute,
    DisposalStatus,
    FilingStatus,
    PoolEntry,
    PoolFiling,
)
from tongzhirong.risksharing.selectors import recovery_rates
from tongzhirong.risksharing.services import AuctionClosed, PoolCapacityExceeded, disposal

from .helpers import (
    bank_officer,
    city_user,
    defaulted_loan,
    disposal_case,
    pool_for,
    put_up_for_auction,
    registered_application,
    sme_buyer,
)

D = Decimal


def underwriter(org):
    return UserFactory(organisation=org, role=Role.UNDERWRITER)


# --- Cover at disbursement and claims on default ------------------------------------------------------------


@pytest.mark.django_db
def test_disbursement_binds_insurance_and_guarantee_with_premium_and_fee_exact_to_the_fen():
    officer = bank_officer()
    insurance = InsuranceProductFactory(premium_rate=D("0.012345"), coverage_ratio=D("0.7"), coverage_cap=D("200000"))
    guarantee = GuaranteeProductFactory(fee_rate=D("0.01"), coverage_ratio=D("0.8"))
    application = registered_application(
        officer, amount="333333.33", insurance_product=insurance, guarantee_product=guarantee
    )
    application.approved_term_months = 7
    application.save()
    loan = loan_disburse(actor=officer, application=application, contract_number="JK-COVER-1")
    policies = {p.kind: p for p in loan.cover_policies.all()}
    # 333,333.33 × 1.2345% × 7/12 = 2,400.4166… → 2,400.42; the guarantee fee 1,944.444… → 1,944.44.
    assert policies[CoverKind.INSURANCE].premium == D("2400.42")
    assert policies[CoverKind.INSURANCE].provider_id == insurance.insurer_id
    assert policies[CoverKind.INSURANCE].coverage_cap == D("200000.00")
    assert policies[CoverKind.GUARANTEE].premium == D("1944.44")
    assert policies[CoverKind.GUARANTEE].coverage_cap is None


@pytest.mark.django_db
def test_default_opens_a_claim_per_cover_and_tells_bank_and_insurer(django_capture_on_commit_callbacks):
    officer = bank_officer()
    insurance = InsuranceProductFactory()
    insurer_person = underwriter(insurance.insurer)
    application = registered_application(officer, insurance_product=insurance)
    with django_capture_on_commit_callbacks(execute=True):
        loan = defaulted_loan(officer, application)
    assert loan.status == LoanStatus.DEFAULTED
    claim = loan.claims.get()
    assert (claim.kind, claim.status, claim.payer_id) == (ClaimKind.INSURANCE, ClaimStatus.OPEN, insurance.insurer_id)
    assert Notification.objects.filter(recipient=insurer_person, title__contains=loan.contract_number).exists()
    assert Notification.objects.filter(recipient=officer, title__contains="Default").exists()


@pytest.fixture
def insured_default(db):
    officer = bank_officer()
    insurance = InsuranceProductFactory(coverage_ratio=D("0.5"), coverage_cap=D("100000"))
    application = registered_application(officer, amount="300000.00", insurance_product=insurance)
    loan = defaulted_loan(officer, application)
    return officer, underwriter(insurance.insurer), loan, loan.claims.get()


def test_a_claim_is_payable_within_ratio_and_cap(insured_default):
    officer, _, _loan, claim = insured_default
    # 50% of 300,000 is 150,000, above the 100,000 cap.
    with pytest.raises(ValidationFailed):
        services.claim_submit(actor=officer, claim=claim, claimed_amount=D("100000.01"))
    claim = services.claim_submit(actor=officer, claim=claim)
    assert (claim.coverage, claim.claimed_amount) == (D("100000.00"), D("100000.00"))


def test_the_insurer_approves_at_most_what_was_claimed_then_records_payment(insured_default):
    officer, insurer, _loan, claim = insured_default
    services.claim_submit(actor=officer, claim=claim, claimed_amount=D("90000"))
    with pytest.raises(ValidationFailed):
        services.claim_approve(actor=insurer, claim=claim, amount=D("90000.01"))
    with pytest.raises(PermissionDenied):
        services.claim_approve(actor=officer, claim=claim, amount=D("1"))
    services.claim_approve(actor=insurer, claim=claim, amount=D("85000"))
    paid = services.claim_record_payment(actor=insurer, claim=claim, reference="PAY-1")
    assert (paid.status, paid.paid_amount) == (ClaimStatus.PAID, D("85000.00"))
    with pytest.raises(InvalidTransition) as again:
        services.claim_record_payment(actor=insurer, claim=paid, reference="PAY-2")
    assert "(it is Paid 已赔付)" in str(again.value.detail)  # the status's label, not its code


def test_another_insurer_cannot_decide_and_a_rejection_needs_a_reason(insured_default):
    officer, insurer, loan, claim = insured_default
    services.claim_submit(actor=officer, claim=claim)
    with pytest.raises(PermissionDenied):
        services.claim_reject(actor=underwriter(InsuranceProductFactory().insurer), claim=claim, reason="no")
    with pytest.raises(ValidationFailed):
        services.claim_reject(actor=insurer, claim=claim, reason=" ")
    assert services.claim_reject(actor=insurer, claim=claim, reason="质押物权属瑕疵").status == ClaimStatus.REJECTED
    # A rejected claim leaves the insurer nothing in the waterfall: the bank bears it.
    assert selectors.loan_allocation(loan=loan).shares["insurer"] == 0


# --- The pool ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filing_counts_against_fund_times_leverage():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, fund="100000.00", leverage="10")  # capacity 1,000,000
    services.pool_file(actor=officer, pool=pool, application=registered_application(officer, amount="600000"))
    services.pool_file(actor=officer, pool=pool, application=registered_application(officer, amount="400000"))
    with pytest.raises(PoolCapacityExceeded):
        services.pool_file(actor=officer, pool=pool, application=registered_application(officer, amount="0.01"))
    assert selectors.pool_position(pool=pool).exposure == D("1000000.00")


@pytest.mark.django_db
def test_filing_follows_the_pools_eligibility_rules():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, eligible_districts=["320612"], required_tech_markers=["high_tech"], max_loan_amount=D("1e5"))
    enterprise = EnterpriseFactory(district="320613", is_high_tech=False)
    with pytest.raises(ValidationFailed) as refused:
        services.pool_file(actor=officer, pool=pool, application=registered_application(officer, enterprise=enterprise))
    assert len(refused.value.errors["application"]) == 3


@pytest.mark.django_db
def test_a_loan_is_filed_before_disbursement_and_covered_by_it():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city)
    application = registered_application(officer)
    filing = services.pool_file(actor=officer, pool=pool, application=application)
    loan = loan_disburse(actor=officer, application=application, contract_number="JK-POOL-1")
    filing.refresh_from_db()
    assert (filing.status, filing.loan_id) == (FilingStatus.COVERED, loan.pk)
    application.refresh_from_db()
    with pytest.raises(Conflict):  # after disbursement: too late
        services.pool_file(actor=officer, pool=pool, application=application)


@pytest.mark.django_db
def test_withdrawing_releases_the_exposure_and_every_journal_balances():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city)
    filing = services.pool_file(actor=officer, pool=pool, application=registered_application(officer))
    services.pool_filing_withdraw(actor=officer, filing=filing)
    assert selectors.pool_position(pool=pool).exposure == 0
    assert selectors.pool_position(pool=pool).balance == D("100000.00")
    for journal in pool.journals.all():
        sums = journal.entries.aggregate(d=Sum("debit"), c=Sum("credit"))
        assert sums["d"] == sums["c"] == journal.amount


@pytest.mark.django_db
def test_only_the_city_office_sets_up_a_pool():
    with pytest.raises(PermissionDenied):
        pool_for(bank_officer())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_never_push_exposure_past_the_cap():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, fund="100000.00", leverage="10")  # capacity 1,000,000: room for three of 300,000
    applications = [registered_application(officer, amount="300000.00") for _ in range(8)]
    outcomes, barrier = [], threading.Barrier(len(applications))

    def file(application):
        barrier.wait()
        try:
            services.pool_file(actor=officer, pool=pool, application=application)
            outcomes.append("filed")
        except PoolCapacityExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["filed"] * 3 + ["refused"] * 5
    assert selectors.pool_exposure(pool=pool) == D("900000.00")
    assert selectors.pool_position(pool=pool).exposure == D("900000.00")


@pytest.mark.django_db
def test_the_pool_claim_pays_its_share_and_releases_the_exposure():
    city, officer = city_user(), bank_officer()
    pool = pool_for(city, fund="1000000.00", trigger_days_past_due=60)
    application = registered_application(officer, amount="300000.00")
    filing = services.pool_file(actor=officer, pool=pool, application=application)
    loan = defaulted_loan(officer, application)
    filing.refresh_from_db()
    claim = services.pool_claim_create(actor=officer, filing=filing)
    assert claim.coverage == D("120000.00")  # 40% of 300,000
    services.claim_approve(actor=city, claim=claim, amount=claim.coverage)
    services.claim_record_payment(actor=city, claim=claim)
    position = selectors.pool_position(pool=pool)
    assert (position.balance, position.claims_paid, position.exposure) == (D("880000.00"), D("120000.00"), 0)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SETTLED
    assert selectors.loan_loss_summary(loan=loan)["parties"][1]["final_loss"] == D("180000.00")


# --- Disposal ------------------------------------------------------------------------------------------------


@pytest.fixture
def auction_case(db):
    case = put_up_for_auction(disposal_case())
    return case.opened_by, case.loan, case


def _close_time_passes(case):
    """The auction's closing time is now in the past (as if a day went by)."""
    Auction.objects.filter(case=case).update(opens_at=timezone.now() - dt.timedelta(days=2), closes_at=timezone.now())


def test_a_bid_under_the_reserve_is_refused(auction_case):
    _, _, case = auction_case
    with pytest.raises(ValidationFailed):
        services.auction_bid(actor=sme_buyer(), case=case, amount=D("99999.99"))
    assert services.auction_bid(actor=sme_buyer(), case=case, amount=D("100000.00")).amount == D("100000.00")


def test_no_bid_after_the_close(auction_case):
    _, _, case = auction_case
    _close_time_passes(case)
    with pytest.raises(AuctionClosed):
        services.auction_bid(actor=sme_buyer(), case=case, amount=D("150000"))


@pytest.mark.django_db
def test_no_bid_before_the_opening():
    officer = bank_officer()
    application = registered_application(officer)
    loan = defaulted_loan(officer, application)
    case = services.disposal_case_open(actor=officer, loan=loan, asset=application.assets.get())
    now = timezone.now()
    services.auction_start(
        actor=officer, case=case, opens_at=now + dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1)
    )
    with pytest.raises(AuctionClosed):
        services.auction_bid(actor=sme_buyer(), case=case, amount=D("1e9"))


@pytest.mark.django_db
def test_a_case_not_at_auction_is_no_listing_to_a_buyer():
    # As GET /auctions/ and the bids endpoint answer a buyer (404): the service said 409 auction_closed instead,
    # telling a stranger that the case exists and what state it is in.
    with pytest.raises(NotFound):
        services.auction_bid(actor=sme_buyer(), case=disposal_case(), amount=D("150000"))


def test_of_equal_bids_the_earlier_wins(auction_case):
    officer, _, case = auction_case
    early, late = sme_buyer(), sme_buyer()
    services.auction_bid(actor=sme_buyer(), case=case, amount=D("120000"))
    services.auction_bid(actor=early, case=case, amount=D("150000"))
    services.auction_bid(actor=late, case=case, amount=D("150000"))
    _close_time_passes(case)
    case = services.auction_close(actor=officer, case=case, costs=D("5000"))
    assert case.status == DisposalStatus.COMPLETED
    assert case.auctions.get().winning_bid.bidder_id == early.organisation_id
    recovery = case.recoveries.get()
    assert (recovery.gross, recovery.costs, recovery.net) == (D("150000.00"), D("5000.00"), D("145000.00"))


def test_the_borrower_and_the_lending_bank_cannot_bid_on_their_own_cases_ip(auction_case):
    officer, loan, case = auction_case
    borrower = UserFactory(organisation=loan.borrower.organisation, role=Role.SME_OWNER)
    for own_side in (borrower, officer):
        with pytest.raises(PermissionDenied):
            services.auction_bid(actor=own_side, case=case, amount=D("200000"))
    other_bank = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.BANK), role=Role.BANK_OFFICER)
    with pytest.raises(PermissionDenied):  # not a registered buyer either
        services.auction_bid(actor=other_bank, case=case, amount=D("200000"))


def test_an_auction_without_a_valid_bid_reopens_the_case(auction_case):
    officer, _, case = auction_case
    _close_time_passes(case)
    case = services.auction_close(actor=officer, case=case)
    assert (case.status, case.route) == (DisposalStatus.OPEN, "")
    with pytest.raises(InvalidTransition):
        services.auction_close(actor=officer, case=case)


@pytest.mark.django_db
def test_the_reserve_defaults_to_the_valuations_realisable_value():
    from scoring.services import asset_valuate

    officer = bank_officer()
    application = registered_application(officer)
    loan = defaulted_loan(officer, application)
    asset = application.assets.get()
    case = services.disposal_case_open(actor=officer, loan=loan, asset=asset)
    now = timezone.now()
    auction = services.auction_start(actor=officer, case=case, opens_at=now, closes_at=now + dt.timedelta(days=7))
    valuation = asset_valuate(asset=asset)
    assert auction.reserve_price == valuation.realisable
    assert (auction.reserve_source, auction.reserve_valuation) == ("valuation", valuation)
    assert auction.reserve_source_label == f"valuation #{valuation.pk}"


@pytest.fixture
def steps(monkeypatch):
    """The order in which ``auction_start`` values the asset and locks the case."""

    seen = []
    valuate, lock = disposal.asset_valuate, disposal._locked_case

    def valuing(**kwargs):
        seen.append("valuate")
        return valuate(**kwargs)

    def locking(case):
        seen.append("lock")
        return lock(case)

    monkeypatch.setattr(disposal, "asset_valuate", valuing)
    monkeypatch.setattr(disposal, "_locked_case", locking)
    return seen


@pytest.fixture
def open_case(db):
    officer = bank_officer()
    application = registered_application(officer)
    loan = defaulted_loan(officer, application)
    return officer, services.disposal_case_open(actor=officer, loan=loan, asset=application.assets.get())


def test_the_asset_is_valued_before_the_case_is_locked(steps, open_case):
    officer, case = open_case
    now = timezone.now()
    services.auction_start(actor=officer, case=case, opens_at=now, closes_at=now + dt.timedelta(days=7))
    assert steps == ["valuate", "lock"]
    case.refresh_from_db()
    assert case.status == DisposalStatus.AUCTION


def test_another_bank_or_a_case_past_the_step_is_refused_before_any_valuation(steps, open_case):
    officer, case = open_case
    now, week = timezone.now(), dt.timedelta(days=7)
    with pytest.raises(PermissionDenied):
        services.auction_start(actor=bank_officer(), case=case, opens_at=now, closes_at=now + week)
    assert steps == []
    services.auction_start(actor=officer, case=case, opens_at=now, closes_at=now + week, reserve_price=D("100000"))
    steps.clear()
    with pytest.raises(InvalidTransition):
        services.auction_start(actor=officer, case=case, opens_at=now, closes_at=now + week)  # stale: now at auction
    assert "valuate" not in steps


@pytest.mark.django_db
def test_royalties_become_recoveries_and_complete_the_licence():
    officer = bank_officer()
    application = registered_application(officer)
    loan = defaulted_loan(officer, application)
    case = services.disposal_case_open(actor=officer, loan=loan, asset=application.assets.get())
    today = timezone.localdate()
    royalties = [{"due_on": today, "amount": D("30000")}, {"due_on": today + dt.timedelta(days=90), "amount": 20000}]
    services.disposal_license(actor=officer, case=case, licensee="南通某科技有限公司", royalties=royalties)
    services.disposal_royalty_record(actor=officer, case=case, amount=D("30000"))
    case.refresh_from_db()
    assert case.status == DisposalStatus.LICENSING
    services.disposal_royalty_record(actor=officer, case=case, amount=D("20000"), costs=D("1000"))
    case.refresh_from_db()
    assert case.status == DisposalStatus.COMPLETED
    assert case.recoveries.aggregate(s=Sum("net"))["s"] == D("49000.00")


@pytest.mark.django_db
def test_money_is_not_recorded_as_arrived_on_a_day_still_to_come():
    case = disposal_case()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        services.disposal_direct_sale(
            actor=case.opened_by, case=case, route=DisposalRoute.AGREED_TRANSFER, counterparty="买方",
            price=D("50000"), received_on=tomorrow,
        )  # fmt: skip
    assert set(refused.value.errors) == {"received_on"}
    services.disposal_license(
        actor=case.opened_by, case=case, licensee="被许可方", royalties=[{"due_on": tomorrow, "amount": D("1000")}]
    )
    with pytest.raises(ValidationFailed) as refused:
        services.disposal_royalty_record(actor=case.opened_by, case=case, amount=D("1000"), received_on=tomorrow)
    assert set(refused.value.errors) == {"received_on"}
    assert not case.recoveries.exists()
    services.disposal_royalty_record(
        actor=case.opened_by, case=case, amount=D("1000"), received_on=timezone.localdate()
    )
    assert case.recoveries.count() == 1


@pytest.mark.django_db
def test_recovery_rate_by_route_and_ip_type():
    officer = bank_officer()
    application = registered_application(officer, amount="200000.00", assets=2)
    loan = defaulted_loan(officer, application)
    first, second = application.assets.order_by("pk")
    for asset, price in ((first, "50000"), (second, "30000")):
        case = services.disposal_case_open(actor=officer, loan=loan, asset=asset)
        services.disposal_direct_sale(
            actor=officer, case=case, route=DisposalRoute.AGREED_TRANSFER, counterparty="买方", price=D(price)
        )
    [row] = recovery_rates(user=officer)
    assert (row["route"], row["cases"], row["exposure"], row["net"]) == (
        "agreed_transfer",
        2,
        D("200000.00"),
        D("80000.00"),
    )
    assert row["rate"] == D("0.4000")


@pytest.mark.django_db
def test_disposal_waits_for_default():
    officer = bank_officer()
    application = registered_application(officer)
    loan = loan_disburse(actor=officer, application=application, contract_number="JK-LIVE")
    with pytest.raises(Conflict):
        services.disposal_case_open(actor=officer, loan=loan, asset=application.assets.get())
    assert not PoolFiling.objects.exists()
    assert not PoolEntry.objects.exists()


@pytest.mark.django_db
def test_an_appraiser_sees_the_pool_filings_it_appraised_and_no_others():
    from tests.factories import OrganisationFactory, UserFactory
    from tongzhirong.accounts.models import OrganisationKind, Role
    from tongzhirong.risksharing.selectors import pool_filing_list
    from tongzhirong.risksharing.services import pool_file

    from .helpers import bank_officer, city_user, pool_for, registered_application

    appraiser = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.APPRAISER), role=Role.APPRAISER)
    officer = bank_officer()
    pool = pool_for(city_user())
    ours = pool_file(
        actor=officer, pool=pool, application=registered_application(officer), appraiser=appraiser.organisation
    )
    pool_file(actor=officer, pool=pool, application=registered_application(officer))
    assert list(pool_filing_list(user=appraiser)) == [ours]
