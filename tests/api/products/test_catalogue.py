"""The catalogue endpoints show each caller only what it may see."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    PlatformAdminFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.products.models import LoanProduct

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response):
    assert response.status_code == 200
    return {item["id"] for item in response.json()["results"]}


# --- IP assets --------------------------------------------------------------------------------


@pytest.fixture
def enterprise():
    return EnterpriseFactory()


@pytest.fixture
def sme_user(enterprise):
    return UserFactory(organisation=enterprise.organisation)


def test_an_sme_sees_only_its_own_ip_assets(enterprise, sme_user):
    own = IPAssetFactory.create_batch(2, owner=enterprise)
    IPAssetFactory()

    assert ids(client_for(sme_user).get("/api/v1/ip-assets/")) == {a.pk for a in own}


def test_an_sme_does_not_see_its_archived_assets(enterprise, sme_user):
    IPAssetFactory(owner=enterprise, archived_at=timezone.now())

    assert ids(client_for(sme_user).get("/api/v1/ip-assets/")) == set()


def test_an_sme_reads_its_own_asset(enterprise, sme_user):
    asset = IPAssetFactory(owner=enterprise)

    body = client_for(sme_user).get(f"/api/v1/ip-assets/{asset.pk}/").json()

    assert (body["identifier"], body["ip_type"], body["filing_date"]) == (asset.identifier, asset.ip_type, "2019-05-10")


def test_another_enterprises_asset_is_not_found(sme_user):
    other = IPAssetFactory()

    response = client_for(sme_user).get(f"/api/v1/ip-assets/{other.pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "instance"} <= set(body)
    assert (body["code"], body["status"], body["instance"]) == ("not_found", 404, f"/api/v1/ip-assets/{other.pk}/")


def test_a_bank_sees_no_ip_assets_in_the_catalogue():
    IPAssetFactory()

    assert ids(client_for(BankOfficerFactory()).get("/api/v1/ip-assets/")) == set()


def test_the_platform_sees_every_live_asset():
    assets = IPAssetFactory.create_batch(2)

    assert ids(client_for(PlatformAdminFactory()).get("/api/v1/ip-assets/")) == {a.pk for a in assets}


def test_assets_filter_by_ip_type(enterprise, sme_user):
    mark = IPAssetFactory(owner=enterprise, ip_type="trademark", identifier="12345678", nice_classes=[9])
    IPAssetFactory(owner=enterprise)

    assert ids(client_for(sme_user).get("/api/v1/ip-assets/", {"ip_type": "trademark"})) == {mark.pk}


# --- Loan products ----------------------------------------------------------------------------


@pytest.fixture
def officer():
    return BankOfficerFactory()


@pytest.fixture
def catalogue(officer):
    return {
        "published": LoanProductFactory(),
        "own_published": LoanProductFactory(bank=officer.organisation),
        "own_unpublished": LoanProductFactory(bank=officer.organisation, is_active=False),
        "other_unpublished": LoanProductFactory(is_active=False),
    }


def test_an_sme_sees_published_products_only(catalogue):
    assert ids(client_for(UserFactory()).get("/api/v1/products/")) == {
        catalogue["published"].pk,
        catalogue["own_published"].pk,
    }


def test_a_bank_also_sees_its_own_unpublished_products(officer, catalogue):
    assert ids(client_for(officer).get("/api/v1/products/")) == {
        catalogue["published"].pk,
        catalogue["own_published"].pk,
        catalogue["own_unpublished"].pk,
    }


def test_another_banks_unpublished_product_is_not_found(officer, catalogue):
    response = client_for(officer).get(f"/api/v1/products/{catalogue['other_unpublished'].pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_amounts_and_rates_are_decimal_strings(catalogue):
    body = client_for(UserFactory()).get(f"/api/v1/products/{catalogue['published'].pk}/").json()

    assert (body["min_amount"], body["max_amount"], body["min_rate"]) == ("1000000.00", "10000000.00", "0.035000")
    assert body["pledge_rate_caps"] == [{"ip_type": "invention_patent", "max_pledge_rate": "0.2500"}]


# --- Pagination -------------------------------------------------------------------------------


@pytest.fixture
def many_products():
    bank = LoanProductFactory().bank
    LoanProduct.objects.bulk_create(
        LoanProductFactory.build(
            bank=bank,
            name=f"批量产品 {n:03d}",
            min_amount=Decimal("100000.00"),
        )
        for n in range(205)
    )
    return LoanProduct.objects.count()


def test_a_page_has_25_products_by_default(many_products):
    body = client_for(UserFactory()).get("/api/v1/products/").json()

    assert (body["count"], len(body["results"])) == (many_products, 25)


def test_a_caller_may_ask_for_bigger_pages(many_products):
    body = client_for(UserFactory()).get("/api/v1/products/", {"page_size": 100}).json()

    assert len(body["results"]) == 100


def test_page_size_is_capped_at_200(many_products):
    body = client_for(UserFactory()).get("/api/v1/products/", {"page_size": 10_000}).json()

    assert len(body["results"]) == 200
    assert body["next"] is not None


# --- A bank's own products ---------------------------------------------------------------------

PRODUCT_BODY = {
    "name": "科创质押贷",
    "min_amount": "500000.00",
    "max_amount": "20000000.00",
    "min_term_months": 6,
    "max_term_months": 36,
    "min_rate": "0.033000",
    "max_rate": "0.050000",
    "repayment_methods": ["equal_principal", "interest_only"],
    "eligible_districts": ["320613"],
    "pledge_rate_caps": {"invention_patent": "0.30", "trademark": "0.20"},
}


def test_a_bank_posts_a_product_with_its_caps_and_publishes_it_later():
    officer = BankOfficerFactory()
    response = client_for(officer).post("/api/v1/products/", {**PRODUCT_BODY, "is_active": False}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["bank"] == officer.organisation.name
    assert {c["ip_type"]: c["max_pledge_rate"] for c in body["pledge_rate_caps"]} == {
        "invention_patent": "0.3000",
        "trademark": "0.2000",
    }
    # Unpublished: the bank sees it, an SME does not; published, everyone does.
    sme = UserFactory(role=Role.SME_OWNER)
    assert client_for(sme).get(f"/api/v1/products/{body['id']}/").status_code == 404
    published = client_for(officer).patch(f"/api/v1/products/{body['id']}/", {"is_active": True}, format="json")
    assert published.status_code == 200
    assert client_for(sme).get(f"/api/v1/products/{body['id']}/").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_amount": "30000000.00"}, "max_amount"),
        ({"repayment_methods": ["balloon"]}, "repayment_methods/0"),
        ({"pledge_rate_caps": {"spaceship": "0.3"}}, "pledge_rate_caps"),
        ({"pledge_rate_caps": {}}, "pledge_rate_caps"),
        ({"bank": 1}, "bank"),
    ],
)
def test_bad_product_terms_are_refused_with_the_field_named(change, field):
    response = client_for(BankOfficerFactory()).post("/api/v1/products/", {**PRODUCT_BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_terms_freeze_once_an_application_used_the_product_and_others_cannot_touch_it():
    application = ApplicationFactory()
    product = application.product
    officer = UserFactory(organisation=product.bank, role=Role.BANK_OFFICER)
    frozen = client_for(officer).patch(f"/api/v1/products/{product.pk}/", {"max_rate": "0.09"}, format="json")
    assert frozen.status_code == 409
    assert frozen.json()["code"] == "locked"
    other_bank = client_for(BankOfficerFactory()).patch(
        f"/api/v1/products/{product.pk}/", {"is_active": False}, format="json"
    )
    assert other_bank.status_code == 403
    assert (
        client_for(officer).patch(f"/api/v1/products/{product.pk}/", {"is_active": False}, format="json").status_code
        == 200
    )
    assert (
        client_for(UserFactory(role=Role.SME_OWNER)).post("/api/v1/products/", PRODUCT_BODY, format="json").status_code
        == 403
    )
