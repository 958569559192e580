"""Disbursing a loan and recording repayments: oldest instalment first, interest before principal,
never more than is owed, and the loan closes when the last fen is paid."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import ApplicationFactory, BankOfficerFactory, OrganisationFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.errors import DuplicateObject, InvalidTransition, PermissionDenied, ValidationFailed
from tongzhirong.core.reference import RepaymentMethod
from tongzhirong.core.state import history
from tongzhirong.financing.models import Application, ApplicationStatus, Loan, LoanStatus, Repayment
from tongzhirong.financing.services import loan_pay_off, loan_payoff_quote, repayment_record
from tongzhirong.lending.loans import loan_disburse

pytestmark = pytest.mark.django_db

S = ApplicationStatus


@pytest.fixture
def officer():
    return BankOfficerFactory()


def registered_application(officer, **overrides):
    """120,000 yuan at 6% over 12 months, equal principal: 10,000 principal a month, interest 600, 550, … 50."""
    fields = {
        "product__bank": officer.organisation,
        "status": S.REGISTERED,
        "requested_amount": Decimal("120000.00"),
        "approved_amount": Decimal("120000.00"),
        "approved_rate": Decimal("0.060000"),
        "approved_term_months": 12,
        "repayment_method": RepaymentMethod.EQUAL_PRINCIPAL,
    }
    return ApplicationFactory(**{**fields, **overrides})


@pytest.fixture
def loan(officer):
    return loan_disburse(actor=officer, application=registered_application(officer), contract_number="JK-2025-001")


def schedule_state(loan):
    return list(loan.schedule.values_list("sequence", "principal_paid", "interest_paid", "settled_at"))


# --- Disbursement -----------------------------------------------------------------------------


def test_disbursing_creates_an_active_loan_with_its_schedule(officer, loan):
    assert loan.status == LoanStatus.ACTIVE
    assert (loan.principal, loan.outstanding_principal) == (Decimal("120000.00"), Decimal("120000.00"))
    assert loan.bank == officer.organisation
    assert loan.schedule.count() == 12
    assert sum(line.principal_due for line in loan.schedule.all()) == loan.principal
    assert loan.maturity_date == loan.schedule.last().due_date
    assert loan.application.status == S.DISBURSED


def test_the_loan_takes_the_approved_terms_not_the_requested_ones(officer):
    application = registered_application(
        officer, requested_amount=Decimal("200000.00"), requested_term_months=24, approved_term_months=6
    )

    loan = loan_disburse(actor=officer, application=application, contract_number="JK-2025-002")

    assert (loan.principal, loan.term_months, loan.annual_rate) == (Decimal("120000.00"), 6, Decimal("0.060000"))


def test_only_a_registered_pledge_is_disbursed(officer):
    application = registered_application(officer, status=S.APPROVED)

    with pytest.raises(InvalidTransition):
        loan_disburse(actor=officer, application=application, contract_number="JK-2025-003")

    assert not Loan.objects.exists()
    assert Application.objects.get(pk=application.pk).status == S.APPROVED


def test_the_borrower_cannot_disburse_to_itself(officer):
    application = registered_application(officer)

    with pytest.raises(PermissionDenied):
        loan_disburse(
            actor=UserFactory(organisation=application.enterprise.organisation),
            application=application,
            contract_number="JK-2025-004",
        )

    assert not Loan.objects.exists()


def test_a_contract_number_already_used_by_the_bank_is_a_duplicate(officer, loan):
    application = registered_application(officer)

    with pytest.raises(DuplicateObject):
        loan_disburse(actor=officer, application=application, contract_number=loan.contract_number)


# --- Repayments -------------------------------------------------------------------------------


def test_a_payment_smaller_than_the_interest_due_pays_interest_only(officer, loan):
    repayment = repayment_record(actor=officer, loan=loan, amount=Decimal("300.00"))

    assert (repayment.interest_part, repayment.principal_part) == (Decimal("300.00"), Decimal("0.00"))
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("120000.00")
    first = loan.schedule.get(sequence=1)
    assert (first.interest_paid, first.principal_paid, first.settled_at) == (Decimal("300.00"), 0, None)


def test_a_partial_payment_settles_interest_before_principal(officer, loan):
    repayment = repayment_record(actor=officer, loan=loan, amount=Decimal("4600.00"))

    assert (repayment.interest_part, repayment.principal_part) == (Decimal("600.00"), Decimal("4000.00"))
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("116000.00")
    assert loan.status == LoanStatus.ACTIVE


def test_a_payment_settles_the_oldest_instalment_first(officer, loan):
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00") + Decimal("550.00"))

    first, second = loan.schedule.filter(sequence__in=(1, 2)).order_by("sequence")
    assert first.settled_at is not None
    assert (second.interest_paid, second.principal_paid, second.settled_at) == (Decimal("550.00"), 0, None)


def test_paying_everything_owed_closes_the_loan(officer, loan):
    owed = Decimal("120000.00") + sum(Decimal(50 * k) for k in range(1, 13))

    repayment = repayment_record(actor=officer, loan=loan, amount=owed, reference="BANK-REF-9")

    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_principal) == (LoanStatus.REPAID, Decimal("0.00"))
    assert loan.closed_at == repayment.paid_at
    assert not loan.schedule.filter(settled_at__isnull=True).exists()
    assert [(c.from_status, c.to_status, c.actor) for c in history(loan)] == [("active", "repaid", officer)]


def test_paying_off_in_instalments_closes_the_loan_on_the_last_one(officer, loan):
    for line in loan.schedule.order_by("sequence"):
        repayment_record(actor=officer, loan=loan, amount=line.principal_due + line.interest_due)

    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    assert sum(r.principal_part for r in loan.repayments.all()) == loan.principal


def test_an_overpayment_is_refused_and_changes_nothing(officer, loan):
    owed = Decimal("120000.00") + sum(Decimal(50 * k) for k in range(1, 13))
    before = schedule_state(loan)

    with pytest.raises(ValidationFailed) as refused:
        repayment_record(actor=officer, loan=loan, amount=owed + Decimal("0.01"))

    assert refused.value.errors == {"amount": ["The payment exceeds what is owed by 0.01 yuan."]}
    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_principal) == (LoanStatus.ACTIVE, Decimal("120000.00"))
    assert schedule_state(loan) == before
    assert not Repayment.objects.exists()


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-100.00"), Decimal("0.004")])
def test_a_repayment_is_a_positive_amount_of_at_least_one_fen(officer, loan, amount):
    with pytest.raises(ValidationFailed) as refused:
        repayment_record(actor=officer, loan=loan, amount=amount)

    assert "amount" in refused.value.errors


def test_a_repaid_loan_takes_no_more_payments(officer, loan):
    Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.REPAID)

    with pytest.raises(ValidationFailed) as refused:
        repayment_record(actor=officer, loan=loan, amount=Decimal("100.00"))

    assert refused.value.errors["loan"][0].startswith("This loan takes no repayments (Repaid")


def test_a_payment_whose_parts_add_up_to_the_fen_is_recorded(officer, loan):
    repayment = repayment_record(actor=officer, loan=loan, amount=Decimal("664.07"))

    assert (repayment.interest_part, repayment.principal_part) == (Decimal("600.00"), Decimal("64.07"))


def test_paying_each_equal_instalment_as_it_falls_due_closes_the_loan(officer):
    application = registered_application(
        officer,
        requested_amount=Decimal("1200000.00"),
        approved_amount=Decimal("1200000.00"),
        approved_rate=Decimal("0.043500"),
        repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
    )
    loan = loan_disburse(actor=officer, application=application, contract_number="JK-2025-005")

    for line in loan.schedule.order_by("sequence"):
        repayment_record(actor=officer, loan=loan, amount=line.principal_due + line.interest_due)

    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_principal) == (LoanStatus.REPAID, Decimal("0.00"))


# --- Early payoff -----------------------------------------------------------------------------


def test_an_early_payoff_charges_interest_accrued_to_the_day_not_the_rest_of_the_schedule(officer, loan):
    """120,000 at 6%, equal principal. After the first instalment (600 interest + 10,000), paying off 15 days
    into the second period costs the 110,000 left plus 110,000 × 6% × 15 / 360 = 275.00 of interest."""
    first = loan.schedule.get(sequence=1)
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"), paid_at=aware(first.due_date))
    day = first.due_date + dt.timedelta(days=15)
    quote = loan_payoff_quote(loan=loan, as_of=day)
    assert (quote.principal, quote.interest, quote.total) == (
        Decimal("110000.00"),
        Decimal("275.00"),
        Decimal("110275.00"),
    )
    repayment = loan_pay_off(actor=officer, loan=loan, paid_at=aware(day))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    assert loan.outstanding_principal == 0
    assert (repayment.principal_part, repayment.interest_part) == (Decimal("110000.00"), Decimal("275.00"))
    assert loan.schedule.count() == 2  # the paid instalment and the payoff line
    assert sum(line.principal_due for line in loan.schedule.all()) == loan.principal


def test_a_payoff_also_clears_what_is_overdue(officer, loan):
    second = loan.schedule.get(sequence=2)
    quote = loan_payoff_quote(loan=loan, as_of=second.due_date + dt.timedelta(days=3))
    # Instalments 1 and 2 fully (600 + 550 interest), then 3 days on the 100,000 not yet due.
    assert quote.interest == Decimal("600.00") + Decimal("550.00") + Decimal("50.00")
    assert quote.principal == Decimal("120000.00")


def test_only_the_lending_bank_records_a_payoff_and_not_twice(officer, loan):
    with pytest.raises(PermissionDenied):
        loan_pay_off(actor=BankOfficerFactory(), loan=loan)
    loan_pay_off(actor=officer, loan=loan)
    with pytest.raises(ValidationFailed):
        loan_pay_off(actor=officer, loan=loan)


def test_no_quote_before_disbursement(loan):
    with pytest.raises(ValidationFailed):
        loan_payoff_quote(loan=loan, as_of=timezone.localdate(loan.disbursed_at) - dt.timedelta(days=1))


def aware(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def test_a_payoff_after_an_instalment_paid_ahead_of_its_date(officer, loan):
    today = timezone.localdate(loan.disbursed_at)
    repayment_record(actor=officer, loan=loan, amount=Decimal("10600.00"), paid_at=aware(today))
    repayment = loan_pay_off(actor=officer, loan=loan, paid_at=aware(today))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REPAID
    assert (repayment.principal_part, repayment.interest_part) == (Decimal("110000.00"), Decimal("0.00"))


# --- Who may: the service refuses, whoever calls it (API, page, task or shell) -------------------------


def test_another_banks_officer_cannot_record_a_repayment(loan):
    stranger = BankOfficerFactory()
    with pytest.raises(PermissionDenied):
        repayment_record(actor=stranger, loan=loan, amount=Decimal("300.00"))
    assert not loan.repayments.exists()


def test_the_borrower_cannot_record_its_own_repayment(loan):
    borrower = UserFactory(organisation=loan.borrower.organisation, role=Role.SME_OWNER)
    with pytest.raises(PermissionDenied):
        repayment_record(actor=borrower, loan=loan, amount=Decimal("300.00"))
    assert not loan.repayments.exists()


def test_a_member_of_the_bank_outside_its_lending_roles_cannot_disburse(officer):
    application = registered_application(officer)
    outsider = UserFactory(organisation=officer.organisation, role=Role.ANALYST)
    with pytest.raises(PermissionDenied):
        loan_disburse(actor=outsider, application=application, contract_number="JK-ROLE-1")
    assert not Loan.objects.exists()


def test_the_platform_cannot_disburse_in_the_banks_stead(officer):
    application = registered_application(officer)
    admin = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.PLATFORM), role=Role.PLATFORM_ADMIN)
    with pytest.raises(PermissionDenied):
        loan_disburse(actor=admin, application=application, contract_number="JK-ROLE-2")
    assert not Loan.objects.exists()
