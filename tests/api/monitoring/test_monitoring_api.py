"""Collateral health in the API: the flags for the parties to a loan, and the loan's health in its listing."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import client_for
from tests.factories import (
    BankFactory,
    EnterpriseFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    PlatformAdminFactory,
    UserFactory,
    loan_for,
)
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import LegalStatus
from tongzhirong.financing.models import ApplicationAsset
from tongzhirong.monitoring.services import collateral_monitor_run

pytestmark = pytest.mark.django_db

FLAGS = "/api/v1/collateral-flags/"
TODAY = dt.date(2026, 11, 25)


def pledged_loan(*, insurance_product=None, **asset_fields):
    firm = EnterpriseFactory()
    loan = loan_for(firm, disbursed=dt.date(2026, 6, 1), insurance_product=insurance_product)
    fields = {"annual_fee_paid_through": dt.date(2027, 5, 10), **asset_fields}
    ApplicationAsset.objects.create(application=loan.application, asset=IPAssetFactory(owner=firm, **fields))
    return loan


def sme_of(loan):
    return UserFactory(organisation=loan.borrower.organisation, role=Role.SME_OWNER)


def officer_of(loan):
    return UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER)


def test_the_loan_shows_its_collateral_health():
    healthy, watched, alerted = (
        pledged_loan(),
        pledged_loan(invalidation_pending=True),
        pledged_loan(legal_status=LegalStatus.INVALIDATED),
    )
    collateral_monitor_run(as_of=TODAY)
    health = {
        loan.pk: client_for(sme_of(loan)).get(f"/api/v1/loans/{loan.pk}/").json()["collateral_health"]
        for loan in (healthy, watched, alerted)
    }
    assert health == {healthy.pk: "ok", watched.pk: "watch", alerted.pk: "alert"}


def test_the_parties_see_the_flags_of_their_loan_and_others_none():
    insurance = InsuranceProductFactory()
    loan = pledged_loan(insurance_product=insurance, legal_status=LegalStatus.LAPSED)
    collateral_monitor_run(as_of=TODAY)
    insurer = UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER)
    for party in (sme_of(loan), officer_of(loan), insurer):
        [flag] = client_for(party).get(FLAGS).json()["results"]
        assert (flag["kind"], flag["severity"]) == ("legal_status", "alert")
        assert flag["contract_number"] == loan.contract_number
    other_bank = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    other_insurer = UserFactory(organisation=InsuranceProductFactory().insurer, role=Role.UNDERWRITER)
    for outsider in (other_bank, other_insurer, sme_of(pledged_loan())):
        assert client_for(outsider).get(FLAGS).json()["count"] == 0


def test_the_flags_filter_by_status_and_loan():
    loan = pledged_loan(annual_fee_paid_through=TODAY - dt.timedelta(days=5))
    collateral_monitor_run(as_of=TODAY)
    client = client_for(officer_of(loan))
    assert client.get(FLAGS + "?status=open").json()["count"] == 1
    assert client.get(FLAGS + "?status=resolved").json()["count"] == 0
    assert client.get(f"{FLAGS}?loan={loan.pk}&kind=annual_fee_overdue").json()["count"] == 1


def test_the_bank_accepts_new_co_owners_and_the_sme_may_not():
    loan = pledged_loan()
    asset = loan.application.assets.get()
    asset.co_owners.create(name="南通大学")
    collateral_monitor_run(as_of=TODAY)
    [flag] = client_for(officer_of(loan)).get(FLAGS).json()["results"]
    url = f"{FLAGS}{flag['id']}/accept/"
    assert client_for(sme_of(loan)).post(url, {"note": "同意"}, format="json").status_code == 403
    accepted = client_for(officer_of(loan)).post(url, {"note": "已取得南通大学书面同意"}, format="json")
    assert (accepted.json()["status"], accepted.json()["resolution"]) == ("resolved", "已取得南通大学书面同意")
    again = client_for(officer_of(loan)).post(url, {"note": "再次"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_other_flags_clear_only_with_the_record():
    loan = pledged_loan(legal_status=LegalStatus.EXPIRED)
    collateral_monitor_run(as_of=TODAY)
    [flag] = client_for(officer_of(loan)).get(FLAGS).json()["results"]
    response = client_for(officer_of(loan)).post(f"{FLAGS}{flag['id']}/accept/", {"note": "x"}, format="json")
    assert response.status_code == 409


def count(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.json()
    return len(captured), len(response.json()["results"])


def test_the_flag_and_loan_lists_cost_the_same_queries_for_2_or_12_rows():
    for _ in range(12):
        pledged_loan(legal_status=LegalStatus.INVALIDATED, invalidation_pending=True, expiry_date=dt.date(2027, 1, 1))
    collateral_monitor_run(as_of=TODAY)
    client = client_for(PlatformAdminFactory())
    for path in (FLAGS, "/api/v1/loans/"):
        count(client, path + "?page_size=2")
        small, rows_small = count(client, path + "?page_size=2")
        large, rows_large = count(client, path + "?page_size=12")
        assert (rows_small, rows_large) == (2, 12)
        assert small == large, path
