from celery import shared_task


@shared_task
def refresh_delinquency() -> int:
    from .services import loans_refresh_delinquency

    return loans_refresh_delinquency()
