"""Celery's signals, in the worker and inline: a finished task closes its outbox message; a task that failed
for good (a non-transient error, or its retries used up) leaves a dead letter. A retry is neither."""

from __future__ import annotations

import uuid

from billiard.exceptions import WorkerLostError
from celery import signals

from .services import dead_letter_record, outbox_message_done


def _is_uuid(task_id) -> bool:
    try:
        uuid.UUID(str(task_id))
    except ValueError:
        return False
    return True


def _succeeded(sender=None, **_kwargs) -> None:
    task_id = getattr(sender.request, "id", None)
    if task_id and _is_uuid(task_id):
        # If the database is down right now this raises, Celery logs it, and the sweeper runs the task again.
        outbox_message_done(task_id=task_id)


def _failed(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_kwargs) -> None:
    if isinstance(exception, WorkerLostError):
        # The pool process died under the task (kill -9, out of memory): with task_reject_on_worker_lost the
        # message goes back to the queue and runs again, and the sweeper stands behind it. Not a dead letter.
        return
    dead_letter_record(
        task_id=str(task_id),
        task_name=getattr(sender, "name", "?"),
        args=args,
        kwargs=kwargs,
        exception=exception,
        traceback=str(einfo or "")[-8000:],
        retries=getattr(getattr(sender, "request", None), "retries", 0) or 0,
    )


def connect() -> None:
    signals.task_success.connect(_succeeded, dispatch_uid="outbox.task_success")
    signals.task_failure.connect(_failed, dispatch_uid="outbox.task_failure")
