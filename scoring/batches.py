"""The nightly rescore, fanned out: a run's open applications are split into chunks, each chunk is one task
carried by the outbox, so every worker takes chunks and a chunk lost with a killed worker is redone on its own
(the outbox sweep publishes it again; ``task_reject_on_worker_lost`` returns it to the queue at once).

A chunk is idempotent twice over: its row is locked and marked done in the transaction that writes its scores,
so a redelivered chunk finds it done and does nothing, and the scores themselves are unique by application,
model and inputs. The run's counters move in the same transaction; the chunk that finishes the run closes it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongzhirong.outbox.services import task_enqueue

from .models import BatchChunk, BatchRun
from .services import applications_rescore, open_application_ids

logger = logging.getLogger(__name__)

# Applications per chunk: large enough that the per-batch reads and the model call dominate a chunk's fixed cost
# (a task, two row locks), small enough that a chunk lost with a killed worker is a few seconds of work redone.
CHUNK_SIZE = 2000


def rescore_run_start(
    *, chunk_task, key: str | None = None, application_ids: list[int] | None = None, chunk_size: int = CHUNK_SIZE
) -> BatchRun:
    """Open a run over ``application_ids`` (all open applications by default) and enqueue one ``chunk_task`` per
    chunk, in one transaction: the run exists exactly when all its chunks are queued. A run with ``key`` is
    opened once: asking again returns it (the nightly start redelivered after a worker was killed)."""
    if key is not None and (existing := BatchRun.objects.filter(key=key).first()) is not None:
        return existing
    ids = open_application_ids() if application_ids is None else list(application_ids)
    chunks = [ids[start : start + chunk_size] for start in range(0, len(ids), chunk_size)]
    with transaction.atomic():
        run = BatchRun.objects.create(key=key, total=len(ids), chunks_total=len(chunks))
        made = BatchChunk.objects.bulk_create(
            BatchChunk(run=run, seq=seq, application_ids=chunk) for seq, chunk in enumerate(chunks)
        )
        if not made:
            run.finished_at = run.started_at
            run.save(update_fields=["finished_at"])
        for chunk in made:
            task_enqueue(chunk_task, chunk.pk)
    return run


def rescore_chunk_run(*, chunk_id: int) -> int:
    """Score one chunk unless it is done already; returns the score rows written (0 for a repeat)."""
    # Counted before the work, in a transaction of its own: a chunk started more than once shows it.
    if not BatchChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(attempts=F("attempts") + 1):
        return 0
    with transaction.atomic():
        chunk = BatchChunk.objects.select_for_update().filter(pk=chunk_id).first()
        if chunk is None or chunk.done_at is not None:
            return 0
        written = applications_rescore(application_ids=chunk.application_ids)
        now = timezone.now()
        BatchChunk.objects.filter(pk=chunk.pk).update(done_at=now, written=written)
        BatchRun.objects.filter(pk=chunk.run_id).update(
            chunks_done=F("chunks_done") + 1,
            done=F("done") + len(chunk.application_ids),
            written=F("written") + written,
        )
        closed = BatchRun.objects.filter(
            pk=chunk.run_id, chunks_done=F("chunks_total"), finished_at__isnull=True
        ).update(finished_at=now)
    if closed:
        run = BatchRun.objects.get(pk=chunk.run_id)
        logger.info("Scoring run %s finished: %s applications, %s scores written", run.pk, run.total, run.written)
    return written


@dataclasses.dataclass(frozen=True)
class RunProgress:
    run_id: int
    total: int
    done: int
    chunks_total: int
    chunks_done: int
    written: int
    elapsed: dt.timedelta
    finished: bool

    @property
    def per_second(self) -> float:
        seconds = self.elapsed.total_seconds()
        return self.done / seconds if seconds > 0 else 0.0

    @property
    def eta(self) -> dt.timedelta | None:
        """Time left at the rate so far; None before the first chunk is done, zero once finished."""
        if self.finished:
            return dt.timedelta(0)
        if not self.done:
            return None
        return dt.timedelta(seconds=(self.total - self.done) / self.per_second)

    def line(self) -> str:
        share = self.done / self.total if self.total else 1.0
        eta = "done" if self.finished else ("ETA —" if self.eta is None else f"ETA {self.eta.total_seconds():.0f} s")
        return (
            f"run {self.run_id}: {self.done}/{self.total} applications ({share:.0%}), "
            f"{self.chunks_done}/{self.chunks_total} chunks, {self.written} scores written, "
            f"{self.per_second:.0f}/s, {eta}"
        )


def run_progress(run: BatchRun) -> RunProgress:
    end = run.finished_at or timezone.now()
    return RunProgress(
        run_id=run.pk,
        total=run.total,
        done=run.done,
        chunks_total=run.chunks_total,
        chunks_done=run.chunks_done,
        written=run.written,
        elapsed=end - run.started_at,
        finished=run.finished_at is not None,
    )
