"""The flow that used to stall at package generation, as people meet it now: an already-pledged patent and a
trademark that expires before the debt ends are refused when the SME applies — through the API (a 400 problem
naming each asset and why) and on the apply page (a form error in Chinese) — matching leaves them out of the
limit with their reasons, and the bank may reject at any stage before disbursement."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from scoring.services import assets_valuate
from tests.api.helpers import all_at_once
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.core.reference import IPType
from tongzhirong.financing.models import (
    Application,
    ApplicationAsset,
    ApplicationStatus,
    LoanStatus,
    PledgeRegistration,
)
from tongzhirong.products.models import PledgeRateCap

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    return BankFactory()


@pytest.fixture
def officer(bank):
    return UserFactory(organisation=bank, role=Role.BANK_OFFICER)


@pytest.fixture
def product(bank):
    product = LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"))
    PledgeRateCap.objects.create(product=product, ip_type=IPType.TRADEMARK, max_pledge_rate=Decimal("0.50"))
    return product


@pytest.fixture
def firm():
    return EnterpriseFactory()


@pytest.fixture
def sme(firm):
    return UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)


@pytest.fixture
def pledged_patent(firm):
    """A patent that secures the firm's running loan from another bank."""
    patent = IPAssetFactory(owner=firm, forward_citations=20, family_size=4)
    loan = LoanFactory(application__enterprise=firm, borrower=firm, status=LoanStatus.ACTIVE)
    ApplicationAsset.objects.create(application=loan.application, asset=patent)
    return patent


@pytest.fixture
def expiring_trademark(firm):
    """Registered 2017-05-07, no expiry date recorded: its 10 years end 2027-05-07, before a 12-month debt
    taken today ends (plus the margin)."""
    return IPAssetFactory(
        owner=firm,
        ip_type=IPType.TRADEMARK,
        identifier="30123456",
        filing_date=dt.date(2016, 3, 1),
        grant_date=dt.date(2017, 5, 7),
        expiry_date=None,
        annual_fee_paid_through=None,
        ipc_classes=[],
        nice_classes=[9],
    )


@pytest.fixture
def good_patent(firm):
    return IPAssetFactory(owner=firm, forward_citations=30, family_size=6, overseas_family_members=3, claims_count=20)


