"""An application's end closes the cover asked for with it (it lapses), and an application left waiting on the firm
expires.

The firm is the one to act on a bank's request for information and on an offer; when it has not for
``settings.APPLICATION_EXPIRY_DAYS`` days the nightly sweep expires the application (the platform's move, no
actor), which releases the bank's queue and the cover the application asked for. ``EXPIRY_REMINDER_DAYS`` before,
the firm's people are told once per stage. An application waiting on the bank never expires: its service level
says it is late (``financing.selectors.STAGE_SLA_DAYS``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongzhirong.accounts.models import User
from tongzhirong.core.errors import InvalidTransition
from tongzhirong.financing import services as financing
from tongzhirong.financing.access import application_locked
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.financing.selectors import stage_entered_at
from tongzhirong.notifications.models import Notification
from tongzhirong.notifications.services import notify_users
from tongzhirong.risksharing.services import cover_requests_lapse_for

# The statuses in which the next move is the firm's.
WAITING_ON_THE_FIRM = (ApplicationStatus.INFO_REQUESTED, ApplicationStatus.APPROVED)
# How many days before it expires the firm is reminded.
EXPIRY_REMINDER_DAYS = 7


def application_ending(move, *, actor, application: Application, **arguments) -> Application:
    """Make ``move`` (a financing service that rejects, withdraws or expires the application) and, in the same
    transaction, let the cover asked for lapse with it: its providers are told after commit."""
    with transaction.atomic():
        ended = move(actor=actor, application=application, **arguments)
        cover_requests_lapse_for(actor=actor, application=ended)
    return ended


def _expire(*, actor, application: Application, reason: str) -> Application:
    with transaction.atomic():
        locked = application_locked(application)
        return financing.application_change_status(
            actor=actor, application=locked, to=ApplicationStatus.EXPIRED, reason=reason
        )


def application_expire(*, application: Application, reason: str) -> Application:
    """The platform's move (no actor): the application expires, and the cover asked for lapses with it."""
    return application_ending(_expire, actor=None, application=application, reason=reason)


def _waiting_on_the_firm():
    return Application.objects.filter(status__in=WAITING_ON_THE_FIRM).annotate(stage_entered_at=stage_entered_at())


def stale_applications():
    """Applications waiting on the firm for longer than ``APPLICATION_EXPIRY_DAYS`` in their current stage."""
    cutoff = timezone.now() - dt.timedelta(days=settings.APPLICATION_EXPIRY_DAYS)
    return _waiting_on_the_firm().filter(stage_entered_at__lt=cutoff).order_by("pk")


def applications_remind_before_expiry() -> int:
    """Tell the firm's people that an application waiting on them expires within ``EXPIRY_REMINDER_DAYS`` days:
    once per stage (the notice's key names the stage's start), whatever the sweep's retries. Returns how many
    applications were reminded now."""
    now, days = timezone.now(), settings.APPLICATION_EXPIRY_DAYS
    due = _waiting_on_the_firm().filter(
        stage_entered_at__lt=now - dt.timedelta(days=max(days - EXPIRY_REMINDER_DAYS, 0)),
        stage_entered_at__gte=now - dt.timedelta(days=days),
    )
    reminded = 0
    for application in due.select_related("enterprise").order_by("pk"):
        key = f"expiry-reminder:{application.pk}:{application.stage_entered_at.timestamp():.0f}"
        if Notification.objects.filter(dedupe_key=key).exists():
            continue  # told in this stage already
        expires = timezone.localdate(application.stage_entered_at + dt.timedelta(days=days))
        asked = _("the offer") if application.status == ApplicationStatus.APPROVED else _("the bank's request")
        title = _("%(reference)s expires on %(day)s unless you answer %(asked)s.") % {
            "reference": application.reference,
            "day": expires.isoformat(),
            "asked": asked,
        }
        users = User.objects.filter(organisation_id=application.enterprise.organisation_id, is_active=True)
        notify_users(users=users, title=title, dedupe_key=key, subject=application)
        reminded += 1
    return reminded


def applications_expire_stale(*, limit: int = 1000) -> int:
    """The nightly sweep: each stale application expires in its own transaction, checked again under its lock (the
    firm may answer meanwhile). Idempotent; returns how many expired."""
    days = settings.APPLICATION_EXPIRY_DAYS
    expired = 0
    for pk in list(stale_applications().values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            application = stale_applications().select_for_update(of=("self",)).filter(pk=pk).first()
            if application is None:
                continue
            reason = (
                f"No reply from the firm for {days} days: an offer not taken up"
                if application.status == ApplicationStatus.APPROVED
                else f"No reply from the firm for {days} days to the bank's request for information"
            )
            try:
                application_expire(application=application, reason=reason)
            except InvalidTransition:
                continue
            expired += 1
    return expired
