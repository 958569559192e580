"""A wrong repayment is corrected only by a reversing entry: the exact negative, naming the original and why,
taking back from each instalment exactly what the original paid there, recorded by a second person of the
lending bank, chained as evidence; never twice, never of a reversal, never on a closed loan."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import ApplicationFactory, BankOfficerFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.evidence.models import Entry
from tongzhirong.evidence.selectors import chain_verify
from tongzhirong.financing.models import ApplicationStatus, LoanStatus, Repayment, RepaymentAllocation
from tongzhirong.financing.services import loan_pay_off, repayment_record, repayment_reverse
from tongzhirong.lending.loans import loan_disburse

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return BankOfficerFactory()


@pytest.fixture
def checker(officer):
    return UserFactory(organisation=officer.organisation, role=Role.BANK_CHECKER)


def disbursed(officer, disbursed_at=None):
    """120,000 yuan at 6% over 12 months, equal principal: 10,000 principal a month, interest 600, 550, … 50."""
    application = ApplicationFactory(
        product__bank=officer.organisation,
        status=ApplicationStatus.REGISTERED,
        requested_amount=Decimal("120000.00"),
        approved_amount=Decimal("120000.00"),
        approved_rate=Decimal("0.060000"),
        approved_term_months=12,
        repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    return loan_disburse(actor=officer, application=application, contract_number="JK-R-1", disbursed_at=disbursed_at)


@pytest.fixture
def loan(officer):
    return disbursed(officer)


def state(loan):
    loan.refresh_from_db()
    lines = list(loan.schedule.values_list("sequence", "principal_paid", "interest_paid", "settled_at"))
    return loan.outstanding_principal, loan.status, loan.days_past_due, lines


def test_reversing_the_last_repayment_gives_back_the_state_before_it_to_the_fen(officer, checker, loan):
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"))
    before = state(loan)
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("15000.00"))  # line 2 and part of line 3

    repayment_reverse(actor=checker, repayment=wrong, reason="入账金额错误 wrong amount keyed")

    assert state(loan) == before
    assert loan.outstanding_principal == Decimal("110000.00")


def test_the_reversal_is_the_exact_negative_naming_the_original_who_and_why(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("15000.00"), reference="BANK-77")

    reversal = repayment_reverse(actor=checker, repayment=wrong, reason="duplicate of BANK-76")

    reversal.refresh_from_db()
    assert (reversal.amount, reversal.principal_part, reversal.interest_part, reversal.penalty_part) == (
        -wrong.amount,
        -wrong.principal_part,
        -wrong.interest_part,
        -wrong.penalty_part,
    )
    assert (reversal.reverses, reversal.reason, reversal.recorded_by, reversal.reference) == (
        wrong,
        "duplicate of BANK-76",
        checker,
        "BANK-77",
    )
    assert abs(reversal.paid_at - timezone.now()) < dt.timedelta(minutes=1)
    assert Repayment.objects.get(pk=wrong.pk).amount == Decimal("15000.00")  # the original stays as it was


def test_an_earlier_repayment_is_reversed_only_after_the_later_ones(officer, checker, loan):
    repayment_record(actor=officer, loan=loan, amount=Decimal("5000.00"))
    before_middle = state(loan)
    middle = repayment_record(actor=officer, loan=loan, amount=Decimal("12345.67"))
    last = repayment_record(actor=officer, loan=loan, amount=Decimal("8000.00"))

    with pytest.raises(Conflict, match="reverse them first"):
        repayment_reverse(actor=checker, repayment=middle, reason="bounced transfer")
    repayment_reverse(actor=checker, repayment=last, reason="re-posted after the bounced one")
    repayment_reverse(actor=checker, repayment=middle, reason="bounced transfer")

    assert state(loan) == before_middle
    loan.refresh_from_db()
    rows = Repayment.objects.filter(loan=loan)
    assert loan.principal - loan.outstanding_principal == sum(r.principal_part for r in rows)
    for line in loan.schedule.all():
        moved = RepaymentAllocation.objects.filter(line=line)
        assert line.principal_paid == sum((a.principal for a in moved), Decimal(0))
        assert line.interest_paid == sum((a.interest for a in moved), Decimal(0))


def test_the_reversal_is_chained_and_the_chain_holds(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"))

    reversal = repayment_reverse(actor=checker, repayment=wrong, reason="wrong loan")

    entry = Entry.objects.order_by("-seq").first()
    assert (entry.kind, entry.subject_id) == ("repayment_reversal", loan.pk)
    assert f'"pk":{reversal.pk}' in entry.payload
    assert '"reason":"wrong loan"' in entry.payload
    assert chain_verify().intact


def test_an_instalment_due_again_makes_the_loan_overdue(officer, checker):
    loan = disbursed(officer, disbursed_at=timezone.now() - dt.timedelta(days=75))
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"))
    second = repayment_record(actor=officer, loan=loan, amount=Decimal("10550.00"))
    assert state(loan)[1:3] == (LoanStatus.ACTIVE, 0)

    repayment_reverse(actor=checker, repayment=second, reason="not received")

    loan.refresh_from_db()
    second_due = loan.schedule.get(sequence=2).due_date
    assert loan.status == LoanStatus.OVERDUE
    assert loan.days_past_due == (timezone.localdate() - second_due).days
    assert loan.days_past_due > 0


def test_only_a_checker_or_manager_of_the_lending_bank_reverses(officer, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    other_bank_checker = UserFactory(organisation=BankOfficerFactory().organisation, role=Role.BANK_CHECKER)
    borrower = UserFactory(organisation=loan.borrower.organisation, role=Role.SME_OWNER)
    colleague = UserFactory(organisation=officer.organisation, role=Role.BANK_OFFICER)
    for actor in (officer, colleague, other_bank_checker, borrower):
        with pytest.raises(PermissionDenied):
            repayment_reverse(actor=actor, repayment=wrong, reason="x")
    manager = UserFactory(organisation=officer.organisation, role=Role.BANK_MANAGER)
    repayment_reverse(actor=manager, repayment=wrong, reason="x")


def test_whoever_recorded_the_repayment_cannot_reverse_it(officer, loan):
    checker = UserFactory(organisation=officer.organisation, role=Role.BANK_CHECKER)
    own = repayment_record(actor=checker, loan=loan, amount=Decimal("100.00"))
    with pytest.raises(PermissionDenied, match="second person"):
        repayment_reverse(actor=checker, repayment=own, reason="x")
    assert Repayment.objects.filter(reverses=own).count() == 0


def test_a_repayment_is_reversed_once(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    repayment_reverse(actor=checker, repayment=wrong, reason="x")
    before = state(loan)
    with pytest.raises(Conflict, match="already reversed"):
        repayment_reverse(actor=checker, repayment=wrong, reason="again")
    assert state(loan) == before


def test_the_database_refuses_a_second_reversal_row(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    reversal = repayment_reverse(actor=checker, repayment=wrong, reason="x")
    fields = {f: getattr(reversal, f) for f in ("loan", "paid_at", "amount", "principal_part", "interest_part")}
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.create(**fields, reverses=wrong, reason="y")


def test_the_database_refuses_a_negative_repayment_that_reverses_nothing(loan):
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.create(
            loan=loan, paid_at=timezone.now(), amount=-100, principal_part=0, interest_part=-100, reason="x"
        )


def test_a_reversal_is_not_reversed(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    reversal = repayment_reverse(actor=checker, repayment=wrong, reason="x")
    manager = UserFactory(organisation=officer.organisation, role=Role.BANK_MANAGER)
    with pytest.raises(Conflict, match="record the repayment again"):
        repayment_reverse(actor=manager, repayment=reversal, reason="undo")


def test_a_reversal_needs_a_reason(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))
    with pytest.raises(ValidationFailed):
        repayment_reverse(actor=checker, repayment=wrong, reason="  ")


def test_a_closed_loan_s_repayments_are_not_reversed(officer, checker, loan):
    payoff = loan_pay_off(actor=officer, loan=loan)
    with pytest.raises(Conflict, match="closed"):
        repayment_reverse(actor=checker, repayment=payoff, reason="x")


def test_after_a_reversal_the_right_amount_is_recorded_as_usual(officer, checker, loan):
    wrong = repayment_record(actor=officer, loan=loan, amount=Decimal("16000.00"))
    repayment_reverse(actor=checker, repayment=wrong, reason="keyed 16000 for 10600")
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"))
    loan.refresh_from_db()
    first = loan.schedule.get(sequence=1)
    assert (first.principal_paid, first.interest_paid, first.settled_at is not None) == (
        Decimal("10000.00"),
        Decimal("600.00"),
        True,
    )
    assert loan.schedule.get(sequence=2).interest_paid == 0
    assert loan.outstanding_principal == Decimal("110000.00")
