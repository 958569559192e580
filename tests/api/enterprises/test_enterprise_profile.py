"""The SME's enterprise profile through the API: read, create once, change what may change."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    BankOfficerFactory,
    EnterpriseFactory,
    OrganisationFactory,
    PlatformAdminFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.core.reference import Chain, Cluster, District
from tongzhirong.enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

URL = "/api/v1/enterprise/"
USCC = "914403001922038216"
PROBLEM = "application/problem+json"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def profile(**overrides):
    body = {
        "uscc": USCC,
        "legal_name": "南通恒创新材料有限公司",
        "district": District.RUGAO,
        "cluster": Cluster.NEW_MATERIALS,
        "chain": Chain.CHEMICAL_MATERIALS,
        "founded_on": "2012-04-18",
        "registered_capital": "20000000.00",
        "employees": 140,
        "annual_revenue": "85000000.00",
    }
    return {**body, **overrides}


@pytest.fixture
def newcomer():
    """An SME owner whose organisation has no profile yet."""
    return UserFactory(organisation=OrganisationFactory(), role=Role.SME_OWNER)


@pytest.fixture
def enterprise():
    return EnterpriseFactory()


@pytest.fixture
def sme(enterprise):
    return UserFactory(organisation=enterprise.organisation, role=Role.SME_STAFF)


def test_an_sme_reads_its_own_profile(enterprise, sme):
    EnterpriseFactory()

    body = client_for(sme).get(URL).json()

    assert (body["id"], body["uscc"], body["organisation"]) == (
        enterprise.pk,
        enterprise.uscc,
        enterprise.organisation.name,
    )
    assert body["registered_capital"] == "5000000.00"
    assert body["tech_markers"] == ["high_tech"]


def test_an_sme_without_a_profile_is_told_to_create_it(newcomer):
    response = client_for(newcomer).get(URL)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Your organisation has no enterprise profile yet: create it with POST."


def test_an_sme_creates_its_profile(newcomer):
    response = client_for(newcomer).post(URL, profile(), format="json")

    assert response.status_code == 201, response.json()
    enterprise = Enterprise.objects.get()
    assert (enterprise.organisation, enterprise.uscc) == (newcomer.organisation, USCC)
    assert response.json()["id"] == enterprise.pk


def test_a_uscc_typed_in_full_width_lower_case_is_stored_canonical(newcomer):
    typed = "９１４４０３００７１５２６７２６ｘｇ"

    response = client_for(newcomer).post(URL, profile(uscc=typed), format="json")

    assert response.status_code == 201, response.json()
    assert Enterprise.objects.get().uscc == "9144030071526726XG"


def test_a_bad_uscc_is_refused_on_its_field(newcomer):
    response = client_for(newcomer).post(URL, profile(uscc="914403001922038217"), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"] == {"uscc": ["USCC check character should be 6, not 7."]}
    assert not Enterprise.objects.exists()


def test_a_uscc_of_another_enterprise_is_refused(newcomer):
    EnterpriseFactory(uscc=USCC)

    response = client_for(newcomer).post(URL, profile(), format="json")

    assert response.status_code == 400
    assert "uscc" in response.json()["errors"]


def test_a_second_profile_is_a_duplicate(enterprise, sme):
    response = client_for(sme).post(URL, profile(), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate"
    assert Enterprise.objects.get() == enterprise


def test_the_organisation_cannot_be_chosen(newcomer):
    other = OrganisationFactory()

    response = client_for(newcomer).post(URL, profile(organisation=other.pk), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"organisation": ["This field cannot be changed."]}
    assert not Enterprise.objects.exists()


def test_an_unknown_field_is_refused_not_dropped(newcomer):
    response = client_for(newcomer).post(URL, profile(credit_limit="99999999"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"credit_limit": ["Unknown field."]}


def test_a_business_rule_of_the_profile_names_its_field(newcomer):
    response = client_for(newcomer).post(URL, profile(chain=Chain.SOFTWARE), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"chain": ["This chain is not part of the chosen cluster."]}


def test_an_sme_changes_its_editable_fields(enterprise, sme):
    response = client_for(sme).patch(URL, {"employees": 95, "annual_revenue": "32000000.00"}, format="json")

    assert response.status_code == 200, response.json()
    enterprise.refresh_from_db()
    assert (enterprise.employees, enterprise.annual_revenue) == (95, Decimal("32000000.00"))


VERIFIED = {
    "legal_name": "南通改名科技有限公司",
    "founded_on": "2001-01-01",
    "registered_capital": "90000000.00",
    "is_high_tech": False,
    "is_tech_sme": True,
    "is_specialised": True,
    "is_little_giant": True,
    "is_ip_certified": True,
    "existing_debt": "0.00",
    "prior_ip_loans": 0,
    "overdue_events_24m": 0,
    "max_days_past_due_24m": 0,
    "has_court_enforcement": False,
    "tax_credit_grade": "A",
}


@pytest.mark.parametrize("field", sorted(VERIFIED))
def test_a_verified_field_is_refused_by_name_and_nothing_changes(enterprise, sme, field):
    before = Enterprise.objects.values().get(pk=enterprise.pk)

    response = client_for(sme).patch(URL, {field: VERIFIED[field], "employees": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        field: ["This comes from a verified source and cannot be changed here; dispute the fact if it is wrong."]
    }
    assert Enterprise.objects.values().get(pk=enterprise.pk) == before


@pytest.mark.parametrize("field", ["uscc", "organisation", "id"])
def test_fixed_fields_cannot_be_changed(enterprise, sme, field):
    response = client_for(sme).patch(URL, {field: USCC}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {field: ["This field cannot be changed."]}
    enterprise.refresh_from_db()
    assert enterprise.uscc != USCC


def test_a_change_is_validated_like_a_creation(enterprise, sme):
    response = client_for(sme).patch(URL, {"chain": Chain.WIND_POWER}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"chain": ["This chain is not part of the chosen cluster."]}


def test_patching_before_creating_is_not_found(newcomer):
    assert client_for(newcomer).patch(URL, {"employees": 1}, format="json").status_code == 404


@pytest.mark.parametrize("method", ["get", "post", "patch"])
@pytest.mark.parametrize("factory", [BankOfficerFactory, PlatformAdminFactory], ids=["bank", "platform"])
def test_other_organisations_have_no_enterprise_profile(method, factory):
    response = getattr(client_for(factory()), method)(URL, profile(), format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["code"], body["detail"]) == ("permission_denied", "Only an SME has an enterprise profile.")
    assert not Enterprise.objects.exists()


def test_anonymous_callers_are_asked_to_sign_in():
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_retried_creation_with_the_same_key_creates_one_profile(newcomer):
    client = client_for(newcomer)
    first = client.post(URL, profile(), format="json", headers={"Idempotency-Key": "create-profile-1"})
    again = client.post(URL, profile(), format="json", headers={"Idempotency-Key": "create-profile-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Enterprise.objects.count() == 1
