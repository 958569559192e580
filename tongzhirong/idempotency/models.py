import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long a reservation without a response holds its key: past it, the request that made it is taken to have
# died (a killed worker, a lost connection) and a retry may run the write. A slow first request that is still
# running then fails to complete its record, and its write is rolled back, so the write still happens once.
LEASE = timedelta(seconds=30)


def lease_end():
    return timezone.now() + LEASE


class IdempotencyRecord(models.Model):
    """One write sent with an ``Idempotency-Key``: reserved before the write runs, completed with its response in
    the write's own transaction.

    ``status_code`` is empty while the first request is still in flight. The (user, key) constraint is what
    makes two concurrent requests with the same key collide: only one reservation can be inserted. A reservation
    holds its key until ``leased_until``; a request that crashed without releasing it is taken over after that,
    and ``lease_token`` tells the original holder, should it still be running, that it no longer owns the key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=10)
    path = models.CharField(_("path"), max_length=1024)
    request_hash = models.CharField(_("request hash"), max_length=64, help_text=_("SHA-256 of query and body."))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_content = models.BinaryField(
        _("response content"), null=True, blank=True, help_text=_("The first response's bytes, replayed as sent.")
    )
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    lease_token = models.UUIDField(_("lease token"), default=uuid.uuid4)
    leased_until = models.DateTimeField(_("leased until"), default=lease_end)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"

    @property
    def is_complete(self) -> bool:
        return self.status_code is not None
