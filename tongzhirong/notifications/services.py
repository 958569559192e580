from django.db import transaction

from tongzhirong.accounts.models import User
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
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(recipient=user, title=title, body=change.reason, status_change=change)
                for user in recipients
            ],
            ignore_conflicts=True,
        )
    return list(Notification.objects.filter(status_change=change))


def notifications_for_platform_admins(*, title: str, body: str = "") -> list[Notification]:
    admins = User.objects.filter(role="platform_admin", is_active=True)
    return Notification.objects.bulk_create([Notification(recipient=u, title=title, body=body) for u in admins])


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read. Reading it again keeps the first read time."""
    from django.utils import timezone

    from tongzhirong.core.errors import NotFound

    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification.pk, recipient=actor).first()
        if notification is None:
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification
