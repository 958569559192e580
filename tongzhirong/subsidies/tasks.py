from celery import shared_task

from .notices import subsidy_claim_notify


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_subsidy_claim(claim_id: int) -> int:
    return subsidy_claim_notify(claim_id=claim_id)
