from celery import shared_task

from .services import loans_due_reminders


@shared_task
def send_due_reminders() -> int:
    return loans_due_reminders()
