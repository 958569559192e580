from celery import shared_task

from .services import loan_default_notify, pool_filings_release_repaid


@shared_task(bind=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_loan_defaulted(self, loan_id: int) -> int:
    return loan_default_notify(loan_id=loan_id)


@shared_task
def release_repaid_filings() -> int:
    return pool_filings_release_repaid()
