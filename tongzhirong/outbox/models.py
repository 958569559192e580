"""A task written in the same transaction as the change that calls for it (the transactional outbox), and
the record of a task that failed for good (the dead letter)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One task to run because a transaction committed. Written by ``services.task_enqueue`` inside that
    transaction, handed to the broker after commit (``published_at``), and marked done when the task has
    finished (``done_at``) — not when the broker took it, so a message lost after publishing (a worker killed,
    a broker restarted without its data) is published again by the sweeper. ``task_id`` is the Celery task id
    of every publication, so the tasks' own keys make a second run harmless."""

    task_id = models.UUIDField(_("task id"), default=uuid.uuid4, unique=True, editable=False)
    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("last published at"), null=True, blank=True)
    publications = models.PositiveIntegerField(_("publications"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    dead = models.BooleanField(_("failed for good"), default=False)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper's and the readiness probe's only question: what is not done yet, oldest first.
            models.Index(fields=["created_at"], name="outbox_undone_idx", condition=models.Q(done_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class DeadLetter(models.Model):
    """A task that failed for good: a non-transient error, or its retries used up. An operator reads it in the
    admin and, once the cause is fixed, sends it again from there."""

    task_id = models.CharField(_("task id"), max_length=64, db_index=True)
    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception = models.TextField(_("exception"))
    traceback = models.TextField(_("traceback"), blank=True)
    retries = models.PositiveIntegerField(_("retries"), default=0)
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True, db_index=True)
    resent_at = models.DateTimeField(_("sent again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}: {self.exception[:80]}"
