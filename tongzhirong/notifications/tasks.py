from celery import shared_task

from .services import notifications_for_platform_admins, notifications_for_status_change


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_status_change(self, status_change_id: int) -> int:
    return len(notifications_for_status_change(status_change_id=status_change_id))


@shared_task
def notify_platform_admins(title: str, body: str = "") -> int:
    return len(notifications_for_platform_admins(title=title, body=body))
