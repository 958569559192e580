"""The e-mail copy of each notice, sent once.

A notice's copy is queued through the outbox in the transaction that writes the notice, so a committed notice
always leads to its send. The task sends each copy inside a transaction that locks the notice and stamps
``emailed_at``: a retried, republished or duplicated task finds the stamp and sends nothing, a worker busy with a
copy is skipped by the other (``skip_locked``), and a send the backend refused leaves no stamp, so the task's
retry sends it. A worker killed between the backend accepting a copy and the stamp committing sends that one
copy again on the retry: SMTP has no way to ask whether a message arrived, and a second copy beats a lost one.

A copy says what the notification page says: the words of the notices the services write (status codes, their
own phrases) live with the pages (``tongzhirong.web.templatetags.words``, above every domain), which hand them
over here when they start (``notice_words_use``). They are rendered when the copy is sent, in the recipient's
language: no person's language is stored, so the product's own (``LANGUAGE_CODE``, Simplified Chinese), not the
language of whoever acted."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from tongzhirong.outbox.retry import TRANSIENT_ERRORS, durable_task

from .models import Notification

SUBJECT_PREFIX = "[通知融]"
# A mail server that is down, refuses or times out passes; its errors are tried again like a database outage.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


def _as_written(notice: Notification) -> tuple[str, str]:
    return notice.title, notice.body


# ``words(notice) -> (title, body)`` as the reader reads them; as stored until the pages hand theirs over.
WORDS = {"notice": _as_written}


def notice_words_use(words: Callable[[Notification], tuple[str, str]]) -> None:
    """Have the e-mail copies read each notice through ``words``: the pages' app gives the words its page shows."""
    WORDS["notice"] = words


def notification_emails_send(*, notification_ids: Iterable[int]) -> int:
    """Send the e-mail copy of each notice not sent yet; returns how many this call sent."""
    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            notice = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient", "status_change__content_type")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notice is None or not notice.recipient.email:
                continue  # sent already, being sent by another worker, or nobody to send it to
            with translation.override(settings.LANGUAGE_CODE):
                title, body = WORDS["notice"](notice)
            send_mail(f"{SUBJECT_PREFIX} {title}", body or title, None, [notice.recipient.email])
            notice.emailed_at = timezone.now()
            notice.save(update_fields=["emailed_at"])
        sent += 1
    return sent


@durable_task(autoretry_for=(*TRANSIENT_ERRORS, *MAIL_ERRORS))
def send_notification_emails(notification_ids: list[int]) -> int:
    return notification_emails_send(notification_ids=notification_ids)
