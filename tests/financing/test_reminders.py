import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from tests.factories import LoanFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ScheduleLine
from tongzhirong.financing.services import loans_due_reminders
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def loan_with_people():
    loan = LoanFactory()
    borrower = UserFactory(organisation=loan.borrower.organisation, email="cfo@example.cn")
    officer = UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER)
    return loan, borrower, officer


def add_line(loan, sequence, due):
    ScheduleLine.objects.create(
        loan=loan, sequence=sequence, due_date=due, principal_due=Decimal("250000.00"), interest_due=Decimal("11250.00")
    )


@pytest.mark.parametrize("days", [7, 3, 1])
def test_reminders_go_out_at_t_minus_7_3_and_1(loan_with_people, days):
    loan, borrower, officer = loan_with_people
    add_line(loan, 1, TODAY + dt.timedelta(days=days))
    loans_due_reminders(as_of=TODAY)
    titles = list(Notification.objects.filter(recipient=borrower).values_list("title", flat=True))
    assert len(titles) == 1
    assert f"T-{days}" in titles[0]
    assert Notification.objects.filter(recipient=officer).count() == 1


def test_no_reminder_on_other_days(loan_with_people):
    loan, _, _ = loan_with_people
    add_line(loan, 1, TODAY + dt.timedelta(days=5))
    assert loans_due_reminders(as_of=TODAY) == 0


def test_an_overdue_instalment_gets_one_overdue_notice_however_often_the_task_runs(loan_with_people):
    loan, borrower, _ = loan_with_people
    add_line(loan, 1, TODAY - dt.timedelta(days=2))
    loans_due_reminders(as_of=TODAY)
    loans_due_reminders(as_of=TODAY)
    loans_due_reminders(as_of=TODAY + dt.timedelta(days=1))
    notices = Notification.objects.filter(recipient=borrower)
    assert notices.count() == 1
    assert "Overdue" in notices.get().title


def test_reminders_are_emailed_after_commit(settings, loan_with_people, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "zh-hans"  # the recipient's: the product's (the suite reads its errors in English)
    loan, _, _ = loan_with_people
    add_line(loan, 1, TODAY + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        loans_due_reminders(as_of=TODAY)
    assert [m.to for m in mail.outbox] == [["cfo@example.cn"]]
    # In words, as the notification page reads it: no "T-3", no "#1", no English.
    assert mail.outbox[0].subject.startswith(f"[通知融] 还款提醒：{loan.contract_number} 第1期，")
    assert "3 天后（2026-11-28）" in mail.outbox[0].subject
