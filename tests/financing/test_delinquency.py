import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import LoanFactory
from tongzhirong.core.state import history
from tongzhirong.financing.models import LoanStatus, ScheduleLine
from tongzhirong.financing.services import delinquency_bucket, loans_refresh_delinquency

pytestmark = pytest.mark.django_db


def loan_due_on(due: dt.date):
    loan = LoanFactory()
    ScheduleLine.objects.create(
        loan=loan, sequence=1, due_date=due, principal_due=Decimal("3000000.00"), interest_due=Decimal("10000.00")
    )
    return loan


@pytest.mark.parametrize(
    ("days", "bucket"), [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (61, "61-90"), (91, "90+")]
)
def test_buckets(days, bucket):
    assert delinquency_bucket(days) == bucket


def test_an_unpaid_instalment_makes_the_loan_overdue_with_days_past_due():
    loan = loan_due_on(dt.date(2026, 11, 1))
    assert loans_refresh_delinquency(as_of=dt.date(2026, 11, 25)) == 1
    loan.refresh_from_db()
    assert (loan.status, loan.days_past_due) == (LoanStatus.OVERDUE, 24)
    assert history(loan).get().actor is None


def test_past_ninety_days_the_loan_defaults_through_overdue():
    loan = loan_due_on(dt.date(2026, 8, 1))
    loans_refresh_delinquency(as_of=dt.date(2026, 11, 25))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DEFAULTED
    assert [c.to_status for c in history(loan)] == ["overdue", "defaulted"]


def test_a_loan_not_yet_due_stays_current_and_is_not_touched():
    loan = loan_due_on(dt.date(2026, 12, 1))
    assert loans_refresh_delinquency(as_of=dt.date(2026, 11, 25)) == 0
    loan.refresh_from_db()
    assert (loan.status, loan.days_past_due) == (LoanStatus.ACTIVE, 0)
