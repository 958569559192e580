from celery import shared_task


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_subsidy_claim(claim_id: int) -> int:
    from .services import subsidy_claim_notify

    return subsidy_claim_notify(claim_id=claim_id)
