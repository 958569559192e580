"""Tampering as an insider with SQL would: raw statements, past the ORM and (on PostgreSQL, where the tables
refuse UPDATE and DELETE) past the triggers by naming them, as only code that knows them can."""

import pgtrigger
from django.db import connection

from tests.api.helpers import accepted_offer, client_for, signed_package
from tongzhirong.financing.models import Loan


def tamper(sql: str, params=()) -> None:
    with pgtrigger.ignore(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def repaid_loan_journey(application, officer, sme) -> Loan:
    """From review to a repaid loan whose pledge release is recorded, all through the API."""
    url = accepted_offer(application, officer, sme)
    signed_package(url, officer, sme)
    assert client_for(officer).post(url + "file-pledge/").status_code == 200
    registered = client_for(officer).post(
        url + "record-registration/", {"registration_number": "Y2026320001234", "registered_on": "2026-11-20"}
    )
    assert registered.status_code == 200, registered.json()
    assert client_for(officer).post(url + "disburse/", {"contract_number": "NT-EV-1"}).status_code == 200
    loan = Loan.objects.get(application=application)
    owed = sum(line.principal_due + line.interest_due for line in loan.schedule.all())
    assert client_for(officer).post(f"/api/v1/loans/{loan.pk}/repayments/", {"amount": str(owed)}).status_code == 201
    released = client_for(officer).post(f"/api/v1/loans/{loan.pk}/record-release/", {"released_on": "2026-11-24"})
    assert released.status_code == 200, released.json()
    return loan
