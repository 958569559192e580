"""The applications API as the SME and the bank meet it: real roles, foreign tenants, bad input."""

import datetime as dt
from decimal import Decimal

import pgtrigger
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring.selectors import collateral_limit
from scoring.services import application_collateral_valuate
from tests.api.helpers import accepted_offer, all_at_once, apply, client_for, signed_package, within_limit
from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.financing.models import Application, ApplicationStatus

pytestmark = pytest.mark.django_db


def test_an_sme_applies_on_its_own_assets_as_a_draft(sme, product, assets):
    response = apply(sme, product, assets, status="approved", approved_amount="9999999.00")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["approved_amount"] is None
    assert {a["id"] for a in body["assets"]} == {a.pk for a in assets}


def test_another_enterprises_asset_cannot_be_pledged(sme, product, assets):
    foreign = IPAssetFactory()
    response = apply(sme, product, [*assets, foreign])
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert str(foreign.pk) in response.json()["errors"]["assets"][0]


def test_an_amount_outside_the_product_is_refused_with_the_field_named(sme, product, assets):
    response = apply(sme, product, assets, requested_amount="99000000.00")
    assert response.status_code == 400
    assert "requested_amount" in response.json()["errors"]


def test_a_bank_cannot_apply(officer, product, assets):
    response = apply(officer, product, assets)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_submitting_scores_the_application(submitted, sme):
    body = client_for(sme).get(f"/api/v1/applications/{submitted.pk}/").json()
    assert body["status"] == "submitted"
    assert body["band"] in list("ABCDE")


def test_only_drafts_can_be_edited(submitted, sme):
    response = client_for(sme).patch(
        f"/api/v1/applications/{submitted.pk}/", {"requested_amount": "1500000.00"}, format="json"
    )
    assert response.status_code == 409


