from celery import shared_task


@shared_task
def refresh_delinquency() -> int:
    from .services import loans_refresh_delinquency

    return loans_refresh_delinquency()


@shared_task
def send_due_reminders() -> int:
    from .services import loans_due_reminders

    return loans_due_reminders()
