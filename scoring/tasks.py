"""Scoring tasks: take ids, call one service, safe to run twice (rows are idempotent)."""

import logging

from tongzhirong.core.errors import DomainError
from tongzhirong.financing.models import Application
from tongzhirong.outbox.retry import durable_task

from .models import ScoreTrigger
from .services import application_score, applications_rescore, drift_report_compute, open_application_ids

logger = logging.getLogger(__name__)


@durable_task
def score_application(application_id: int) -> int | None:
    application = Application.objects.filter(pk=application_id).first()
    if application is None:  # deleted before the worker got to it
        return None
    try:
        return application_score(application=application, trigger=ScoreTrigger.SUBMISSION).pk
    except DomainError as exc:
        # The application stays submitted and the bank can score it later; a missing model or an
        # unscorable application must not fail the SME's submission that enqueued this.
        logger.warning("Application %s not scored: %s (%s)", application_id, exc.detail, exc.code)
        return None


@durable_task
def rescore_open_applications() -> int:
    return applications_rescore(application_ids=open_application_ids())


@durable_task
def compute_drift() -> int | None:
    report = drift_report_compute()
    return report.pk if report else None
