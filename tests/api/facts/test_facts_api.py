"""The facts API: what the sources say with its provenance, the firm's disputes (the bank sees them, the platform
resolves them), credit-check authorisations, and a bank recording the credit report it pulled under one. Bad
input gets the one problem shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.helpers import client_for
from tests.factories import ApplicationFactory, BankOfficerFactory, PlatformAdminFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.models import CreditAuthorisation, Fact
from tongzhirong.facts.services import fact_record

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def enterprise(sme):
    return sme.organisation.enterprise


@pytest.fixture
def platform():
    return PlatformAdminFactory()


@pytest.fixture
def applied(enterprise, product):
    """The firm applied to the officer's bank: the bank sees its facts."""
    return ApplicationFactory(enterprise=enterprise, product=product, status="submitted")


@pytest.fixture
def court_fact(enterprise, platform):
    return fact_record(
        actor=platform,
        enterprise=enterprise,
        name="has_court_enforcement",
        value=True,
        reference="ZXGK-2026-0042",
        observed_at=timezone.now() - dt.timedelta(days=2),
    )


def in_90_days() -> str:
    return (timezone.localdate() + dt.timedelta(days=90)).isoformat()


def authorise(sme, bank):
    body = {"bank": bank.pk, "scope": "loan_review", "expires_on": in_90_days()}
    return client_for(sme).post("/api/v1/credit-authorisations/", body, format="json")


def test_the_firm_reads_its_facts_with_their_provenance(sme, court_fact):
    body = client_for(sme).get("/api/v1/facts/?name=has_court_enforcement").json()

    verified = [f for f in body["results"] if f["verified"]]
    assert verified[0] | {"fetched_at": None} == {
        "id": court_fact.pk,
        "enterprise": court_fact.enterprise_id,
        "asset": None,
        "name": "has_court_enforcement",
        "label": "Under court enforcement",
        "value": True,
        "source": "court_enforcement",
        "reference": "ZXGK-2026-0042",
        "observed_at": verified[0]["observed_at"],
        "fetched_at": None,
        "fetched_by": court_fact.fetched_by.organisation.name,
        "verified": True,
        "authorisation": None,
    }
    declared = [f for f in body["results"] if not f["verified"]]
    assert [f["source"] for f in declared] == ["declared"]  # what the firm had declared, kept


def test_the_bank_sees_the_facts_of_a_firm_that_applied_to_it_and_no_other(officer, applied, court_fact):
    assert client_for(officer).get(f"/api/v1/facts/{court_fact.pk}/").status_code == 200
    stranger = BankOfficerFactory()
    assert client_for(stranger).get(f"/api/v1/facts/{court_fact.pk}/").status_code == 404
    assert client_for(stranger).get("/api/v1/facts/").json()["count"] == 0


def test_a_dispute_the_firm_opens_the_bank_sees_and_the_platform_resolves(sme, officer, applied, platform, court_fact):
    opened = client_for(sme).post(
        f"/api/v1/facts/{court_fact.pk}/dispute/", {"reason": "案件已于2026年10月结案"}, format="json"
    )
    assert opened.status_code == 201
    dispute = opened.json()
    assert (dispute["status"], dispute["fact_name"], dispute["fact_value"]) == ("open", "has_court_enforcement", True)

    seen = client_for(officer).get("/api/v1/fact-disputes/?status=open").json()["results"]
    assert [d["id"] for d in seen] == [dispute["id"]]
    assert client_for(sme).post(f"/api/v1/fact-disputes/{dispute['id']}/resolve/", {}, format="json").status_code in (
        400,
        403,
    )

    resolved = client_for(platform).post(
        f"/api/v1/fact-disputes/{dispute['id']}/resolve/",
        {"upheld": True, "resolution": "法院确认已结案", "corrected_value": False, "reference": "ZXGK-2026-0042-C"},
        format="json",
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "upheld"
    correction = Fact.objects.get(pk=resolved.json()["correction"])
    assert (correction.value, correction.reference) == (False, "ZXGK-2026-0042-C")
    assert Enterprise.objects.get(pk=court_fact.enterprise_id).has_court_enforcement is False


def test_a_second_dispute_of_the_same_fact_is_a_conflict(sme, court_fact):
    url = f"/api/v1/facts/{court_fact.pk}/dispute/"
    client_for(sme).post(url, {"reason": "有误"}, format="json")

    again = client_for(sme).post(url, {"reason": "有误"}, format="json")

    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("body", "field"),
    [({"reason": "   "}, "reason"), ({}, "reason"), ({"reason": "x", "status": "upheld"}, "status")],
)
def test_a_bad_dispute_is_a_problem_naming_the_field(sme, court_fact, body, field):
    response = client_for(sme).post(f"/api/v1/facts/{court_fact.pk}/dispute/", body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]


