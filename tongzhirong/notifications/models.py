from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongzhirong.core.models import StatusChange


class Notification(models.Model):
    """An in-app message to one person. ``status_change`` makes sending idempotent per recipient."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    status_change = models.ForeignKey(
        StatusChange,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("status change"),
    )
    # What a notice that is no status change is about (terms waiting for their checker), so a page can link it.
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("subject type")
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    # Scheduled notices (due reminders) carry a key so a re-run of the day's task sends nothing twice.
    dedupe_key = models.CharField(_("de-duplication key"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The e-mail copy (``notifications.mail``): set in the transaction that hands it to the mail backend, so a
    # retried or republished task never sends it twice, and a send that failed is sent by the next try.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "status_change"],
                name="notification_once_per_change",
                condition=models.Q(status_change__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_key", condition=~models.Q(dedupe_key="")
            ),
        ]

    def __str__(self) -> str:
        return self.title
