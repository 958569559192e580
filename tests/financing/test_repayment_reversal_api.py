"""POST /api/v1/loans/{id}/repayments/{repayment_id}/reverse/: who may reverse, in what shape refusals come, and
that a retried request under one Idempotency-Key reverses once."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import client_for
from tests.factories import ApplicationFactory, BankOfficerFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.financing.models import ApplicationStatus, Repayment
from tongzhirong.financing.services import repayment_record
from tongzhirong.lending.loans import loan_disburse

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def officer():
    return BankOfficerFactory()


@pytest.fixture
def checker(officer):
    return UserFactory(organisation=officer.organisation, role=Role.BANK_CHECKER)


@pytest.fixture
def loan(officer):
    application = ApplicationFactory(
        product__bank=officer.organisation,
        status=ApplicationStatus.REGISTERED,
        requested_amount=Decimal("120000.00"),
        approved_amount=Decimal("120000.00"),
        approved_rate=Decimal("0.060000"),
        approved_term_months=12,
        repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    return loan_disburse(actor=officer, application=application, contract_number="JK-API-1")


@pytest.fixture
def wrong(officer, loan):
    return repayment_record(actor=officer, loan=loan, amount=Decimal("15000.00"), reference="B-9")


def url(loan, repayment):
    return f"/api/v1/loans/{loan.pk}/repayments/{repayment.pk}/reverse/"


def test_the_lending_bank_s_checker_reverses(checker, loan, wrong):
    response = client_for(checker).post(url(loan, wrong), {"reason": "wrong amount"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["principal_part"], body["interest_part"]) == ("-15000.00", "-13850.00", "-1150.00")
    assert (body["reverses"], body["reason"], body["reference"]) == (wrong.pk, "wrong amount", "B-9")
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("120000.00")


def others(officer, loan):
    foreign_bank = BankOfficerFactory().organisation
    return {
        "the recording officer": (officer, 403),
        "the borrower": (UserFactory(organisation=loan.borrower.organisation, role=Role.SME_OWNER), 403),
        "another bank's checker": (UserFactory(organisation=foreign_bank, role=Role.BANK_CHECKER), 404),
        "another bank's manager": (UserFactory(organisation=foreign_bank, role=Role.BANK_MANAGER), 404),
        "another borrower": (UserFactory(organisation=ApplicationFactory().enterprise.organisation), 404),
    }


def test_everyone_else_is_refused_as_problem_json_and_nothing_is_written(officer, loan, wrong):
    for who, (user, expected) in others(officer, loan).items():
        response = client_for(user).post(url(loan, wrong), {"reason": "x"}, format="json")
        assert response.status_code == expected, who
        assert response["Content-Type"] == PROBLEM, who
    assert not Repayment.objects.filter(reverses=wrong).exists()


def test_anonymous_callers_are_refused(loan, wrong):
    response = APIClient().post(url(loan, wrong), {"reason": "x"}, format="json")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_another_loan_s_repayment_is_not_found(officer, checker, loan, wrong):
    other_loan = loan_disburse(
        actor=officer,
        application=ApplicationFactory(product__bank=officer.organisation, status=ApplicationStatus.REGISTERED),
        contract_number="JK-API-2",
    )
    response = client_for(checker).post(url(other_loan, wrong), {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_second_reversal_is_a_conflict(checker, loan, wrong):
    client = client_for(checker)
    assert client.post(url(loan, wrong), {"reason": "x"}, format="json").status_code == 201
    again = client.post(url(loan, wrong), {"reason": "x"}, format="json")
    assert again.status_code == 409
    assert (again["Content-Type"], again.json()["code"]) == (PROBLEM, "conflict")


def test_reversing_a_reversal_is_a_conflict(checker, loan, wrong):
    reversal_id = client_for(checker).post(url(loan, wrong), {"reason": "x"}, format="json").json()["id"]
    manager = UserFactory(organisation=checker.organisation, role=Role.BANK_MANAGER)
    response = client_for(manager).post(
        f"/api/v1/loans/{loan.pk}/repayments/{reversal_id}/reverse/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409


def test_a_reason_is_required(checker, loan, wrong):
    response = client_for(checker).post(url(loan, wrong), {}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "reason" in response.json()["errors"]


def test_a_retry_under_the_same_idempotency_key_reverses_once_and_replays_the_bytes(checker, loan, wrong):
    client = client_for(checker)
    first = client.post(url(loan, wrong), {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    again = client.post(url(loan, wrong), {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Repayment.objects.filter(reverses=wrong).count() == 1


def test_the_operation_and_its_refusals_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/loans/{id}/repayments/{repayment_id}/reverse/"]["post"]
    assert {"201", "400", "403", "404", "409"} <= set(operation["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
