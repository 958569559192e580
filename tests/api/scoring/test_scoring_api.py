import pytest
from rest_framework.test import APIClient

from scoring.models import ApplicationScore, AssetValuation
from scoring.services import application_score
from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
    make_patent_number,
)
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationAsset

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_asset_registered_through_the_api_is_valued_and_its_valuation_read(django_capture_on_commit_callbacks):
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    body = {
        "ip_type": "invention_patent",
        "identifier": make_patent_number(424_242, year=2021),
        "title": "一种储能电池热管理方法",
        "legal_status": "valid",
        "filing_date": "2021-03-01",
        "grant_date": "2023-05-01",
    }
    with django_capture_on_commit_callbacks(execute=True):  # the valuation is queued on commit
        created = _client(owner).post("/api/v1/ip-assets/", body, format="json")
    assert created.status_code == 201, created.json()
    response = _client(owner).get(f"/api/v1/ip-assets/{created.json()['id']}/valuation/")
    assert response.status_code == 200
    body = response.json()
    assert float(body["p10"]) <= float(body["p50"]) <= float(body["p90"])
    assert isinstance(body["p50"], str)  # money is a string, never a float
    assert body["model_version"] == "ip_value/v2"


def test_reading_a_valuation_never_values():
    asset = IPAssetFactory()  # not registered through the service: nothing queued its valuation
    owner = UserFactory(organisation=asset.owner.organisation)

    response = _client(owner).get(f"/api/v1/ip-assets/{asset.pk}/valuation/")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not AssetValuation.objects.exists()


def test_correcting_an_asset_values_it_again_on_its_new_inputs(django_capture_on_commit_callbacks):
    asset = IPAssetFactory(forward_citations=1)
    owner = UserFactory(organisation=asset.owner.organisation, role=Role.SME_OWNER)

    with django_capture_on_commit_callbacks(execute=True):
        response = _client(owner).patch(f"/api/v1/ip-assets/{asset.pk}/", {"forward_citations": 40}, format="json")

    assert response.status_code == 200, response.json()
    assert AssetValuation.objects.filter(asset=asset).count() == 1
    assert _client(owner).get(f"/api/v1/ip-assets/{asset.pk}/valuation/").status_code == 200


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


def test_matching_reads_stored_valuations_and_names_an_asset_not_yet_valued():
    asset = IPAssetFactory(forward_citations=30, family_size=6)  # not registered through the service: not valued
    owner = UserFactory(organisation=asset.owner.organisation, role=Role.SME_OWNER)
    LoanProductFactory()

    body = _client(owner).get(f"/api/v1/products/matches/?assets={asset.pk}&term_months=12").json()

    assert body["matches"] == []
    codes = {r["code"] for e in body["excluded"] for i in e["ineligible_assets"] for r in i["reasons"]}
    assert "not_valued" in codes
    assert not AssetValuation.objects.exists()
