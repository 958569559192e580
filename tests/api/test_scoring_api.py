import pytest
from rest_framework.test import APIClient

from tests.factories import ApplicationFactory, BankOfficerFactory, IPAssetFactory, UserFactory
from tongzhirong.financing.models import ApplicationAsset

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_sme_values_its_own_asset():
    asset = IPAssetFactory()
    owner = UserFactory(organisation=asset.owner.organisation)
    response = _client(owner).get(f"/api/v1/ip-assets/{asset.pk}/valuation/")
    assert response.status_code == 200
    body = response.json()
    assert float(body["p10"]) <= float(body["p50"]) <= float(body["p90"])
    assert isinstance(body["p50"], str)  # money is a string, never a float
    assert body["model_version"] == "ip_value/v1"


def test_another_enterprises_asset_is_not_found():
    asset = IPAssetFactory()
    stranger = UserFactory()
    response = _client(stranger).get(f"/api/v1/ip-assets/{asset.pk}/valuation/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_lending_bank_sees_the_score_and_another_bank_does_not():
    officer = BankOfficerFactory()
    application = ApplicationFactory(product__bank=officer.organisation, status="submitted")
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    response = _client(officer).get(f"/api/v1/applications/{application.pk}/score/")
    assert response.status_code == 200
    assert response.json()["band"] in "ABCDE"
    assert _client(BankOfficerFactory()).get(f"/api/v1/applications/{application.pk}/score/").status_code == 404
