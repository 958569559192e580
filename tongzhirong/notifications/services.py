from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from tongzhirong.accounts.models import User
from tongzhirong.core.errors import NotFound
from tongzhirong.core.models import StatusChange

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


def notify_users(*, users, title: str, body: str = "", dedupe_key: str = "") -> list[Notification]:
    """In-app notice (and e-mail) to each user; with ``dedupe_key`` a second call for the same key is silent."""
    rows = [Notification(recipient=u, title=title, body=body, dedupe_key=dedupe_key) for u in users]
    return _deliver(rows, Notification.objects.filter(dedupe_key=dedupe_key) if dedupe_key else None)


def _deliver(rows: list[Notification], existing) -> list[Notification]:
    """Write the notices that are new and e-mail their recipients after commit (Django's mail backend)."""
    already = set(existing.values_list("recipient_id", flat=True)) if existing is not None else set()
    fresh = [n for n in rows if n.recipient_id not in already]
    with transaction.atomic():
        Notification.objects.bulk_create(fresh, ignore_conflicts=True)
        messages = [
            (f"[通知融] {n.title}", n.body or n.title, None, [n.recipient.email]) for n in fresh if n.recipient.email
        ]
        if messages:
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return list(existing) if existing is not None else fresh


def notifications_for_platform_admins(*, title: str, body: str = "") -> list[Notification]:
    admins = User.objects.filter(role="platform_admin", is_active=True)
    return Notification.objects.bulk_create([Notification(recipient=u, title=title, body=body) for u in admins])


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read. Reading it again keeps the first read time."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification.pk, recipient=actor).first()
        if notification is None:
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification
