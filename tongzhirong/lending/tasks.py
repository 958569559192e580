from celery import shared_task

from .loans import loans_refresh_delinquency


@shared_task
def refresh_delinquency() -> int:
    return loans_refresh_delinquency()
