from tongzhirong.outbox.retry import durable_task

from .services import cover_requests_lapse_ended, loan_default_notify, pool_filings_release_repaid


@durable_task
def notify_loan_defaulted(loan_id: int) -> int:
    return loan_default_notify(loan_id=loan_id)


@durable_task
def release_repaid_filings() -> int:
    return pool_filings_release_repaid()


@durable_task
def lapse_ended_cover_requests() -> int:
    return cover_requests_lapse_ended()
