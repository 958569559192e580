"""The catalogue endpoints show each caller only what it may see."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import (
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    PlatformAdminFactory,
    UserFactory,
)
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
