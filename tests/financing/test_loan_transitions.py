"""The loan state machine: only the moves in Loan.TRANSITIONS happen, each with one audit row."""

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories import LoanFactory, UserFactory
from tongzhirong.core.errors import InvalidTransition
from tongzhirong.core.models import StatusChange
from tongzhirong.core.state import transition
from tongzhirong.financing.models import Loan, LoanStatus

L = LoanStatus
PAIRS = [(source, target) for source in L.values for target in L.values]
ALLOWED = [pair for pair in PAIRS if pair[1] in Loan.TRANSITIONS[pair[0]]]
REFUSED = [pair for pair in PAIRS if pair not in ALLOWED]


def pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def audit_rows(loan):
    return StatusChange.objects.filter(content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk)


def test_every_loan_status_has_a_row_in_the_table():
    assert set(Loan.TRANSITIONS) == set(L.values)


def test_repaid_and_written_off_are_final():
    assert {status for status, targets in Loan.TRANSITIONS.items() if not targets} == {L.REPAID, L.WRITTEN_OFF}


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[pair_id(p) for p in ALLOWED])
def test_an_allowed_loan_move_changes_the_status_and_writes_one_audit_row(source, target):
    loan = LoanFactory(status=source)
    actor = UserFactory(organisation=loan.bank)

    change = transition(loan, to=target, actor=actor, reason="month-end review")

    loan.refresh_from_db()
    assert loan.status == target
    row = audit_rows(loan).get()
    assert row == change
    assert (row.from_status, row.to_status, row.actor, row.reason) == (source, target, actor, "month-end review")


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target"), REFUSED, ids=[pair_id(p) for p in REFUSED])
def test_a_loan_move_outside_the_table_is_refused_and_changes_nothing(source, target):
    loan = LoanFactory(status=source)

    with pytest.raises(InvalidTransition):
        transition(loan, to=target, actor=None)

    loan.refresh_from_db()
    assert loan.status == source
    assert not audit_rows(loan).exists()
