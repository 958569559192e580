from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """One write sent with an ``Idempotency-Key``: reserved before the write runs, completed with its response.

    ``status_code`` is empty while the first request is still in flight. The (user, key) constraint is what
    makes two concurrent requests with the same key collide: only one reservation can be inserted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=10)
    path = models.CharField(_("path"), max_length=1024)
    request_hash = models.CharField(_("request hash"), max_length=64, help_text=_("SHA-256 of query and body."))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True, encoder=DjangoJSONEncoder)
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