def test_the_owner_signs_and_revokes_an_authorisation_the_bank_reads_it(sme, officer):
    signed = authorise(sme, officer.organisation)
    assert signed.status_code == 201
    pk = signed.json()["id"]
    assert client_for(officer).get(f"/api/v1/credit-authorisations/{pk}/").json()["live"] is True

    revoked = client_for(sme).post(f"/api/v1/credit-authorisations/{pk}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["live"] is False
    again = client_for(sme).post(f"/api/v1/credit-authorisations/{pk}/revoke/")
    assert again.status_code == 409


def test_staff_cannot_sign_an_authorisation_and_bad_terms_are_problems(sme, officer):
    staff = UserFactory(organisation=sme.organisation, role=Role.SME_STAFF)
    assert authorise(staff, officer.organisation).status_code == 403

    past = {"bank": officer.organisation.pk, "scope": "loan_review", "expires_on": "2020-01-01"}
    response = client_for(sme).post("/api/v1/credit-authorisations/", past, format="json")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert "expires_on" in response.json()["errors"]
    not_a_bank = {"bank": sme.organisation.pk, "scope": "sometimes", "expires_on": in_90_days()}
    response = client_for(sme).post("/api/v1/credit-authorisations/", not_a_bank, format="json")
    assert set(response.json()["errors"]) == {"bank", "scope"}
    assert not CreditAuthorisation.objects.exists()


def report(enterprise, **values):
    return {
        "enterprise": enterprise.pk,
        "reference": "CR-2026-000123",
        "observed_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "values": values or {"overdue_events_24m": 1, "existing_debt": "3500000.00"},
    }


def test_the_authorised_bank_records_the_credit_report_line_by_line(sme, officer, enterprise):
    authorise(sme, officer.organisation)

    response = client_for(officer).post("/api/v1/credit-reports/", report(enterprise), format="json")

    assert response.status_code == 201
    lines = {f["name"]: f for f in response.json()["facts"]}
    assert set(lines) == {"overdue_events_24m", "existing_debt"}
    assert {f["source"] for f in lines.values()} == {"credit_report"}
    assert lines["existing_debt"]["authorisation"] is not None
    enterprise.refresh_from_db()
    assert (enterprise.overdue_events_24m, str(enterprise.existing_debt)) == (1, "3500000.00")


def test_without_a_live_authorisation_the_bank_records_nothing(sme, officer, enterprise):
    response = client_for(officer).post("/api/v1/credit-reports/", report(enterprise), format="json")

    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)
    assert not Fact.objects.filter(source="credit_report").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"overdue_events_24m": -1}, "values/overdue_events_24m"),
        ({"tax_credit_grade": "A"}, "values/tax_credit_grade"),  # not a line of the credit report
        ({}, "values"),
    ],
)
def test_a_bad_report_records_no_line_and_names_the_bad_one(sme, officer, enterprise, values, field):
    authorise(sme, officer.organisation)
    body = report(enterprise) | {"values": {"existing_debt": "100.00", **values} if values else {}}

    response = client_for(officer).post("/api/v1/credit-reports/", body, format="json")

    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert field in response.json()["errors"]
    assert not Fact.objects.filter(source="credit_report").exists()


@pytest.mark.parametrize("query", ["enterprise=abc", "name=favourite_colour", "asset=0"])
def test_a_bad_filter_is_a_problem(sme, query):
    response = client_for(sme).get(f"/api/v1/facts/?{query}")

    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
