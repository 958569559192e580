"""The bad path through the API, as the people who walk it: a pool-filed, insured loan defaults; the insurer
and the pool pay; the pledged patent is auctioned; the recovery flows back; each party's final loss."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.api.helpers import client_for, signed_package
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    InsuranceProductFactory,
    OrganisationFactory,
    UserFactory,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.lending.loans import loans_refresh_delinquency
from tongzhirong.risksharing.models import Auction

pytestmark = pytest.mark.django_db


def ok(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()


def test_default_insurance_claim_pool_claim_auction_recovery_and_final_loss_per_party(under_review, officer, sme):
    """A hand-computed example, every figure in yuan:

    Loan 1,000,000.00 at 4.5% for 12 months, filed with a pool before disbursement (fund 10,000,000.00 from
    the city office, leverage 10×, loss shares fund 40 : bank 60, order recovery → cover → pool) and insured
    (coverage 30% of the loss, capped at 250,000.00). Nothing is repaid; the loan defaults with
    1,000,000.00 outstanding — the loss.

    1. Insurance claim: 30% × 1,000,000.00 = 300,000.00, over the cap → 250,000.00, approved and paid.
    2. Pool claim: the loss left is 750,000.00; the fund's 40% = 300,000.00, approved and paid.
       The bank bears the rest: 1,000,000.00 − 250,000.00 − 300,000.00 = 450,000.00.
    3. Auction of one pledged patent, reserve 180,000.00: 170,000.00 is refused (under the reserve);
       bids 180,000.00 (A), 205,000.00 (B), then 205,000.00 (C): B wins, being earlier than C. The borrower
       and the bank may not bid; nobody may bid after the close. Costs 12,345.67 → net 192,654.33.
    4. The recovery came after payment, so it flows back in the shares borne (250 : 300 : 450 of 1,000,
       largest remainder in fen): 19,265,433 fen × 0.25 = 4,816,358.25, × 0.30 = 5,779,629.90,
       × 0.45 = 8,669,444.85; the floors leave 2 fen, to the largest remainders (.90 fund, .85 bank):
         insurer 48,163.58   fund 57,796.30   bank 86,694.45   (sum 192,654.33)
    5. Final loss: insurer 250,000.00 − 48,163.58 = 201,836.42
                   fund    300,000.00 − 57,796.30 = 242,203.70
                   bank    450,000.00 − 86,694.45 = 363,305.55
       201,836.42 + 242,203.70 + 363,305.55 + 192,654.33 recovered = 1,000,000.00.
       The pool's cash: 10,000,000.00 − 300,000.00 + 57,796.30 = 9,757,796.30; its exposure back to 0.
    """
    application = under_review
    bank = client_for(officer)
    city = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.CITY_OFFICE), role=Role.ANALYST)
    insurance = InsuranceProductFactory(coverage_ratio=Decimal("0.3"), coverage_cap=Decimal("250000"))
    insurer = UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER)

    # The city office sets up the pool.
    pool = ok(
        client_for(city).post(
            "/api/v1/pools/",
            {
                "name": "南通市知识产权质押融资风险补偿资金池",
                "sponsors": [{"organisation": city.organisation_id, "contribution": "10000000.00"}],
                "leverage_cap": "10",
                "share_fund": "40",
                "share_bank": "60",
                "waterfall_order": ["recovery", "cover", "pool"],
                "trigger_days_past_due": 90,
            },
            format="json",
        ),
        201,
    )
    assert (pool["fund_size"], pool["capacity"]) == ("10000000.00", "100000000.00")

    # The bank approves 1,000,000 with insurance; offer, package, pledge registration.
    application.insurance_product = insurance  # chosen by the firm when it applied
    application.save(update_fields=["insurance_product"])
    for asset in application.assets.all():
        asset.annual_fee_paid_through = asset.expiry_date
        asset.save()
    url = f"/api/v1/applications/{application.pk}/"
    ok(bank.post(url + "approve/", {"amount": "1000000", "rate": "0.045", "term_months": 12}, format="json"))
    # The approval asks the insurer to cover the loan on its product's terms.
    [cover] = ok(client_for(insurer).get("/api/v1/cover-requests/"))["results"]
    assert (cover["status"], cover["application"], cover["amount"]) == ("requested", application.pk, "1000000.00")
    ok(client_for(sme).post(url + "accept-offer/"))
    signed_package(url, officer, sme)
    ok(bank.post(url + "file-pledge/"))
    today = timezone.localdate().isoformat()
    ok(bank.post(url + "record-registration/", {"registration_number": "Y2026320009999", "registered_on": today}))

    # Filed with the pool before disbursement, then disbursed: the insurance is bound, the filing covers it.
    filing = ok(bank.post("/api/v1/pool-filings/", {"pool": pool["id"], "application": application.pk}), 201)
    assert (filing["status"], filing["amount"]) == ("filed", "1000000.00")
    # Not before the insurer accepts the cover: then disbursed, the insurance bound on the accepted terms.
    refused = bank.post(url + "disburse/", {"contract_number": "NT-BAD-PATH-1"})
    assert (refused.status_code, refused.json()["missing"]) == (409, "insurance")
    accepted = ok(
        client_for(insurer).post(
            f"/api/v1/cover-requests/{cover['id']}/accept/", {"conditions": "按季度报送财务报表"}, format="json"
        )
    )
    assert (accepted["status"], accepted["conditions"]) == ("accepted", "按季度报送财务报表")
    assert ok(bank.post(url + "disburse/", {"contract_number": "NT-BAD-PATH-1"}))["status"] == "disbursed"
    [loan] = [row for row in ok(bank.get("/api/v1/loans/"))["results"] if row["contract_number"] == "NT-BAD-PATH-1"]
    loan_id = loan["id"]
    [policy] = ok(client_for(insurer).get("/api/v1/cover-policies/"))["results"]
    assert (policy["loan"], policy["premium"]) == (loan_id, "12000.00")  # 1,000,000 × 1.2% × 12/12
    assert ok(bank.get(f"/api/v1/pool-filings/{filing['id']}/"))["status"] == "covered"

    # Nothing is paid: past 90 days the loan defaults and the insurance claim opens.
    loans_refresh_delinquency(as_of=timezone.localdate() + dt.timedelta(days=500))
    [claim] = ok(bank.get("/api/v1/claims/?kind=insurance"))["results"]
    assert claim["status"] == "open"

    # 1. Insurance claim.
    claim = ok(bank.post(f"/api/v1/claims/{claim['id']}/submit/", {"comment": "借款人违约"}, format="json"))
    assert (claim["loss"], claim["coverage"]) == ("1000000.00", "250000.00")
    insurer_client = client_for(insurer)
    assert insurer_client.post(f"/api/v1/claims/{claim['id']}/approve/", {"amount": "250000.01"}).status_code == 400
    ok(insurer_client.post(f"/api/v1/claims/{claim['id']}/approve/", {"amount": "250000.00"}))
    paid = ok(insurer_client.post(f"/api/v1/claims/{claim['id']}/record-payment/", {"reference": "PICC-0001"}))
    assert (paid["status"], paid["paid_amount"]) == ("paid", "250000.00")

    # 2. Pool claim.
    pool_claim = ok(bank.post(f"/api/v1/pool-filings/{filing['id']}/claim/", {}, format="json"), 201)
    assert pool_claim["coverage"] == "300000.00"
    city_client = client_for(city)
    ok(city_client.post(f"/api/v1/claims/{pool_claim['id']}/approve/", {"amount": "300000.00"}))
    ok(city_client.post(f"/api/v1/claims/{pool_claim['id']}/record-payment/", {"reference": "POOL-0001"}))

    # 3. Auction of the first pledged patent.
    asset = application.assets.order_by("pk").first()
    case = ok(bank.post("/api/v1/disposal-cases/", {"loan": loan_id, "asset": asset.pk}), 201)
    now = timezone.now()
    window = {
        "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
        "closes_at": (now + dt.timedelta(days=7)).isoformat(),
        "reserve_price": "180000.00",
    }
    case = ok(bank.post(f"/api/v1/disposal-cases/{case['id']}/auction/", window, format="json"))
    assert case["auction"]["reserve_price"] == "180000.00"
    bids_url = f"/api/v1/disposal-cases/{case['id']}/bids/"
    buyers = [UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER) for _ in range(3)]
    a, b, c = (client_for(buyer) for buyer in buyers)
    under = a.post(bids_url, {"amount": "170000.00"})
    assert (under.status_code, under.json()["code"]) == (400, "validation_failed")
    for buyer, amount in ((a, "180000.00"), (b, "205000.00"), (c, "205000.00")):
        ok(buyer.post(bids_url, {"amount": amount}), 201)
    assert client_for(sme).post(bids_url, {"amount": "300000.00"}).status_code == 403  # the borrower
    assert bank.post(bids_url, {"amount": "300000.00"}).status_code == 403  # the lending bank
    Auction.objects.filter(case_id=case["id"]).update(closes_at=timezone.now())  # a week goes by
    late = a.post(bids_url, {"amount": "999999.00"})
    assert (late.status_code, late.json()["code"]) == (409, "auction_closed")
    case = ok(bank.post(f"/api/v1/disposal-cases/{case['id']}/close-auction/", {"costs": "12345.67"}))
    assert (case["status"], case["auction"]["winning_amount"]) == ("completed", "205000.00")
    assert case["counterparty"] == str(buyers[1].organisation)
    [recovery] = case["recoveries"]
    assert (recovery["net"], recovery["after_payment"]) == ("192654.33", True)

    # 4-5. The loss per party.
    loss = ok(bank.get(f"/api/v1/loans/{loan_id}/loss/"))
    parties = {row["party"]: row for row in loss["parties"]}
    assert loss["loss"] == "1000000.00"
    assert loss["recovered_after_payment"] == "192654.33"
    assert {p: (r["borne"], r["recovered"], r["final_loss"]) for p, r in parties.items() if r["borne"] != "0.00"} == {
        "insurer": ("250000.00", "48163.58", "201836.42"),
        "fund": ("300000.00", "57796.30", "242203.70"),
        "bank": ("450000.00", "86694.45", "363305.55"),
    }
    ledger = ok(city_client.get(f"/api/v1/pools/{pool['id']}/ledger/"))
    assert ledger["position"] == {
        "balance": "9757796.30",
        "contributions": "10000000.00",
        "claims_paid": "300000.00",
        "recoveries": "57796.30",
        "exposure": "0.00",
    }
    for journal in ledger["journals"]:
        debits = sum(Decimal(e["debit"]) for e in journal["entries"])
        assert debits == sum(Decimal(e["credit"]) for e in journal["entries"]) == Decimal(journal["amount"])


@pytest.mark.django_db
def test_a_sale_received_on_a_day_still_to_come_is_refused_in_the_problem_shape():
    from tests.risksharing.helpers import disposal_case

    case = disposal_case()
    bank = client_for(case.opened_by)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = {"buyer": "买方", "price": "100000", "received_on": tomorrow}
    response = bank.post(f"/api/v1/disposal-cases/{case.pk}/agreed-transfer/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert set(response.json()["errors"]) == {"received_on"}
    assert not case.recoveries.exists()


@pytest.mark.django_db
def test_a_buyer_sees_a_running_auction_as_a_listing_not_the_defaulted_loan():
    from tests.risksharing.helpers import disposal_case

    case = disposal_case()
    bank = client_for(UserFactory(organisation=case.bank, role=Role.BANK_OFFICER))
    now = timezone.now()
    window = {
        "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
        "closes_at": (now + dt.timedelta(days=7)).isoformat(),
        "reserve_price": "1000.00",
    }
    ok(bank.post(f"/api/v1/disposal-cases/{case.pk}/auction/", window, format="json"))
    buyer = client_for(UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER))
    borrower = client_for(UserFactory(organisation=case.loan.borrower.organisation, role=Role.SME_OWNER))

    [listing] = ok(buyer.get("/api/v1/auctions/"))["results"]

    assert set(listing) == {"id", "reference", "asset", "bank", "auction"}
    assert listing["auction"]["reserve_price"] == "1000.00"
    assert buyer.get(f"/api/v1/disposal-cases/{case.pk}/").status_code == 404  # the loan, exposure, recoveries
    assert ok(buyer.get("/api/v1/disposal-cases/"))["results"] == []
    ok(buyer.post(f"/api/v1/disposal-cases/{case.pk}/bids/", {"amount": "1000.00"}, format="json"), 201)
    assert ok(borrower.get("/api/v1/auctions/"))["results"] == []  # not a buyer of its own IP
    assert ok(borrower.get(f"/api/v1/disposal-cases/{case.pk}/"))["exposure"]


@pytest.mark.django_db
def test_a_pools_books_are_shown_to_the_city_office_and_not_to_a_bank():
    from tests.risksharing.helpers import city_user, pool_for

    city = city_user()
    pool_for(city, fund="100000.00")
    bank = client_for(UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER))

    [as_bank] = ok(bank.get("/api/v1/pools/"))["results"]
    [as_city] = ok(client_for(city).get("/api/v1/pools/"))["results"]

    assert as_bank["position"] is None
    assert ok(bank.get(f"/api/v1/pools/{as_bank['id']}/"))["position"] is None
    assert as_city["position"]["balance"] == "100000.00"
    assert as_bank["capacity"] == as_city["capacity"]  # where to file stays public


@pytest.mark.django_db
def test_asking_cover_for_another_banks_application_is_a_field_error_in_the_problem_shape():
    """The bug (found by the contract test): the id in the body answered 404, which the schema does not document
    for a POST without an id in its path; it is a field error, as an unknown product already was."""
    officer = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    foreign = ApplicationFactory()  # another bank's
    response = client_for(officer).post(
        "/api/v1/cover-requests/",
        {"application": foreign.pk, "kind": "insurance", "product": InsuranceProductFactory().pk},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "application" in response.json()["errors"]


@pytest.mark.parametrize(
    ("side", "move", "body", "reason"),
    [
        ("bank", "reject/", {"reason_code": "high_risk", "comment": "经营风险上升"}, "application_rejected"),
        ("firm", "decline-offer/", {"comment": "利率过高"}, "application_withdrawn"),
        ("firm", "withdraw/", {}, "application_withdrawn"),
    ],
)
def test_the_cover_asked_for_an_application_that_ends_reads_lapsed_with_the_reason(
    under_review, officer, sme, side, move, body, reason
):
    """The bug: after the application was rejected or withdrawn its cover request still read "requested"."""
    application = under_review
    insurance = InsuranceProductFactory()
    insurer = client_for(UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER))
    application.insurance_product = insurance
    application.save(update_fields=["insurance_product"])
    bank = client_for(officer)
    url = f"/api/v1/applications/{application.pk}/"
    ok(bank.post(url + "approve/", {"amount": "500000", "rate": "0.045", "term_months": 12}, format="json"))
    [cover] = ok(insurer.get("/api/v1/cover-requests/?status=requested"))["results"]
    ok((bank if side == "bank" else client_for(sme)).post(url + move, body, format="json"))
    cover = ok(insurer.get(f"/api/v1/cover-requests/{cover['id']}/"))
    assert (cover["status"], cover["lapse_reason"]) == ("lapsed", reason)
    assert ok(insurer.get("/api/v1/cover-requests/?status=requested"))["results"] == []
    refused = insurer.post(f"/api/v1/cover-requests/{cover['id']}/accept/", {}, format="json")
    assert refused.status_code == 409
