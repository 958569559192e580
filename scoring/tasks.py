"""Scoring tasks: take ids, call one service, safe to run twice (rows are idempotent)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def score_application(application_id: int) -> int | None:
    from tongzhirong.financing.models import Application

    from .services import application_score

    application = Application.objects.filter(pk=application_id).first()
    if application is None:  # deleted before the worker got to it
        return None
    return application_score(application=application).pk


@shared_task
def rescore_open_applications() -> int:
    from .services import applications_rescore, open_application_ids

    return applications_rescore(application_ids=open_application_ids())


@shared_task
def compute_drift() -> int | None:
    from .services import drift_report_compute

    report = drift_report_compute()
    return report.pk if report else None
