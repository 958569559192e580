"""Each notice's e-mail copy is sent exactly once: queued with the notice, stamped when the mail backend takes it,
never sent again by a retried or republished task, and sent by the retry when the backend failed the first time.
Before, a failed send was lost (``fail_silently``) and nothing tried it again."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from tests.factories import UserFactory
from tongzhirong.notifications.mail import notification_emails_send, send_notification_emails
from tongzhirong.notifications.models import Notification
from tongzhirong.notifications.services import notify_users
from tongzhirong.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

FAILURES = {"left": 0}


class FlakyBackend(EmailBackend):
    """The locmem backend, failing the next ``FAILURES["left"]`` sends as a mail server that is down would."""

    def send_messages(self, messages):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FAILURES["left"] = 0
    yield FAILURES
    FAILURES["left"] = 0


@pytest.fixture
def people():
    return [UserFactory(email="a@example.cn"), UserFactory(email="b@example.cn"), UserFactory(email="")]


def notify(people, django_capture_on_commit_callbacks, key="k1"):
    with django_capture_on_commit_callbacks(execute=True):
        return notify_users(users=people, title="还款提醒", dedupe_key=key)


def test_each_copy_is_sent_once_and_stamped(people, django_capture_on_commit_callbacks):
    notices = notify(people, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.cn", "b@example.cn"]
    assert mail.outbox[0].subject == "[通知融] 还款提醒"
    stamped = Notification.objects.filter(pk__in=[n.pk for n in notices], emailed_at__isnull=False)
    assert stamped.count() == 2  # the person with no address has no copy to stamp


def test_the_copy_is_queued_in_the_notice_s_own_transaction(people):
    notices = notify_users(users=people, title="x", dedupe_key="k2")  # not committed yet in this test's transaction
    message = OutboxMessage.objects.get(task_name=send_notification_emails.name)
    assert sorted(message.args[0]) == sorted(n.pk for n in notices if n.recipient.email)


def test_a_task_run_twice_sends_nothing_twice(people, django_capture_on_commit_callbacks):
    notices = notify(people, django_capture_on_commit_callbacks)
    ids = [n.pk for n in notices]

    assert send_notification_emails.apply((ids,)).get() == 0
    assert notification_emails_send(notification_ids=ids) == 0
    assert len(mail.outbox) == 2


def test_notifying_again_with_the_same_key_sends_nothing(people, django_capture_on_commit_callbacks):
    notify(people, django_capture_on_commit_callbacks)
    notify(people, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


def test_a_failed_send_is_sent_by_the_retry_and_only_once(people, flaky, django_capture_on_commit_callbacks):
    flaky["left"] = 1
    with django_capture_on_commit_callbacks(execute=False) as queued:
        notices = notify_users(users=people, title="逾期提醒", dedupe_key="k3")
    ids = [n.pk for n in notices if n.recipient.email]

    with pytest.raises(smtplib.SMTPServerDisconnected):
        notification_emails_send(notification_ids=ids)  # the first copy fails: nothing stamped, nothing lost
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=False).exists()

    assert notification_emails_send(notification_ids=ids) == 2  # the retry
    assert notification_emails_send(notification_ids=ids) == 0  # and a republished message after it
    for callback in queued:  # the outbox's own publication after commit, late
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.cn", "b@example.cn"]


def test_a_failure_midway_keeps_the_copies_already_sent(people, flaky, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notices = notify_users(users=people, title="t", dedupe_key="k4")
    first, second = [n.pk for n in notices if n.recipient.email]
    assert notification_emails_send(notification_ids=[first]) == 1
    flaky["left"] = 1
    with pytest.raises(smtplib.SMTPException):
        notification_emails_send(notification_ids=[first, second])
    assert notification_emails_send(notification_ids=[first, second]) == 1
    assert len(mail.outbox) == 2


def test_the_task_retries_on_mail_server_errors():
    assert smtplib.SMTPException in send_notification_emails.autoretry_for
    assert OSError in send_notification_emails.autoretry_for
    assert send_notification_emails.max_retries
