from django.db.models import QuerySet

from tongzhirong.accounts.models import User

from .models import Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    """A person sees only their own notifications, newest first."""
    return Notification.objects.filter(recipient=user).select_related("status_change__content_type", "subject_type")
