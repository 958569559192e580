"""The database refuses invalid financing rows even on paths that skip model validation
(``bulk_create``, ``QuerySet.update``)."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.db import refused_by_database
from tests.factories import ApplicationFactory, EnterpriseFactory, LoanFactory, LoanProductFactory
from tongzhirong.financing.models import Application, Loan, Repayment, ScheduleLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def unsaved_application():
    def build(**fields):
        return ApplicationFactory.build(enterprise=EnterpriseFactory(), product=LoanProductFactory(), **fields)

    return build


@pytest.fixture
def loan():
    return LoanFactory(principal=Decimal("1000000.00"), outstanding_principal=Decimal("400000.00"))


@pytest.fixture
def line(loan):
    return ScheduleLine.objects.create(
        loan=loan,
        sequence=1,
        due_date=dt.date(2026, 1, 15),
        principal_due=Decimal("80000.00"),
        interest_due=Decimal("3625.00"),
    )


# --- Applications -----------------------------------------------------------------------------


def test_a_valid_application_passes_bulk_create(unsaved_application):
    Application.objects.bulk_create([unsaved_application(status="submitted")])

    assert Application.objects.filter(status="submitted").count() == 1


def test_bulk_create_cannot_write_an_unknown_application_status(unsaved_application):
    with refused_by_database("application_status_valid"):
        Application.objects.bulk_create([unsaved_application(status="bogus")])

    assert not Application.objects.exists()


def test_update_cannot_write_an_unknown_application_status():
    application = ApplicationFactory()

    with refused_by_database("application_status_valid"):
        Application.objects.filter(pk=application.pk).update(status="bogus")

    application.refresh_from_db()
    assert application.status == "draft"


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-1.00")])
def test_an_application_asks_for_a_positive_amount(amount):
    application = ApplicationFactory()

    with refused_by_database("application_requested_amount_positive"):
        Application.objects.filter(pk=application.pk).update(requested_amount=amount)


def test_an_approved_rate_above_100_percent_is_refused():
    application = ApplicationFactory()

    with refused_by_database("application_approved_rate_range"):
        Application.objects.filter(pk=application.pk).update(approved_rate=Decimal("1.500000"))


def test_an_unknown_repayment_method_is_refused(unsaved_application):
    with refused_by_database("application_repayment_method_valid"):
        Application.objects.bulk_create([unsaved_application(repayment_method="balloon_tomorrow")])


# --- Loans ------------------------------------------------------------------------------------


def test_update_cannot_write_an_unknown_loan_status(loan):
    with refused_by_database("loan_status_valid"):
        Loan.objects.filter(pk=loan.pk).update(status="bogus")


def test_a_loan_has_a_positive_principal(loan):
    with refused_by_database("loan_principal_positive"):
        Loan.objects.filter(pk=loan.pk).update(principal=Decimal("0.00"), outstanding_principal=Decimal("0.00"))


def test_a_negative_principal_is_refused(loan):
    with refused_by_database("loan_principal_positive", "loan_outstanding_within_principal"):
        Loan.objects.filter(pk=loan.pk).update(principal=Decimal("-100.00"))

    loan.refresh_from_db()
    assert loan.principal == Decimal("1000000.00")


def test_more_can_never_be_outstanding_than_was_lent(loan):
    with refused_by_database("loan_outstanding_within_principal"):
        Loan.objects.filter(pk=loan.pk).update(outstanding_principal=Decimal("1000000.01"))

    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("400000.00")


def test_outstanding_principal_is_never_negative(loan):
    with refused_by_database("loan_outstanding_within_principal"):
        Loan.objects.filter(pk=loan.pk).update(outstanding_principal=Decimal("-0.01"))


def test_a_loan_rate_above_100_percent_is_refused(loan):
    with refused_by_database("loan_rate_range"):
        Loan.objects.filter(pk=loan.pk).update(annual_rate=Decimal("1.000001"))


# --- Repayments and schedule lines ------------------------------------------------------------


def repayment(loan, **parts):
    return Repayment(loan=loan, paid_at=loan.disbursed_at, **parts)


def test_a_repayment_whose_parts_add_up_is_stored(loan):
    Repayment.objects.bulk_create(
        [repayment(loan, amount=Decimal("100.00"), principal_part=Decimal("60.00"), interest_part=Decimal("40.00"))]
    )

    assert loan.repayments.count() == 1


def test_a_repayment_whose_parts_do_not_add_up_is_refused(loan):
    with refused_by_database("repayment_parts_sum_to_amount"):
        Repayment.objects.bulk_create(
            [repayment(loan, amount=Decimal("100.00"), principal_part=Decimal("50.00"), interest_part=Decimal("40.00"))]
        )

    assert not loan.repayments.exists()


def test_a_repayment_part_is_never_negative(loan):
    # Only a reversing entry (which names the repayment it reverses) is negative.
    with refused_by_database("repayment_sign_matches_kind"):
        Repayment.objects.bulk_create(
            [
                repayment(
                    loan, amount=Decimal("100.00"), principal_part=Decimal("-10.00"), interest_part=Decimal("110.00")
                )
            ]
        )


def test_a_repayment_is_a_positive_amount(loan):
    with refused_by_database("repayment_sign_matches_kind"):
        Repayment.objects.bulk_create(
            [repayment(loan, amount=Decimal("0.00"), principal_part=Decimal("0.00"), interest_part=Decimal("0.00"))]
        )


def test_a_schedule_line_never_records_more_principal_paid_than_due(line):
    with refused_by_database("scheduleline_principal_paid_range"):
        ScheduleLine.objects.filter(pk=line.pk).update(principal_paid=Decimal("80000.01"))

    line.refresh_from_db()
    assert line.principal_paid == Decimal("0.00")


def test_a_schedule_line_never_records_more_interest_paid_than_due(line):
    with refused_by_database("scheduleline_interest_paid_range"):
        ScheduleLine.objects.filter(pk=line.pk).update(interest_paid=Decimal("3625.01"))


def test_a_schedule_line_may_be_paid_exactly_in_full(line):
    ScheduleLine.objects.filter(pk=line.pk).update(principal_paid=Decimal("80000.00"), interest_paid=Decimal("3625.00"))

    line.refresh_from_db()
    assert (line.principal_paid, line.interest_paid) == (line.principal_due, line.interest_due)


def test_two_schedule_lines_of_a_loan_cannot_share_a_sequence_number(line):
    with refused_by_database("scheduleline_unique_sequence", "financing_scheduleline.loan_id"):
        ScheduleLine.objects.bulk_create(
            [
                ScheduleLine(
                    loan=line.loan,
                    sequence=1,
                    due_date=dt.date(2026, 2, 15),
                    principal_due=Decimal("1.00"),
                    interest_due=Decimal("0.00"),
                )
            ]
        )