def test_a_draft_is_edited_within_the_product(sme, product, assets):
    application_id = apply(sme, product, assets).json()["id"]
    response = client_for(sme).patch(
        f"/api/v1/applications/{application_id}/",
        {"requested_amount": "1500000.00", "assets": [assets[0].pk]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["requested_amount"] == "1500000.00"
    assert len(response.json()["assets"]) == 1


def test_the_lending_bank_sees_it_in_its_queue_and_another_bank_does_not(submitted, officer):
    ids = [row["id"] for row in client_for(officer).get("/api/v1/applications/").json()["results"]]
    assert submitted.pk in ids
    stranger = BankOfficerFactory()
    assert client_for(stranger).get("/api/v1/applications/").json()["results"] == []
    response = client_for(stranger).get(f"/api/v1/applications/{submitted.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_sme_cannot_approve_its_own_application(under_review, sme):
    response = client_for(sme).post(
        f"/api/v1/applications/{under_review.pk}/approve/",
        {"amount": "100000", "rate": "0.04", "term_months": 12},
        format="json",
    )
    assert response.status_code == 403


def test_an_officer_approves_within_the_caps(under_review, officer):
    amount = within_limit(under_review)
    response = client_for(officer).post(
        f"/api/v1/applications/{under_review.pk}/approve/",
        {"amount": str(amount), "rate": "0.045", "term_months": 12},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    assert Decimal(response.json()["approved_amount"]) == amount


def test_an_approval_above_the_collateral_limit_is_refused(under_review, officer):
    amount = within_limit(under_review, share="1.5")
    response = client_for(officer).post(
        f"/api/v1/applications/{under_review.pk}/approve/",
        {"amount": str(amount), "rate": "0.045", "term_months": 12},
        format="json",
    )
    assert response.status_code == 400
    assert "pledge-rate limit" in response.json()["errors"]["amount"][0]
    assert Application.objects.get(pk=under_review.pk).status == ApplicationStatus.UNDER_REVIEW


def test_a_rate_outside_the_product_is_refused(under_review, officer):
    response = client_for(officer).post(
        f"/api/v1/applications/{under_review.pk}/approve/",
        {"amount": "100000", "rate": "0.2", "term_months": 12},
        format="json",
    )
    assert response.status_code == 400
    assert "rate" in response.json()["errors"]


def test_above_the_threshold_a_checker_who_is_not_the_maker_must_confirm(under_review, officer, checker, bank):
    bank.maker_checker_threshold = Decimal("10000.00")
    bank.save()
    url = f"/api/v1/applications/{under_review.pk}/"
    amount = within_limit(under_review)
    proposed = client_for(officer).post(
        url + "approve/", {"amount": str(amount), "rate": "0.045", "term_months": 12}, format="json"
    )
    assert proposed.json()["status"] == "under_review"
    assert proposed.json()["approval_pending"] is True
    assert client_for(officer).post(url + "confirm-approval/").status_code == 403
    confirmed = client_for(checker).post(url + "confirm-approval/", {"comment": "双人复核通过"}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "approved"


def test_a_checker_cannot_confirm_their_own_proposal(under_review, checker, bank):
    bank.maker_checker_threshold = Decimal("10000.00")
    bank.save()
    url = f"/api/v1/applications/{under_review.pk}/"
    amount = within_limit(under_review)
    client_for(checker).post(
        url + "approve/", {"amount": str(amount), "rate": "0.045", "term_months": 12}, format="json"
    )
    response = client_for(checker).post(url + "confirm-approval/")
    assert response.status_code == 403
    assert "second person" in response.json()["detail"]


def test_a_rejection_needs_a_known_reason_code(under_review, officer):
    url = f"/api/v1/applications/{under_review.pk}/reject/"
    assert client_for(officer).post(url, {"reason_code": "vibes"}, format="json").status_code == 400
    response = client_for(officer).post(url, {"reason_code": "high_risk", "comment": "负债率过高"}, format="json")
    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason_code"] == "high_risk"


def test_information_requested_and_answered_goes_back_to_review(under_review, officer, sme):
    url = f"/api/v1/applications/{under_review.pk}/"
    assert (
        client_for(officer)
        .post(url + "request-info/", {"comment": "请补充近两年财务报表"}, format="json")
        .json()["status"]
        == "info_requested"
    )
    assert (
        client_for(sme).post(url + "respond/", {"comment": "已上传"}, format="json").json()["status"] == "under_review"
    )


def test_an_impossible_move_is_a_409_problem(submitted, sme):
    response = client_for(sme).post(f"/api/v1/applications/{submitted.pk}/accept-offer/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_the_timeline_shows_every_move_with_who_and_why(under_review, sme):
    timeline = client_for(sme).get(f"/api/v1/applications/{under_review.pk}/timeline/").json()["results"]
    assert [(t["from_status"], t["to_status"]) for t in timeline] == [
        ("draft", "submitted"),
        ("submitted", "under_review"),
    ]
    assert timeline[1]["actor_role"] == "bank_officer"


def test_the_queue_filters_by_status_and_rejects_unknown_ordering(submitted, officer):
    client = client_for(officer)
    assert len(client.get("/api/v1/applications/?status=submitted").json()["results"]) == 1
    assert client.get("/api/v1/applications/?status=approved").json()["results"] == []
    assert client.get("/api/v1/applications/?ordering=password").status_code == 400
    assert client.get("/api/v1/applications/?ordering=-requested_amount").status_code == 200


def test_listing_costs_the_same_queries_for_3_or_12_applications(officer, product):
    def make(n):
        for _ in range(n):
            enterprise = EnterpriseFactory()
            owner = UserFactory(organisation=enterprise.organisation)
            draft = apply(owner, product, [IPAssetFactory(owner=enterprise)]).json()["id"]
            client_for(owner).post(f"/api/v1/applications/{draft}/submit/")  # a bank sees no drafts

    make(3)
    client = client_for(officer)
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/applications/?page_size=50")
    make(9)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/api/v1/applications/?page_size=50")
    assert response.json()["count"] == 12
    assert len(large.captured_queries) == len(small.captured_queries) <= 8


def test_paging_through_the_queue_gives_every_row_once_in_each_order(officer, product):
    from tongzhirong.financing.filters import ORDERING_FIELDS
    from tongzhirong.lending.queue import application_queue

    amounts = [5, 3, 5, 8, 1, 3, 2]  # ties, so that the -id tie-breaker decides across page boundaries
    for amount in amounts:
        ApplicationFactory(product=product, status=ApplicationStatus.SUBMITTED, requested_amount=amount * 100_000)
    client = client_for(officer)
    for ordering in [*ORDERING_FIELDS, *(f"-{f}" for f in ORDERING_FIELDS)]:
        expected = list(application_queue(user=officer, filters={"ordering": [ordering]}).values_list("pk", flat=True))
        seen, url = [], f"/api/v1/applications/?ordering={ordering}&page_size=3"
        while url:
            body = client.get(url).json()
            assert body["count"] == len(amounts)
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
        assert seen == expected, ordering
    assert client.get("/api/v1/applications/?page=4&page_size=3").status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_twenty_concurrent_approvals_one_wins(sme, product, assets, officer):
    application_id = apply(sme, product, assets).json()["id"]
    client_for(sme).post(f"/api/v1/applications/{application_id}/submit/")
    client_for(officer).post(f"/api/v1/applications/{application_id}/start-review/")
    amount = within_limit(Application.objects.get(pk=application_id))
    codes = all_at_once(
        lambda: client_for(officer).post(
            f"/api/v1/applications/{application_id}/approve/",
            {"amount": str(amount), "rate": "0.045", "term_months": 12},
            format="json",
        ),
        20,
    )
    assert sorted(codes) == [200] + [409] * 19
    assert Application.objects.get(pk=application_id).status == ApplicationStatus.APPROVED


def test_matching_ranks_eligible_products_with_limit_rate_and_all_in_cost(sme, product, assets):
    elsewhere = LoanProductFactory(eligible_districts=["320681"])  # 启东 only: our firm is in 崇川
    response = client_for(sme).get(
        f"/api/v1/products/matches/?assets={assets[0].pk}&assets={assets[1].pk}&amount=500000&term_months=12"
    )
    assert response.status_code == 200, response.json()
    matches = response.json()["matches"]
    assert [m["product"]["id"] for m in matches] == [product.pk]
    match = matches[0]
    assert match["band"] in list("ABCDE")
    assert Decimal(match["estimated_limit"]) > 0
    assert Decimal(product.min_rate) <= Decimal(match["rate"]) <= Decimal(product.max_rate)
    total = sum(Decimal(match[k]) for k in ("interest", "appraisal_fee", "insurance_premium", "guarantee_fee"))
    assert Decimal(match["total_cost"]) == total
    assert elsewhere.pk not in [m["product"]["id"] for m in matches]
    [excluded] = response.json()["excluded"]
    assert excluded["product"]["id"] == elsewhere.pk
    assert [r["code"] for r in excluded["reasons"]] == ["district"]
    assert "启东市" in excluded["reasons"][0]["zh"]


def test_matching_says_why_a_product_does_not_fit(sme, product, assets):
    trademarks_only = LoanProductFactory()
    trademarks_only.pledge_rate_caps.update(ip_type="trademark")
    for_giants = LoanProductFactory(required_tech_markers=["little_giant"])
    response = client_for(sme).get(f"/api/v1/products/matches/?assets={assets[0].pk}&term_months=12")
    reasons = {e["product"]["id"]: [r["code"] for r in e["reasons"]] for e in response.json()["excluded"]}
    assert reasons[trademarks_only.pk] == ["ip_type"]
    assert reasons[for_giants.pk] == ["tech_marker"]


def test_matching_refuses_someone_elses_assets(sme):
    response = client_for(sme).get(f"/api/v1/products/matches/?assets={IPAssetFactory().pk}")
    assert response.status_code == 400


def test_from_accepted_offer_to_disbursed_loan_and_a_repayment(
    under_review, officer, sme, django_capture_on_commit_callbacks
):
    url = accepted_offer(under_review, officer, sme)
    amount = Application.objects.get(pk=under_review.pk).approved_amount.quantize(Decimal("1"))
    precheck = client_for(officer).get(url + "pledge-precheck/").json()
    assert precheck["result"] == "pass", precheck
    assert signed_package(url, officer, sme)["fully_signed"]
    assert client_for(officer).post(url + "file-pledge/").json()["status"] == "pledge_registration"
    registered = client_for(officer).post(
        url + "record-registration/",
        {"registration_number": "Y2026320000123", "registered_on": "2026-11-20"},
        format="json",
    )
    assert registered.json()["status"] == "registered", registered.json()
    disbursed = client_for(officer).post(url + "disburse/", {"contract_number": "NT-2026-0001"}, format="json")
    assert disbursed.json()["status"] == "disbursed"

    loans = client_for(sme).get("/api/v1/loans/").json()["results"]
    assert len(loans) == 1
    assert loans[0]["principal"] == f"{amount}.00"
    assert len(loans[0]["schedule"]) == 12
    assert loans[0]["bucket"] == "current"
    paid = client_for(officer).post(f"/api/v1/loans/{loans[0]['id']}/repayments/", {"amount": "1000.00"}, format="json")
    assert paid.status_code == 201
    assert (
        client_for(sme)
        .post(f"/api/v1/loans/{loans[0]['id']}/repayments/", {"amount": "1.00"}, format="json")
        .status_code
        == 403
    )
    assert client_for(BankOfficerFactory()).get(f"/api/v1/loans/{loans[0]['id']}/").status_code == 404


def test_a_pledge_that_would_be_refused_cannot_be_filed(under_review, officer, sme):
    url = f"/api/v1/applications/{under_review.pk}/"
    amount = within_limit(under_review)
    client_for(officer).post(
        url + "approve/", {"amount": str(amount), "rate": "0.045", "term_months": 12}, format="json"
    )
    client_for(sme).post(url + "accept-offer/")
    under_review.assets.update(court_preservation=True)
    response = client_for(officer).post(url + "file-pledge/")
    assert response.status_code == 400
    assert "court preservation" in response.json()["errors"]["pledge_precheck"][0]
    assert Application.objects.get(pk=under_review.pk).status == ApplicationStatus.OFFER_ACCEPTED


SMALL_DRAFT = {"requested_amount": "800000.00", "requested_term_months": 12, "repayment_method": "equal_principal"}


def test_a_retried_application_with_the_same_idempotency_key_creates_one(sme, product, assets):
    body = {"product": product.pk, "assets": [assets[0].pk], **SMALL_DRAFT}
    client = client_for(sme)
    first = client.post("/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="apply-42")
    again = client.post("/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="apply-42")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Application.objects.filter(enterprise__organisation=sme.organisation).count() == 1
    changed = client.post(
        "/api/v1/applications/",
        {**body, "requested_amount": "900000.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="apply-42",
    )
    assert changed.status_code == 422


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_ten_concurrent_writes_with_one_key_make_one_row(sme, product, assets):
    body = {"product": product.pk, "assets": [assets[0].pk], **SMALL_DRAFT}
    codes = all_at_once(
        lambda: client_for(sme).post("/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"), 10
    )
    assert Application.objects.filter(enterprise__organisation=sme.organisation).count() == 1
    assert codes.count(201) >= 1
    assert set(codes) <= {201, 409}


def test_the_bank_sees_the_collateral_value_ranges_caps_and_limit(under_review, officer):
    body = client_for(officer).get(f"/api/v1/applications/{under_review.pk}/collateral/").json()
    assert len(body["items"]) == 3
    for item in body["items"]:
        valuation = item["valuation"]
        assert Decimal(valuation["p10"]) <= Decimal(valuation["p50"]) <= Decimal(valuation["p90"])
        assert Decimal(item["limit"]) == (Decimal(valuation["p50"]) * Decimal(item["pledge_rate_cap"])).quantize(
            Decimal("0.01")
        )
    assert Decimal(body["limit"]) == sum(Decimal(i["limit"]) for i in body["items"])
    assert Decimal(body["limit"]) == collateral_limit(application_collateral_valuate(application=under_review))


def test_a_bank_does_not_see_drafts_nor_applications_withdrawn_before_submission(sme, product, assets, officer):
    draft = apply(sme, product, assets[:1]).json()["id"]  # an asset is collateral of one live application
    withdrawn = apply(sme, product, assets[1:]).json()["id"]
    client_for(sme).post(f"/api/v1/applications/{withdrawn}/withdraw/")
    listed = {a["id"] for a in client_for(officer).get("/api/v1/applications/").json()["results"]}
    assert not {draft, withdrawn} & listed
    assert client_for(officer).get(f"/api/v1/applications/{draft}/").status_code == 404


def test_the_queue_flags_and_filters_service_level_breaches(submitted, officer):
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from tongzhirong.core.models import StatusChange

    fresh = ApplicationFactory(product=submitted.product, status=ApplicationStatus.SUBMITTED)
    change = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=submitted.pk
    ).latest("created_at")
    with pgtrigger.ignore("core.StatusChange:append_only"):  # the audit trail refuses updates on PostgreSQL
        StatusChange.objects.filter(pk=change.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    rows = {a["id"]: a for a in client_for(officer).get("/api/v1/applications/").json()["results"]}
    assert rows[submitted.pk]["sla_breached"] is True  # 3 days submitted against a 2-day target
    assert rows[fresh.pk]["sla_breached"] is False
    breached = client_for(officer).get("/api/v1/applications/?sla_breached=true").json()["results"]
    assert [a["id"] for a in breached] == [submitted.pk]


def test_a_product_that_requires_insurance_is_applied_for_with_a_published_one(sme, product, assets):
    from tests.factories import InsuranceProductFactory

    product.requires_insurance = True
    product.save()
    refused = apply(sme, product, assets)
    assert refused.status_code == 400
    assert "insurance_product" in refused.json()["errors"]
    assert apply(sme, product, assets, insurance_product=999999).status_code == 400
    cover = InsuranceProductFactory()
    taken = apply(sme, product, assets, insurance_product=cover.pk)
    assert taken.status_code == 201, taken.json()
    assert taken.json()["insurance_product"] == cover.pk
    assert Application.objects.get(pk=taken.json()["id"]).insurance_product == cover
