"""Two whole journeys through the API, as the people who make them: the happy path from a new SME's first
patent to the release of its pledge, and a loan's path to default."""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.helpers import accepted_offer, client_for, signed_package
from tests.factories import (
    BankFactory,
    LoanProductFactory,
    OrganisationFactory,
    UserFactory,
    make_patent_number,
    make_uscc,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import Loan
from tongzhirong.financing.services import loans_due_reminders
from tongzhirong.lending.loans import loans_refresh_delinquency
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"


def ok(response, status=200):
    assert response.status_code == status, response.json().get("errors", response.json())
    return response.json()


def patent(n: int) -> dict:
    today = timezone.localdate()
    return {
        "ip_type": "invention_patent",
        "identifier": make_patent_number(900 + n, year=2018),
        # Two different inventions: two titles that differ by a number would be flagged as near-duplicates.
        "title": ("一种高强度海工装备焊接方法", "一种海上风电桩基防腐涂层及其施工工艺")[n],
        "filing_date": "2018-04-12",
        "grant_date": "2020-09-01",
        "legal_status": "valid",
        "annual_fee_paid_through": (today + dt.timedelta(days=300)).isoformat(),
        "claims_count": 18,
        "forward_citations": 25,
        "backward_citations": 12,
        "family_size": 5,
        "overseas_family_members": 2,
        "licence_count": 1,
        "licence_revenue": "300000.00",
        "ipc_classes": ["B23K 9/00"],
    }


def test_from_a_new_smes_first_patent_to_the_release_of_its_pledge(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    bank = BankFactory(maker_checker_threshold=Decimal("100000.00"))
    officer = UserFactory(organisation=bank, role=Role.BANK_OFFICER)
    checker = UserFactory(organisation=bank, role=Role.BANK_CHECKER)
    product = LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"), max_amount=Decimal("30000000.00"))
    owner = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.SME), role=Role.SME_OWNER)
    sme = client_for(owner)

    # Register: the enterprise profile, then two patents; each is valued at once.
    ok(
        sme.post(
            "/api/v1/enterprise/",
            {
                "legal_name": "南通海工焊接科技有限公司",
                "uscc": make_uscc(4242),
                "district": "320612",
                "cluster": "shipbuilding_marine",
                "chain": "high_tech_ships",
                "founded_on": "2012-06-01",
                "registered_capital": "10000000.00",
                "employees": 120,
                "annual_revenue": "86000000.00",
                "is_high_tech": True,
                "is_tech_sme": True,
            },
            format="json",
        ),
        201,
    )
    with django_capture_on_commit_callbacks(execute=True):  # each registration queues its valuation
        assets = [ok(sme.post("/api/v1/ip-assets/", patent(n), format="json"), 201)["id"] for n in range(2)]
    for asset in assets:
        valuation = ok(sme.get(f"/api/v1/ip-assets/{asset}/valuation/"))
        assert Decimal(valuation["p10"]) <= Decimal(valuation["p50"]) <= Decimal(valuation["p90"])

    # Match, then apply on the product for what it could lend.
    query = "&".join(f"assets={a}" for a in assets)
    matches = ok(sme.get(f"/api/v1/products/matches/?{query}&term_months=12"))["matches"]
    match = next(m for m in matches if m["product"]["id"] == product.pk)
    amount = (Decimal(match["estimated_limit"]) / 2).quantize(Decimal("1"), rounding=ROUND_DOWN)
    assert amount > bank.maker_checker_threshold
    application = ok(
        sme.post(
            "/api/v1/applications/",
            {
                "product": product.pk,
                "assets": assets,
                "requested_amount": str(amount),
                "requested_term_months": 12,
                "repayment_method": "equal_principal",
                "purpose": "海工焊接产线扩产",
            },
            format="json",
        ),
        201,
    )
    url = f"/api/v1/applications/{application['id']}/"
    ok(
        sme.post(
            url + "documents/",
            {"kind": "financial_statement", "file": SimpleUploadedFile("2025年审计报告.pdf", PDF)},
            format="multipart",
        ),
        201,
    )
    with django_capture_on_commit_callbacks(execute=True):
        ok(sme.post(url + "submit/"))
    score = ok(sme.get(url + "score/"))
    assert score["band"] in list("ABCDE")
    assert score["reasons"]

    # The bank reviews; above its threshold the officer proposes and a checker confirms.
    bank_client, checker_client = client_for(officer), client_for(checker)
    ok(bank_client.post(url + "start-review/"))
    limit = Decimal(ok(bank_client.get(url + "collateral/"))["limit"])
    terms = {"amount": str(min(amount, limit)), "rate": str(product.min_rate), "term_months": 12}
    proposed = ok(bank_client.post(url + "approve/", terms, format="json"))
    assert proposed["status"] == "under_review"
    assert proposed["approval_pending"]
    assert bank_client.post(url + "confirm-approval/", {}, format="json").status_code == 403  # not the maker
    assert (
        ok(checker_client.post(url + "confirm-approval/", {"comment": "同意"}, format="json"))["status"] == "approved"
    )
    assert ok(sme.post(url + "accept-offer/"))["status"] == "offer_accepted"

    # Paperless pledge: pre-check, the package signed by both, filed, registered; then the money.
    assert ok(bank_client.get(url + "pledge-precheck/"))["result"] == "pass"
    package = ok(bank_client.post(url + "filing-package/"), 201)
    for client in (sme, bank_client):
        ok(client.post(url + "filing-package/sign/", {"sha256": package["sha256"]}, format="json"))
    assert ok(bank_client.post(url + "file-pledge/"))["status"] == "pledge_registration"
    registration = {"registration_number": "Y2026320012345", "registered_on": timezone.localdate().isoformat()}
    assert ok(bank_client.post(url + "record-registration/", registration, format="json"))["status"] == "registered"
    disbursed = ok(bank_client.post(url + "disburse/", {"contract_number": "NTHG-2026-001"}, format="json"))
    assert disbursed["status"] == "disbursed"

    # Repaid: the first instalment, then an early payoff; the release is drafted and recorded.
    [loan] = ok(sme.get("/api/v1/loans/"))["results"]
    first = loan["schedule"][0]
    instalment = Decimal(first["principal_due"]) + Decimal(first["interest_due"])
    ok(bank_client.post(f"/api/v1/loans/{loan['id']}/repayments/", {"amount": str(instalment)}, format="json"), 201)
    quote = ok(sme.get(f"/api/v1/loans/{loan['id']}/payoff-quote/"))
    assert Decimal(quote["principal"]) == Decimal(loan["principal"]) - Decimal(first["principal_due"])
    ok(bank_client.post(f"/api/v1/loans/{loan['id']}/payoff/", {}, format="json"), 201)
    repaid = ok(sme.get(f"/api/v1/loans/{loan['id']}/"))
    assert repaid["status"] == "repaid"
    assert repaid["outstanding_principal"] == "0.00"
    assert repaid["pledges"][0]["release_form"]["registration_number"] == "Y2026320012345"
    released = ok(
        bank_client.post(
            f"/api/v1/loans/{loan['id']}/record-release/",
            {"released_on": timezone.localdate().isoformat()},
            format="json",
        )
    )
    assert released["pledges"][0]["released_on"] == timezone.localdate().isoformat()

    timeline = [e["to_status"] for e in ok(sme.get(url + "timeline/"))["results"]]
    assert timeline == [
        "submitted",
        "under_review",
        "approved",
        "offer_accepted",
        "pledge_registration",
        "registered",
        "disbursed",
    ]


