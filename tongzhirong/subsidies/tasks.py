from tongzhirong.outbox.retry import durable_task

from .notices import subsidy_claim_notify


@durable_task
def notify_subsidy_claim(claim_id: int) -> int:
    return subsidy_claim_notify(claim_id=claim_id)
