from tongzhirong.financing.notices import approval_proposal_notify
from tongzhirong.outbox.retry import durable_task

from .endings import applications_expire_stale, applications_remind_before_expiry
from .loans import loans_refresh_delinquency


@durable_task
def refresh_delinquency() -> int:
    return loans_refresh_delinquency()


@durable_task
def notify_checkers(application_id: int) -> int:
    return approval_proposal_notify(application_id=application_id)


@durable_task
def expire_stale_applications() -> int:
    applications_remind_before_expiry()
    return applications_expire_stale()