def test_a_loan_on_its_way_to_default(under_review, officer, sme, django_capture_on_commit_callbacks):
    url = accepted_offer(under_review, officer, sme)
    signed_package(url, officer, sme)
    client_for(officer).post(url + "file-pledge/")
    client_for(officer).post(
        url + "record-registration/",
        {"registration_number": "Y2026320054321", "registered_on": timezone.localdate().isoformat()},
        format="json",
    )
    ok(client_for(officer).post(url + "disburse/", {"contract_number": "NT-DEF-1"}, format="json"))
    [loan] = ok(client_for(sme).get("/api/v1/loans/"))["results"]
    first_due = dt.date.fromisoformat(loan["schedule"][0]["due_date"])

    # Reminders before the due date, then the overdue notice; the beat tasks run daily.
    for day in (first_due - dt.timedelta(days=7), first_due - dt.timedelta(days=3), first_due - dt.timedelta(days=1)):
        loans_due_reminders(as_of=day)
    titles = list(Notification.objects.filter(recipient=sme).values_list("title", flat=True))
    assert sum("还款提醒" in t for t in titles) == 3

    loans_refresh_delinquency(as_of=first_due + dt.timedelta(days=10))
    loans_due_reminders(as_of=first_due + dt.timedelta(days=10))
    overdue = ok(client_for(sme).get(f"/api/v1/loans/{loan['id']}/"))
    assert (overdue["status"], overdue["days_past_due"], overdue["bucket"]) == ("overdue", 10, "1-30")
    assert Notification.objects.filter(recipient=sme, title__contains="逾期提醒").exists()

    for days, bucket in ((45, "31-60"), (75, "61-90")):
        loans_refresh_delinquency(as_of=first_due + dt.timedelta(days=days))
        assert ok(client_for(officer).get(f"/api/v1/loans/{loan['id']}/"))["bucket"] == bucket

    loans_refresh_delinquency(as_of=first_due + dt.timedelta(days=95))
    defaulted = ok(client_for(officer).get(f"/api/v1/loans/{loan['id']}/"))
    assert (defaulted["status"], defaulted["bucket"]) == ("defaulted", "90+")
    assert Loan.objects.get(pk=loan["id"]).status == "defaulted"
    # A defaulted loan still takes recoveries; the pledge stays in force until it is repaid.
    ok(client_for(officer).post(f"/api/v1/loans/{loan['id']}/repayments/", {"amount": "1000.00"}, format="json"), 201)
    assert ok(client_for(sme).get(f"/api/v1/loans/{loan['id']}/"))["pledges"][0]["release_generated_at"] is None
