"""The transactional outbox: a committed change always leads to its task, a rolled-back one never does, and a
task that fails for good is kept where an operator sees it. (Kills and outages on a real worker and broker:
tests/integration/test_faults.py.)"""

from datetime import timedelta

import pytest
from celery import current_app
from celery.exceptions import Retry
from django.db import OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from tests.factories import ApplicationFactory, PlatformAdminFactory, SuperuserFactory, UserFactory
from tongzhirong.core.errors import PermissionDenied
from tongzhirong.core.state import transition
from tongzhirong.financing.models import ApplicationStatus
from tongzhirong.notifications import services as notification_services
from tongzhirong.notifications.models import Notification
from tongzhirong.notifications.tasks import notify_platform_admins, notify_status_change
from tongzhirong.outbox.models import DeadLetter, OutboxMessage
from tongzhirong.outbox.retry import TRANSIENT_ERRORS
from tongzhirong.outbox.services import dead_letters_resend, outbox_sweep, task_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return PlatformAdminFactory()


class BrokerOutage:
    """Publishing meets kombu's connection error, as with Redis refusing connections (eager off meanwhile)."""

    def __init__(self):
        self.task = current_app.tasks[notify_platform_admins.name]
        self.eager = current_app.conf.task_always_eager

    def start(self):
        def refuse(*args, **kwargs):
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        current_app.conf.task_always_eager = False
        self.task.apply_async = refuse

    def end(self):
        current_app.conf.task_always_eager = self.eager
        self.task.__dict__.pop("apply_async", None)


@pytest.fixture
def broker_outage():
    outage = BrokerOutage()
    yield outage
    outage.end()


def test_a_committed_change_runs_its_task_after_commit_and_closes_the_message(
    admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = task_enqueue(notify_platform_admins, "模型漂移告警", dedupe_key="drift-alarm:1")
        assert not Notification.objects.exists()  # nothing runs before the commit

    assert Notification.objects.get().recipient == admin_user
    message.refresh_from_db()
    assert message.done_at is not None
    assert message.publications == 1
    assert not message.dead


def test_a_rolled_back_change_leaves_no_message_and_runs_nothing(admin_user, django_capture_on_commit_callbacks):
    def change_that_fails():
        with transaction.atomic():
            task_enqueue(notify_platform_admins, "never", dedupe_key="never")
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()

    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.exists()


def test_with_the_broker_down_the_commit_stands_and_the_sweeper_sends_the_task_later(
    admin_user, broker_outage, django_capture_on_commit_callbacks
):
    broker_outage.start()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        task_enqueue(notify_platform_admins, "模型漂移告警", dedupe_key="drift-alarm:2")

    message = OutboxMessage.objects.get()
    assert message.published_at is None  # the claim was given back for the sweeper
    assert message.done_at is None
    assert not Notification.objects.exists()

    broker_outage.end()
    assert outbox_sweep() == 1

    message.refresh_from_db()
    assert message.done_at is not None
    assert message.publications == 2
    assert Notification.objects.get().recipient == admin_user


def test_the_sweeper_publishes_again_only_what_no_worker_finished_by_the_deadline(admin_user, settings):
    now = timezone.now()
    long_ago = now - timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER + 1)
    recent = OutboxMessage.objects.create(
        task_name=notify_platform_admins.name, kwargs={"title": "a", "dedupe_key": "a"}, published_at=now
    )
    lost = OutboxMessage.objects.create(
        task_name=notify_platform_admins.name, kwargs={"title": "b", "dedupe_key": "b"}, published_at=long_ago
    )
    finished = OutboxMessage.objects.create(
        task_name=notify_platform_admins.name,
        kwargs={"title": "c", "dedupe_key": "c"},
        published_at=long_ago,
        done_at=long_ago,
    )

    assert outbox_sweep() == 1

    assert list(Notification.objects.values_list("title", flat=True)) == ["b"]
    for message in (recent, lost, finished):
        message.refresh_from_db()
    assert recent.done_at is None
    assert lost.done_at is not None
    assert finished.publications == 0


