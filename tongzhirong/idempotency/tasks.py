from tongzhirong.outbox.retry import durable_task

from .services import idempotency_records_purge


@durable_task
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
