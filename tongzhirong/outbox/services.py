"""The transactional outbox: a task is written in the same transaction as the change that calls for it, and
handed to the broker once that transaction commits.

``task_enqueue`` replaces ``transaction.on_commit(lambda: task.delay(...))``. With ``on_commit`` alone a commit
could be followed by no task at all: the broker down, or the process gone, between the commit and the
publication. Here the message is a row of the same transaction, so it exists exactly when the change does;
it is published right after the commit and, should that fail or the message be lost later, published again by
``outbox_sweep`` (a beat task) until a worker has finished it. A task may therefore run more than once: every
task the outbox carries is idempotent by a key of its own (README, "Tasks").

Under Celery eager (the embedded default) publishing runs the task inline after commit, as ``delay`` did."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import OrganisationKind

from .models import DeadLetter, OutboxMessage

logger = logging.getLogger(__name__)

# Right after a commit the caller is waiting (an HTTP request): one quick try, and the sweeper does the rest.
COMMIT_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def task_enqueue(task, *args, **kwargs) -> OutboxMessage:
    """Run ``task(*args, **kwargs)`` once the current transaction commits, and not at all if it rolls back.
    Arguments are stored as JSON (ids and short strings, as tasks take)."""
    message = OutboxMessage.objects.create(task_name=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(partial(_publish_after_commit, message))
    return message


def _publish_after_commit(message: OutboxMessage) -> None:
    now = timezone.now()
    # The claim keeps a sweep that started meanwhile from publishing the same message a second time.
    claimed = OutboxMessage.objects.filter(pk=message.pk, published_at__isnull=True).update(
        published_at=now, publications=F("publications") + 1
    )
    if claimed:
        _publish(message, retry_policy=COMMIT_PUBLISH_RETRY)


def outbox_sweep(*, limit: int = 1000) -> int:
    """Publish again what no worker has finished: messages never published (the broker was down at commit, the
    process died after it) and messages published more than ``OUTBOX_REDELIVER_AFTER`` seconds ago (lost with a
    killed worker or a broker that restarted without its data). Concurrent sweeps take different rows.
    Returns how many were handed to the broker."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER)
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True)
            .filter(Q(published_at__isnull=True) | Q(published_at__lt=stale))
            .order_by("created_at")[:limit]
        )
        OutboxMessage.objects.filter(pk__in=[m.pk for m in due]).update(
            published_at=now, publications=F("publications") + 1
        )
    if due:
        logger.warning("Outbox sweep: publishing %s message(s) no worker has finished", len(due))
    return sum(_publish(message) for message in due)


def _publish(message: OutboxMessage, **options) -> bool:
    """Hand one message to the broker under its own task id; on a broker error give the claim back (the next
    sweep takes it) and tell the caller, who has committed already, nothing worse than a log line."""
    task = current_app.tasks[message.task_name]
    try:
        task.apply_async(message.args, message.kwargs, task_id=str(message.task_id), **options)
    except Exception:
        if current_app.conf.task_always_eager:
            raise  # inline, this is the task's own error: the caller sees it, as with delay()
        logger.warning("Outbox: %s not published, the sweeper will retry", message, exc_info=True)
        OutboxMessage.objects.filter(pk=message.pk).update(published_at=None)
        return False
    return True


def outbox_message_done(*, task_id: str, dead: bool = False) -> None:
    """A worker finished the task (or it failed for good): the sweeper leaves it alone from now on."""
    OutboxMessage.objects.filter(task_id=task_id, done_at__isnull=True).update(done_at=timezone.now(), dead=dead)


def dead_letter_record(
    *, task_id: str, task_name: str, args, kwargs, exception: BaseException, traceback: str, retries: int
) -> DeadLetter:
    with transaction.atomic():
        letter = DeadLetter.objects.create(
            task_id=task_id,
            task_name=task_name,
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            exception=f"{exception.__class__.__name__}: {exception}"[:2000],
            traceback=traceback,
            retries=retries,
        )
        outbox_message_done(task_id=task_id, dead=True)
    logger.error("Task %s[%s] failed for good: %s", task_name, task_id, letter.exception)
    return letter


def dead_letters_resend(*, actor, letters: Iterable[DeadLetter]) -> int:
    """The platform sends failed tasks again once their cause is fixed: each as a new outbox message."""
    require(actor, kinds=(OrganisationKind.PLATFORM,), superuser_ok=True, message=_("Only the platform resends tasks."))
    count = 0
    with transaction.atomic():
        for letter in DeadLetter.objects.select_for_update().filter(
            pk__in=[letter.pk for letter in letters], resent_at__isnull=True
        ):
            task_enqueue(current_app.tasks[letter.task_name], *letter.args, **letter.kwargs)
            letter.resent_at = timezone.now()
            letter.save(update_fields=["resent_at"])
            count += 1
    return count
