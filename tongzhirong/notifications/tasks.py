from tongzhirong.outbox.retry import durable_task

from .mail import send_notification_emails
from .services import (
    notifications_for_organisations,
    notifications_for_platform_admins,
    notifications_for_status_change,
)

__all__ = ["notify_organisations", "notify_platform_admins", "notify_status_change", "send_notification_emails"]


@durable_task
def notify_status_change(status_change_id: int) -> int:
    return len(notifications_for_status_change(status_change_id=status_change_id))


@durable_task
def notify_platform_admins(title: str, body: str = "", *, dedupe_key: str) -> int:
    return len(notifications_for_platform_admins(title=title, body=body, dedupe_key=dedupe_key))


@durable_task
def notify_organisations(organisation_ids: list[int], title: str, *, dedupe_key: str) -> int:
    return len(notifications_for_organisations(organisation_ids=organisation_ids, title=title, dedupe_key=dedupe_key))
