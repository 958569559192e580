import pytest
from rest_framework.test import APIClient

from scoring.models import ApplicationScore, AssetValuation
from scoring.services import application_score
from tests.factories import ApplicationFactory, BankOfficerFactory, IPAssetFactory, UserFactory
from tongzhirong.accounts.models import Role
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


def _submitted(officer):
    application = ApplicationFactory(product__bank=officer.organisation, status="submitted")
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    return application


def test_the_lending_bank_sees_the_score_and_another_bank_does_not():
    officer = BankOfficerFactory()
    application = _submitted(officer)
    application_score(application=application)
    response = _client(officer).get(f"/api/v1/applications/{application.pk}/score/")
    assert response.status_code == 200
    assert response.json()["band"] in "ABCDE"
    assert _client(BankOfficerFactory()).get(f"/api/v1/applications/{application.pk}/score/").status_code == 404


def test_reading_a_score_never_scores():
    officer = BankOfficerFactory()
    application = _submitted(officer)
    response = _client(officer).get(f"/api/v1/applications/{application.pk}/score/")
    assert response.status_code == 404
    assert response.json()["detail"] == "This application is not scored yet: it is scored when submitted."
    assert not ApplicationScore.objects.exists()
    assert not AssetValuation.objects.exists()


def test_reading_a_score_after_the_inputs_changed_shows_the_score_under_review():
    officer = BankOfficerFactory()
    application = _submitted(officer)
    reviewed = application_score(application=application)
    application.enterprise.has_court_enforcement = not application.enterprise.has_court_enforcement
    application.enterprise.save()
    body = _client(officer).get(f"/api/v1/applications/{application.pk}/score/").json()
    assert body["inputs"] == reviewed.inputs
    assert ApplicationScore.objects.filter(application=application).count() == 1


def test_the_bank_rescores_on_request_and_the_new_score_is_what_it_reads():
    officer = BankOfficerFactory()
    application = _submitted(officer)
    before = application_score(application=application)
    application.enterprise.has_court_enforcement = not application.enterprise.has_court_enforcement
    application.enterprise.save()
    response = _client(officer).post(f"/api/v1/applications/{application.pk}/rescore/")
    assert response.status_code == 200
    assert ApplicationScore.objects.filter(application=application).count() == 2
    latest = ApplicationScore.objects.filter(application=application).exclude(pk=before.pk).get()
    read = _client(officer).get(f"/api/v1/applications/{application.pk}/score/").json()
    assert read == response.json()
    assert read["inputs"] == latest.inputs != before.inputs


def test_the_applicant_cannot_rescore_its_own_application():
    officer = BankOfficerFactory()
    application = _submitted(officer)
    owner = UserFactory(organisation=application.enterprise.organisation, role=Role.SME_OWNER)
    response = _client(owner).post(f"/api/v1/applications/{application.pk}/rescore/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert not ApplicationScore.objects.exists()
