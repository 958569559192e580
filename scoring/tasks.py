"""Scoring tasks: take ids, call one service, safe to run twice (rows are idempotent)."""

import logging

from django.utils import timezone

from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import DomainError
from tongzhirong.facts.sources.refresh import facts_refresh_stale
from tongzhirong.financing.models import Application
from tongzhirong.outbox.retry import durable_task

from .batches import rescore_chunk_run, rescore_run_start
from .models import ScoreTrigger
from .services import application_score, assets_valuate, bank_drift_reports_compute, drift_report_compute
from .training import bank_model_training_run

logger = logging.getLogger(__name__)


@durable_task
def score_application(application_id: int) -> int | None:
    application = Application.objects.filter(pk=application_id).first()
    if application is None:  # deleted before the worker got to it
        return None
    # The score at submission is taken on current facts: what is past its freshness window is asked again
    # first; a source that fails leaves its state for the bank ("facts stale since …").
    facts_refresh_stale(enterprise=application.enterprise)
    try:
        return application_score(application=application, trigger=ScoreTrigger.SUBMISSION).pk
    except DomainError as exc:
        # The application stays submitted and the bank can score it later; a missing model or an
        # unscorable application must not fail the SME's submission that enqueued this.
        logger.warning("Application %s not scored: %s (%s)", application_id, exc.detail, exc.code)
        return None


@durable_task
def rescore_open_applications() -> int:
    """The nightly rescore: one run a day, fanned out as chunk tasks over every worker (``scoring.batches``)."""
    run = rescore_run_start(chunk_task=score_chunk, key=f"nightly-{timezone.localdate().isoformat()}")
    return run.pk


@durable_task
def score_chunk(chunk_id: int) -> int:
    return rescore_chunk_run(chunk_id=chunk_id)


@durable_task
def compute_drift() -> int | None:
    report = drift_report_compute()
    bank_drift_reports_compute()  # each bank's own champion, on its own queue
    return report.pk if report else None


# Assets valued per call of the value model by the daily refresh: one read, one predict, one write per chunk.
VALUATION_CHUNK = 5000


@durable_task
def value_assets(asset_ids: list[int]) -> int:
    """Value the live ones of ``asset_ids`` on their current inputs (a valuation on the same inputs is reused,
    so a repeat writes nothing). Returns how many were valued."""
    assets = list(
        IPAsset.objects.filter(pk__in=asset_ids, archived_at__isnull=True)
        .select_related("owner")
        .prefetch_related("co_owners")
        .order_by("pk")
    )
    return len(assets_valuate(assets=assets)) if assets else 0


@durable_task
def value_live_assets() -> int:
    """The daily refresh: every live asset valued as of today (its age and remaining term move with the date),
    so what the pages read is at most a day old."""
    ids = list(IPAsset.objects.filter(archived_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    return sum(value_assets(ids[i : i + VALUATION_CHUNK]) for i in range(0, len(ids), VALUATION_CHUNK))


@durable_task
def train_bank_model(training_id: int) -> str | None:
    """A bank's own risk model from the file its risk team uploaded (``scoring.training``)."""
    training = bank_model_training_run(training_id=training_id)
    return None if training is None else training.status
