from tongzhirong.outbox.retry import durable_task

from .loans import loans_refresh_delinquency


@durable_task
def refresh_delinquency() -> int:
    return loans_refresh_delinquency()
