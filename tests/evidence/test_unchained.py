"""Every row of an evidence table has its entry: a money record or a status change written past the services
(raw SQL, with no entry) is named by verify_audit and the endpoint, and an entry whose row is gone is named by
its number. The check is set-based: its queries do not grow with the rows."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.helpers import accepted_offer, client_for, signed_package
from tests.factories import PlatformAdminFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.evidence.models import Entry
from tongzhirong.evidence.selectors import CHAINED_RECORDS, chain_verify
from tongzhirong.financing.models import Loan, Repayment
from tongzhirong.financing.services import repayment_record, repayment_reverse

from .helpers import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(under_review, officer, sme):
    """A disbursed loan, through the API journey (every row chained by its service)."""
    url = accepted_offer(under_review, officer, sme)
    signed_package(url, officer, sme)
    assert client_for(officer).post(url + "file-pledge/").status_code == 200
    body = {"registration_number": "Y2026320009999", "registered_on": "2026-11-20"}
    assert client_for(officer).post(url + "record-registration/", body).status_code == 200
    assert client_for(officer).post(url + "disburse/", {"contract_number": "NT-UC-1"}).status_code == 200
    return Loan.objects.get(application=under_review)


def insert_repayment_behind_the_services(loan) -> int:
    tamper(
        "INSERT INTO financing_repayment (loan_id, paid_at, amount, principal_part, interest_part, penalty_part, "
        "reference, reason) VALUES (%s, %s, 100, 100, 0, 0, 'forged', '')",
        [loan.pk, timezone.now()],
    )
    return Repayment.objects.get(reference="forged").pk


def test_a_lending_journey_leaves_no_record_unchained(loan, officer):
    repayment_record(actor=officer, loan=loan, amount=Decimal("1000.00"))
    report = chain_verify()
    assert (report.intact, report.unchained) == (True, 0)


def test_a_repayment_inserted_with_raw_sql_is_named_by_verify_audit(loan):
    forged = insert_repayment_behind_the_services(loan)

    report = chain_verify()

    assert (report.intact, report.unchained) == (False, 1)
    found = report.first_break
    assert (found.seq, found.problem, found.subject) == (None, "record_unchained", f"financing.repayment#{forged}")
    with pytest.raises(CommandError, match=f"1 record\\(s\\) have no entry, first financing.repayment#{forged}"):
        call_command("verify_audit")


def test_the_endpoint_names_the_unchained_record(loan):
    forged = insert_repayment_behind_the_services(loan)
    body = client_for(PlatformAdminFactory()).get("/api/v1/evidence/audit/").json()
    assert body["intact"] is False
    assert body["unchained"] == 1
    assert (body["first_break"]["problem"], body["first_break"]["subject"], body["first_break"]["seq"]) == (
        "record_unchained",
        f"financing.repayment#{forged}",
        None,
    )


def test_a_status_change_inserted_with_raw_sql_is_named(loan):
    tamper(
        "INSERT INTO core_statuschange (content_type_id, object_id, from_status, to_status, reason, created_at) "
        "SELECT content_type_id, object_id, 'active', 'repaid', 'forged', created_at FROM core_statuschange "
        "ORDER BY id DESC LIMIT 1"
    )
    found = chain_verify().first_break
    assert (found.problem, found.subject.split("#")[0]) == ("record_unchained", "core.statuschange")


def test_an_entry_whose_row_is_gone_is_named_by_its_number(loan, officer):
    repayment = repayment_record(actor=officer, loan=loan, amount=Decimal("1000.00"))
    entry = Entry.objects.get(kind="repayment")
    tamper("DELETE FROM financing_repaymentallocation WHERE repayment_id = %s", [repayment.pk])
    tamper("DELETE FROM financing_repayment WHERE id = %s", [repayment.pk])
    found = chain_verify().first_break
    assert (found.seq, found.problem) == (entry.seq, "record_deleted")


def test_a_reversal_is_chained_like_any_repayment(loan, officer):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("1000.00"))
    repayment_reverse(
        actor=UserFactory(organisation=officer.organisation, role=Role.BANK_MANAGER), repayment=wrong, reason="x"
    )
    assert chain_verify().unchained == 0


def test_the_check_costs_the_same_queries_for_one_row_or_many(loan, officer):
    repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    with CaptureQueriesContext(connection) as few:
        chain_verify()
    for _ in range(5):
        repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    with CaptureQueriesContext(connection) as many:
        chain_verify()
    assert len(many) == len(few)
    assert len(CHAINED_RECORDS) < len(few)