def api(user, language="en"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def body(product, assets):
    return {
        "product": product.pk,
        "assets": [a.pk for a in assets],
        "requested_amount": "500000.00",
        "requested_term_months": 12,
        "repayment_method": "equal_instalment",
    }


# --- The old stall, refused at the start ---------------------------------------------------------------


def test_the_api_refuses_an_already_pledged_patent_and_an_expiring_trademark_when_applying(
    sme, product, pledged_patent, expiring_trademark
):
    holder = Application.objects.get(pledged_assets__asset=pledged_patent)
    response = api(sme).post(
        "/api/v1/applications/", body(product, [pledged_patent, expiring_trademark]), format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_failed"
    patent_reason, mark_reason = sorted(problem["errors"]["assets"], key=lambda m: not m.startswith("2019"))
    assert patent_reason == f"{pledged_patent.identifier} is already collateral of application {holder.reference}."
    assert mark_reason.startswith(f"{expiring_trademark.identifier} expires on 2027-05-07 (its statutory term)")
    assert not Application.objects.filter(enterprise=sme.organisation.enterprise).exclude(pk=holder.pk).exists()


def test_the_api_says_why_in_chinese_to_a_chinese_reader(sme, product, pledged_patent, expiring_trademark):
    response = api(sme, "zh-hans").post(
        "/api/v1/applications/", body(product, [pledged_patent, expiring_trademark]), format="json"
    )
    patent_reason, mark_reason = sorted(response.json()["errors"]["assets"], key=lambda m: not m.startswith("2019"))
    assert "已是申请" in patent_reason
    assert "法定保护期于2027-05-07届满" in mark_reason


def test_the_eligible_asset_alone_is_accepted(sme, product, good_patent, pledged_patent):
    response = api(sme).post("/api/v1/applications/", body(product, [good_patent]), format="json")
    assert response.status_code == 201, response.json()


# --- Matching leaves them out of the limit, with their reasons ----------------------------------------------


def test_matching_leaves_ineligible_assets_out_of_the_limit_and_says_why(
    sme, product, good_patent, pledged_patent, expiring_trademark
):
    assets_valuate(assets=[good_patent, pledged_patent, expiring_trademark])  # as their registration would
    alone = api(sme).get(f"/api/v1/products/matches/?assets={good_patent.pk}&term_months=12").json()
    query = "&".join(f"assets={a.pk}" for a in (good_patent, pledged_patent, expiring_trademark))
    mixed = api(sme).get(f"/api/v1/products/matches/?{query}&term_months=12").json()
    [match_alone] = [m for m in alone["matches"] if m["product"]["id"] == product.pk]
    [match] = [m for m in mixed["matches"] if m["product"]["id"] == product.pk]
    assert match["estimated_limit"] == match_alone["estimated_limit"]  # the two ineligible assets add nothing
    assert match_alone["ineligible_assets"] == []
    reasons = {i["identifier"]: [r["code"] for r in i["reasons"]] for i in match["ineligible_assets"]}
    assert reasons == {
        pledged_patent.identifier: ["already_pledged"],
        expiring_trademark.identifier: ["expires_before_term"],
    }


def test_a_product_none_of_the_assets_can_secure_is_excluded_with_each_assets_reasons(
    sme, product, pledged_patent, expiring_trademark
):
    query = f"assets={pledged_patent.pk}&assets={expiring_trademark.pk}&term_months=12"
    found = api(sme).get(f"/api/v1/products/matches/?{query}").json()
    assert product.pk not in [m["product"]["id"] for m in found["matches"]]
    [excluded] = [e for e in found["excluded"] if e["product"]["id"] == product.pk]
    assert [r["code"] for r in excluded["reasons"]] == ["no_eligible_asset"]
    zh = {i["identifier"]: i["reasons"][0]["zh"] for i in excluded["ineligible_assets"]}
    assert zh[pledged_patent.identifier].startswith(f"{pledged_patent.identifier}已是申请")
    assert "法定保护期于2027-05-07届满" in zh[expiring_trademark.identifier]


# --- The pages, in Chinese ------------------------------------------------------------------------------


def test_the_apply_page_refuses_them_with_the_reasons_in_chinese(
    client, settings, sme, product, pledged_patent, expiring_trademark
):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(sme)
    response = client.post(
        reverse("web:sme-apply"),
        {
            "product": product.pk,
            "assets": [pledged_patent.pk, expiring_trademark.pk],
            "amount": "500000",
            "term_months": 12,
            "repayment_method": "equal_instalment",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert f"{pledged_patent.identifier}已是申请" in page
    assert f"{expiring_trademark.identifier}的法定保护期于2027-05-07届满" in page
    assert Application.objects.filter(enterprise=sme.organisation.enterprise).count() == 1  # the old loan's only


def test_the_matching_page_shows_what_is_not_counted_and_why_in_chinese(
    client, sme, product, good_patent, pledged_patent
):
    assets_valuate(assets=[good_patent, pledged_patent])  # as their registration would
    client.force_login(sme)
    response = client.get(
        reverse("web:sme-matches"),
        {"assets": [good_patent.pk, pledged_patent.pk], "term_months": 12},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    page = html.unescape(response.content.decode())
    assert f"不计入额度: {pledged_patent.identifier}已是申请" in page
    # The Apply link carries only the assets that count.
    apply_link = f'?product={product.pk}&term_months=12&assets={good_patent.pk}"'
    assert apply_link in page


def test_the_bank_page_shows_an_asset_that_became_ineligible_as_not_counted(client, officer, product, firm):
    application = ApplicationFactory(enterprise=firm, product=product, status=ApplicationStatus.UNDER_REVIEW)
    asset = IPAssetFactory(owner=firm, court_preservation=True)
    ApplicationAsset.objects.create(application=application, asset=asset)
    client.force_login(officer)
    page = html.unescape(
        client.get(
            reverse("web:bank-application", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    )
    assert f"不计入额度: {asset.identifier}：存在权属纠纷或法院保全" in page
    assert "不予登记" in page  # the pre-check's result, in words


# --- The bank may reject at any stage before disbursement ------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.INFO_REQUESTED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.OFFER_ACCEPTED,
        ApplicationStatus.PLEDGE_REGISTRATION,
        ApplicationStatus.REGISTERED,
    ],
)
def test_the_bank_rejects_from_any_stage_before_disbursement_on_its_page(client, officer, product, firm, status):
    application = ApplicationFactory(enterprise=firm, product=product, status=status)
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=firm))
    client.force_login(officer)
    url = reverse("web:bank-application", args=[application.pk])
    assert 'value="reject"' in client.get(url).content.decode()
    client.post(url, {"action": "reject", "reason_code": "ip_legal_defect", "comment": "质押物已被他行质押"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED


def test_the_api_rejects_an_accepted_offer(officer, product, firm):
    application = ApplicationFactory(enterprise=firm, product=product, status=ApplicationStatus.OFFER_ACCEPTED)
    response = api(officer).post(
        f"/api/v1/applications/{application.pk}/reject/", {"reason_code": "ip_legal_defect"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "rejected"


def test_rejecting_after_registration_drafts_the_release_and_the_asset_is_free_once_it_is_recorded(
    client, officer, product, firm, sme
):
    application = ApplicationFactory(enterprise=firm, product=product, status=ApplicationStatus.REGISTERED)
    asset = IPAssetFactory(owner=firm)
    ApplicationAsset.objects.create(application=application, asset=asset)
    registration = PledgeRegistration.objects.create(
        application=application,
        registry="cnipa",
        filed_at=timezone.now(),
        filed_by=officer,
        registration_number="Y2026980000123",
        registered_on=dt.date(2026, 11, 20),
    )
    client.force_login(officer)
    url = reverse("web:bank-application", args=[application.pk])
    client.post(url, {"action": "reject", "reason_code": "ineligible", "comment": "贷前复核未通过"})
    registration.refresh_from_db()
    assert registration.release_generated_at is not None
    assert registration.release_form["reason"].startswith("主债权未发生")
    # Until the register releases it, the right is still pledged: a new application is refused.
    refused = api(sme).post("/api/v1/applications/", body(product, [asset]), format="json")
    assert "Y2026980000123" in refused.json()["errors"]["assets"][0]
    page = html.unescape(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert 'value="record-release"' in page
    client.post(url, {"action": "record-release", "released_on": "2026-12-01"})
    registration.refresh_from_db()
    assert registration.released_on == dt.date(2026, 12, 1)
    assert api(sme).post("/api/v1/applications/", body(product, [asset]), format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_ten_concurrent_applications_on_one_asset_make_one(sme, product, good_patent):
    codes = all_at_once(lambda: api(sme).post("/api/v1/applications/", body(product, [good_patent]), format="json"), 10)
    assert sorted(codes) == [201] + [400] * 9
    assert ApplicationAsset.objects.filter(asset=good_patent).count() == 1
