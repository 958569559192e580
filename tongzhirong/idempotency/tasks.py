from celery import shared_task


@shared_task
def purge_idempotency_records() -> int:
    from .services import idempotency_records_purge

    return idempotency_records_purge()
