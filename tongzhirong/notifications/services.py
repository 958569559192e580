from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongzhirong.accounts.access import require
from tongzhirong.accounts.models import User
from tongzhirong.core.errors import NotFound
from tongzhirong.core.models import StatusChange
from tongzhirong.outbox.services import task_enqueue

from .mail import send_notification_emails
from .models import Notification


def _parties(subject) -> list[int]:
    """Organisations that follow a subject: for an application, the applicant and the lending bank."""
    orgs = []
    enterprise = getattr(subject, "enterprise", None) or getattr(subject, "borrower", None)
    if enterprise is not None:
        orgs.append(enterprise.organisation_id)
    product = getattr(subject, "product", None)
    bank_id = product.bank_id if product is not None else getattr(subject, "bank_id", None)
    if bank_id:
        orgs.append(bank_id)
    return orgs


def notifications_for_status_change(*, status_change_id: int) -> list[Notification]:
    """Tell everyone in the parties' organisations about a status change. Safe to run twice."""
    change = StatusChange.objects.select_related("content_type").get(pk=status_change_id)
    subject = change.subject
    recipients = User.objects.filter(organisation_id__in=_parties(subject), is_active=True).exclude(pk=change.actor_id)
    title = f"{subject}: {change.from_status} → {change.to_status}"
    rows = [Notification(recipient=u, title=title, body=change.reason, status_change=change) for u in recipients]
    return _deliver(rows, Notification.objects.filter(status_change=change))


def notify_users(*, users, title: str, body: str = "", dedupe_key: str = "", subject=None) -> list[Notification]:
    """In-app notice (and e-mail) to each user; with ``dedupe_key`` a second call for the same key is silent.
    ``subject`` (a model instance) is what the notice is about, for the pages to link."""
    about = {}
    if subject is not None:
        about = {"subject_type": ContentType.objects.get_for_model(subject), "subject_id": subject.pk}
    rows = [Notification(recipient=u, title=title, body=body, dedupe_key=dedupe_key, **about) for u in users]
    return _deliver(rows, Notification.objects.filter(dedupe_key=dedupe_key) if dedupe_key else None)


def _deliver(rows: list[Notification], existing) -> list[Notification]:
    """Write the notices that are new and queue their e-mail copies in the same transaction (``mail``: each copy
    sent once, retried until the mail backend takes it)."""
    already = set(existing.values_list("recipient_id", flat=True)) if existing is not None else set()
    with transaction.atomic():
        fresh = _insert_new([n for n in rows if n.recipient_id not in already])
        to_email = [n.pk for n in fresh if n.recipient.email]
        if to_email:
            task_enqueue(send_notification_emails, to_email)
    return list(existing) if existing is not None else fresh


def _insert_new(rows: list[Notification]) -> list[Notification]:
    """Insert the notices and return those this call wrote. A run of the same task at the same time (a message
    handed out twice) may have written some first: the unique constraints refuse ours, and only what this run
    wrote is e-mailed, so nobody gets the e-mail twice."""
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        pass
    written = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        written.append(row)
    return written


def notifications_for_platform_admins(*, title: str, body: str = "", dedupe_key: str) -> list[Notification]:
    """Tell every active platform admin; a second call with the same ``dedupe_key`` tells nobody again."""
    admins = User.objects.filter(role="platform_admin", is_active=True)
    return notify_users(users=admins, title=title, body=body, dedupe_key=dedupe_key)


def notifications_for_organisations(*, organisation_ids: list[int], title: str, dedupe_key: str) -> list[Notification]:
    """Tell the active users of the organisations, once per ``dedupe_key``."""
    users = User.objects.filter(organisation_id__in=organisation_ids, is_active=True)
    return notify_users(users=users, title=title, dedupe_key=dedupe_key)


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read. Reading it again keeps the first read time."""
    require(actor)  # a deactivated person, as every service refuses them
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification.pk, recipient=actor).first()
        if notification is None:
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor's read; returns how many were. Others' are never touched."""
    require(actor)
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