def test_a_task_that_fails_for_good_leaves_a_dead_letter_and_is_not_swept_again(settings):
    message = OutboxMessage.objects.create(task_name=notify_status_change.name, args=[987654])
    result = notify_status_change.apply((987654,), task_id=str(message.task_id), throw=False)

    assert result.state == "FAILURE"
    letter = DeadLetter.objects.get()
    assert (letter.task_id, letter.task_name, letter.args) == (
        str(message.task_id),
        notify_status_change.name,
        [987654],
    )
    assert letter.exception.startswith("DoesNotExist")
    message.refresh_from_db()
    assert message.dead
    assert message.done_at is not None
    assert outbox_sweep() == 0


def test_a_database_error_is_retried_not_dead_lettered(monkeypatch):
    applicant = UserFactory()
    application = ApplicationFactory(enterprise__organisation=applicant.organisation)
    change = transition(application, to=ApplicationStatus.SUBMITTED, actor=applicant)

    def database_restarting(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("tongzhirong.notifications.tasks.notifications_for_status_change", database_restarting)
    with pytest.raises(Retry, match="server closed the connection"):  # inline, the retry is raised, not run
        notify_status_change.apply((change.pk,), throw=False)

    assert not DeadLetter.objects.exists()


def test_every_task_retries_on_database_and_broker_errors_with_a_bounded_backoff():
    current_app.loader.import_default_modules()
    ours = [t for name, t in current_app.tasks.items() if name.startswith(("tongzhirong.", "scoring."))]

    assert len(ours) >= 12
    for task in ours:
        retried = set(getattr(task, "autoretry_for", ()))
        assert set(TRANSIENT_ERRORS) <= retried, f"{task.name}: declare it with tongzhirong.outbox.retry.durable_task"
        assert task.retry_backoff, task.name
        assert task.retry_backoff_max <= 300, task.name
        assert task.max_retries, task.name


def test_a_dead_letter_is_sent_again_from_the_admin(client, admin_user, django_capture_on_commit_callbacks):
    letter = DeadLetter.objects.create(
        task_id="x",
        task_name=notify_platform_admins.name,
        args=["模型漂移告警"],
        kwargs={"dedupe_key": "drift-alarm:3"},
        exception="OperationalError: the database was down",
    )
    client.force_login(SuperuserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/outbox/deadletter/", {"action": "resend", "_selected_action": [letter.pk]}, follow=True
        )

    assert response.status_code == 200
    letter.refresh_from_db()
    assert letter.resent_at is not None
    assert Notification.objects.get().recipient == admin_user
    assert OutboxMessage.objects.get().done_at is not None


def test_only_the_platform_sends_dead_letters_again():
    letter = DeadLetter.objects.create(task_id="x", task_name=notify_platform_admins.name, exception="E")

    with pytest.raises(PermissionDenied):
        dead_letters_resend(actor=UserFactory(), letters=[letter])
    assert not OutboxMessage.objects.exists()


def test_platform_admins_hear_of_the_same_alarm_once(admin_user):
    assert notify_platform_admins.delay("模型漂移告警", dedupe_key="drift-alarm:9").get() == 1
    assert notify_platform_admins.delay("模型漂移告警", dedupe_key="drift-alarm:9").get() == 1

    assert Notification.objects.filter(recipient=admin_user).count() == 1


def test_a_notice_another_run_wrote_first_is_neither_written_nor_mailed_again(mailoutbox):
    """Two runs of one task at once: the second's insert meets the first's row, and only its own is mailed."""
    first, second = UserFactory(email="a@example.com"), UserFactory(email="b@example.com")
    Notification.objects.create(recipient=first, title="t", dedupe_key="k")  # the other run, just now

    with transaction.atomic():
        written = notification_services._insert_new(
            [
                Notification(recipient=first, title="t", dedupe_key="k"),
                Notification(recipient=second, title="t", dedupe_key="k"),
            ]
        )

    assert [n.recipient for n in written] == [second]
    assert Notification.objects.filter(dedupe_key="k").count() == 2


@pytest.mark.django_db
def test_a_task_whose_pool_process_died_is_no_dead_letter():
    """The message is rejected back to the queue (task_reject_on_worker_lost) and runs again."""
    from billiard.exceptions import WorkerLostError

    from tongzhirong.outbox.receivers import _failed

    _failed(sender=None, task_id="0" * 32, exception=WorkerLostError("killed"), args=[1], kwargs={})

    assert not DeadLetter.objects.exists()
