"""The bank's loan page: the lending bank's checker reverses a wrong repayment behind a reason and an explicit
confirmation, in Chinese; the officer who records repayments is not offered it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory, BankOfficerFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationStatus, Repayment
from tongzhirong.financing.services import repayment_record
from tongzhirong.lending.loans import loan_disburse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese(settings, _english_messages):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def officer():
    return BankOfficerFactory()


@pytest.fixture
def checker(officer):
    return UserFactory(organisation=officer.organisation, role=Role.BANK_CHECKER)


@pytest.fixture
def wrong(officer):
    application = ApplicationFactory(
        product__bank=officer.organisation,
        status=ApplicationStatus.REGISTERED,
        requested_amount=Decimal("120000.00"),
        approved_amount=Decimal("120000.00"),
        approved_term_months=12,
    )
    loan = loan_disburse(actor=officer, application=application, contract_number="JK-PAGE-1")
    return repayment_record(actor=officer, loan=loan, amount=Decimal("5000.00"))


def page(wrong):
    return reverse("web:bank-loan", args=[wrong.loan_id])


def reverse_post(wrong, **fields):
    return {"action": "reverse", "repayment": wrong.pk, **{f"reverse-{wrong.pk}-{k}": v for k, v in fields.items()}}


def test_the_checker_is_offered_the_reversal_in_chinese(client, checker, wrong):
    client.force_login(checker)
    html = client.get(page(wrong)).content.decode()
    assert "冲正此笔还款" in html
    assert "冲正原因" in html
    assert "我确认冲正" in html
    assert "Reverse this repayment" not in html


def test_the_recording_officer_is_not_offered_it(client, officer, wrong):
    client.force_login(officer)
    assert "冲正此笔还款" not in client.get(page(wrong)).content.decode()


def test_without_the_confirmation_nothing_is_reversed(client, checker, wrong):
    client.force_login(checker)
    response = client.post(page(wrong), reverse_post(wrong, reason="金额录错"))
    assert response.status_code == 200
    assert "请勾选以确认冲正" in response.content.decode()
    assert not Repayment.objects.filter(reverses=wrong).exists()


def test_confirmed_the_reversal_is_recorded_and_shown(client, checker, wrong):
    client.force_login(checker)
    response = client.post(page(wrong), reverse_post(wrong, reason="金额录错", confirm="on"), follow=True)
    assert Repayment.objects.get(reverses=wrong).reason == "金额录错"
    html = response.content.decode()
    assert "该笔还款已冲正" in html
    assert "冲正" in html
    assert "金额录错" in html
    assert "冲正此笔还款" not in html  # neither the original nor the reversal is offered again


def test_a_repayment_of_another_loan_is_not_found(client, checker, wrong, officer):
    other = ApplicationFactory(product__bank=officer.organisation, status=ApplicationStatus.REGISTERED)
    other_loan = loan_disburse(actor=officer, application=other, contract_number="JK-PAGE-2")
    client.force_login(checker)
    response = client.post(
        reverse("web:bank-loan", args=[other_loan.pk]), reverse_post(wrong, reason="x", confirm="on")
    )
    assert response.status_code == 404
    assert not Repayment.objects.filter(reverses=wrong).exists()
