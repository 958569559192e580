"""The bank's disposal case page: each route its status allows, taken through the services; bad input comes
back on the form and writes nothing; other banks and other sides cannot open it."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.risksharing.helpers import bank_officer, disposal_case, put_up_for_auction, sme_buyer
from tests.web.test_pages import queries_for, signed_in
from tongzhirong.accounts.models import Role
from tongzhirong.risksharing import services
from tongzhirong.risksharing.models import Auction, Bid, DisposalCase, DisposalStatus, Recovery

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return disposal_case()


@pytest.fixture
def officer(case):
    return case.opened_by


def url(case):
    return reverse("web:bank-disposal-case", args=[case.pk])


def post(client, case, **data):
    return client.post(url(case), data)


def test_the_desk_links_each_case_to_its_page_which_offers_the_routes_of_an_open_case(client, officer, case):
    signed_in(client, officer)
    assert url(case) in client.get(reverse("web:bank-disposal")).content.decode()
    page = client.get(url(case)).content.decode()
    assert case.reference in page
    assert case.loan.contract_number in page
    for action in ("sale", "auction", "licence"):
        assert f'name="action" value="{action}"' in page
    for action in ("close", "royalty"):
        assert f'name="action" value="{action}"' not in page


def test_an_agreed_transfer_completes_the_case_with_its_recovery(client, officer, case):
    signed_in(client, officer)
    response = post(
        client, case, action="sale", route="agreed_transfer", counterparty="江海科技", price="180000", costs=""
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.route, case.counterparty) == (DisposalStatus.COMPLETED, "agreed_transfer", "江海科技")
    recovery = case.recoveries.get()
    assert (recovery.gross, recovery.costs, recovery.net) == (D("180000.00"), D("0.00"), D("180000.00"))
    page = client.get(url(case)).content.decode()
    assert "180000.00" in page
    assert 'name="action"' not in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"route": "agreed_transfer", "counterparty": "", "price": "1000"}, "counterparty"),
        ({"route": "agreed_transfer", "counterparty": "X", "price": "-5"}, "price"),
        ({"route": "agreed_transfer", "counterparty": "X", "price": "abc"}, "price"),
        ({"route": "auction", "counterparty": "X", "price": "1000"}, "route"),  # not a one-step route
        ({"route": "agreed_transfer", "counterparty": "X", "price": "1000", "costs": "2000"}, "costs"),  # the service
        (
            {"route": "agreed_transfer", "counterparty": "X", "price": "1000", "received_on": "2999-01-01"},
            "received_on",
        ),
    ],
)
def test_bad_sale_input_comes_back_on_the_form_and_writes_nothing(client, officer, case, data, field):
    signed_in(client, officer)
    response = post(client, case, action="sale", **data)
    assert response.status_code == 200
    assert f'id="id_{field}-errors"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == DisposalStatus.OPEN
    assert not Recovery.objects.exists()


def test_an_auction_is_scheduled_then_closed_without_a_valid_bid_and_the_case_reopens(client, officer, case):
    signed_in(client, officer)
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    response = post(
        client,
        case,
        action="auction",
        opens_at=(now - dt.timedelta(hours=1)).strftime(fmt),
        closes_at=(now + dt.timedelta(days=1)).strftime(fmt),
        reserve_price="100000",
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == DisposalStatus.AUCTION
    services.auction_bid(actor=sme_buyer(), case=case, amount=D("110000"))
    page = client.get(url(case)).content.decode()
    assert "110,000.00" in page  # to the fen, with separators
    assert 'value="close"' in page
    assert 'value="sale"' not in page

    early = post(client, case, action="close", costs="")  # before the closing time: refused, said why
    assert early.status_code == 200
    assert DisposalCase.objects.get(pk=case.pk).status == DisposalStatus.AUCTION

    Auction.objects.filter(case=case).update(opens_at=timezone.now() - dt.timedelta(days=2), closes_at=timezone.now())
    assert post(client, case, action="close", costs="5000").status_code == 302
    case.refresh_from_db()
    assert case.status == DisposalStatus.COMPLETED
    assert case.recoveries.get().net == D("105000.00")


def test_an_auction_window_that_closes_before_it_opens_is_refused(client, officer, case):
    signed_in(client, officer)
    response = post(client, case, action="auction", opens_at="2030-01-02T10:00", closes_at="2030-01-01T10:00")
    assert response.status_code == 200
    assert 'id="id_closes_at-errors"' in response.content.decode()
    assert not Auction.objects.exists()


def test_a_licence_with_its_schedule_then_royalties_until_the_case_completes(client, officer, case):
    signed_in(client, officer)
    bad = post(client, case, action="licence", licensee="南通某公司", royalties="2027-06-30 50000\nnext year 1000")
    assert "Line 2 is not a date and an amount: next year 1000" in bad.content.decode()
    assert DisposalCase.objects.get(pk=case.pk).status == DisposalStatus.OPEN

    schedule = "2027-12-31 30000.00\n\n2027-06-30 50000\n"
    assert post(client, case, action="licence", licensee="南通某公司", royalties=schedule).status_code == 302
    case.refresh_from_db()
    assert case.status == DisposalStatus.LICENSING
    assert case.terms["royalties"] == [
        {"due_on": "2027-06-30", "amount": "50000.00"},
        {"due_on": "2027-12-31", "amount": "30000.00"},
    ]
    page = client.get(url(case)).content.decode()
    assert "2027-06-30" in page
    assert 'value="royalty"' in page

    assert post(client, case, action="royalty", amount="0").status_code == 200  # not a positive amount
    assert post(client, case, action="royalty", amount="50000", received_on="2026-11-01").status_code == 302
    assert DisposalCase.objects.get(pk=case.pk).status == DisposalStatus.LICENSING
    assert post(client, case, action="royalty", amount="30000").status_code == 302
    assert DisposalCase.objects.get(pk=case.pk).status == DisposalStatus.COMPLETED
    assert sorted(r.gross for r in Recovery.objects.filter(case=case)) == [D("30000.00"), D("50000.00")]


def test_an_action_the_status_does_not_allow_is_refused_in_words(client, officer, case):
    signed_in(client, officer)
    response = post(client, case, action="royalty", amount="1000")
    assert response.status_code == 200
    assert not Recovery.objects.exists()
    assert post(client, case, action="nonsense").status_code == 404


def test_another_bank_and_other_sides_cannot_open_or_move_the_case(client, case):
    signed_in(client, bank_officer())
    assert client.get(url(case)).status_code == 404
    data = {"action": "sale", "route": "agreed_transfer", "counterparty": "X", "price": "1000"}
    assert post(client, case, **data).status_code == 404
    signed_in(client, UserFactory(organisation=case.loan.borrower.organisation, role=Role.SME_OWNER))
    assert client.get(url(case)).status_code == 403
    assert DisposalCase.objects.get(pk=case.pk).status == DisposalStatus.OPEN


def test_the_case_page_does_not_grow_queries_with_bids(client, officer, case):
    put_up_for_auction(case, reserve="1000")
    services.auction_bid(actor=sme_buyer(), case=case, amount=D("2000"))
    signed_in(client, officer)
    before = queries_for(client, url(case))
    for amount in ("3000", "4000", "5000"):
        services.auction_bid(actor=sme_buyer(), case=case, amount=D(amount))
    assert queries_for(client, url(case)) == before


# --- The buyer's side: running auctions, open to any enterprise on the platform ------------------------------


@pytest.fixture
def auction(case):
    return put_up_for_auction(case)


AUCTIONS = reverse("web:sme-auctions")


def test_a_buyer_sees_a_running_auction_and_bids_at_or_above_the_reserve(client, auction):
    buyer = sme_buyer()
    signed_in(client, buyer)
    page = client.get(AUCTIONS).content.decode()
    assert auction.reference in page
    assert "100000.00" in page

    low = client.post(AUCTIONS, {"case": auction.pk, "amount": "99999.99"})
    assert low.status_code == 200
    assert f'id="amount-{auction.pk}-errors"' in low.content.decode()
    for typed in ("", "abc", "-5"):
        assert (
            f'id="amount-{auction.pk}-errors"'
            in client.post(AUCTIONS, {"case": auction.pk, "amount": typed}).content.decode()
        )
    assert not Bid.objects.exists()

    assert client.post(AUCTIONS, {"case": auction.pk, "amount": "120000"}).status_code == 302
    bid = Bid.objects.get()
    assert (bid.bidder_id, bid.amount) == (buyer.organisation_id, D("120000.00"))
    assert "120,000.00" in client.get(AUCTIONS).content.decode()


def test_the_borrower_does_not_see_its_own_pledged_ip_and_cannot_bid_on_it(client, auction):
    borrower = UserFactory(organisation=auction.loan.borrower.organisation, role=Role.SME_OWNER)
    signed_in(client, borrower)
    assert auction.reference not in client.get(AUCTIONS).content.decode()
    assert client.post(AUCTIONS, {"case": auction.pk, "amount": "200000"}).status_code == 404
    assert not Bid.objects.exists()


def test_a_bid_after_the_close_is_refused_in_words(client, auction):
    signed_in(client, sme_buyer())
    client.get(AUCTIONS)
    Auction.objects.filter(case=auction).update(
        opens_at=timezone.now() - dt.timedelta(days=2), closes_at=timezone.now()
    )
    assert auction.reference not in client.get(AUCTIONS).content.decode()  # no longer offered
    response = client.post(AUCTIONS, {"case": auction.pk, "amount": "200000"}, follow=True)
    assert response.status_code == 200
    assert not Bid.objects.exists()
    assert list(response.context["messages"])  # the service's reason, as a message


def test_banks_do_not_open_the_buyers_page(client, auction, officer):
    signed_in(client, officer)
    assert client.get(AUCTIONS).status_code == 403


def test_the_auctions_page_does_not_grow_queries_with_auctions_or_bids(client, auction):
    buyer = sme_buyer()
    services.auction_bid(actor=sme_buyer(), case=auction, amount=D("110000"))
    signed_in(client, buyer)
    before = queries_for(client, AUCTIONS)
    for n in range(2):
        other = put_up_for_auction(disposal_case(contract=f"JK-DEFAULT-{n + 2}"))
        services.auction_bid(actor=sme_buyer(), case=other, amount=D("150000"))
    services.auction_bid(actor=buyer, case=auction, amount=D("130000"))
    page = client.get(AUCTIONS).content.decode()
    assert page.count('name="case"') == 3
    assert queries_for(client, AUCTIONS) == before


def test_the_borrower_and_the_bank_follow_the_disposal_on_the_loan_page(client, case):
    put_up_for_auction(case)
    borrower = UserFactory(organisation=case.loan.borrower.organisation, role=Role.SME_OWNER)
    signed_in(client, borrower)
    page = client.get(reverse("web:sme-loan", args=[case.loan.pk])).content.decode()
    assert case.reference in page
    assert url(case) not in page  # the bank's page is the bank's
    signed_in(client, case.opened_by)
    assert url(case) in client.get(reverse("web:bank-loan", args=[case.loan.pk])).content.decode()
    signed_in(client, sme_buyer())  # a buyer sees the auction, not the borrower's loan
    assert client.get(reverse("web:sme-loan", args=[case.loan.pk])).status_code == 404
