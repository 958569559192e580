"""The nightly rescore fanned out in chunks: every open application scored once, a chunk redone alone after a
failure, a redelivered chunk or start doing nothing, and the run's progress readable while it goes."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from scoring import batches
from scoring.models import ApplicationScore, BatchChunk, BatchRun
from scoring.tasks import rescore_open_applications, score_chunk
from tests.factories import ApplicationFactory, IPAssetFactory
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus

pytestmark = pytest.mark.django_db


def _open_applications(count: int) -> list[int]:
    ids = []
    for _ in range(count):
        application = ApplicationFactory(status=ApplicationStatus.SUBMITTED)
        ApplicationAsset.objects.create(
            application=application, asset=IPAssetFactory(owner=application.enterprise, forward_citations=8)
        )
        ids.append(application.pk)
    return ids


def _start(capture, **kwargs) -> BatchRun:
    with capture(execute=True):  # the chunk tasks are enqueued through the outbox, run on commit (eager)
        run = batches.rescore_run_start(chunk_task=score_chunk, **kwargs)
    run.refresh_from_db()
    return run


def test_a_run_scores_every_open_application_once_in_chunks(django_capture_on_commit_callbacks):
    ids = _open_applications(5)
    ApplicationFactory(status=ApplicationStatus.DRAFT)  # not open: not scored

    run = _start(django_capture_on_commit_callbacks, chunk_size=2)

    assert (run.total, run.chunks_total, run.chunks_done, run.done, run.written) == (5, 3, 3, 5, 5)
    assert run.finished_at is not None
    assert sorted(ApplicationScore.objects.values_list("application_id", flat=True)) == sorted(ids)
    assert [c.application_ids for c in run.chunks.order_by("seq")] == [ids[0:2], ids[2:4], ids[4:5]]
    assert all(c.done_at is not None and c.attempts == 1 for c in run.chunks.all())


def test_a_redelivered_chunk_does_nothing(django_capture_on_commit_callbacks):
    _open_applications(3)
    run = _start(django_capture_on_commit_callbacks, chunk_size=2)
    chunk = run.chunks.get(seq=0)

    assert batches.rescore_chunk_run(chunk_id=chunk.pk) == 0

    again = BatchRun.objects.get(pk=run.pk)
    assert (again.chunks_done, again.done, again.written) == (2, 3, 3)
    assert ApplicationScore.objects.count() == 3
    assert BatchChunk.objects.get(pk=chunk.pk).attempts == 1


def test_a_chunk_that_fails_leaves_nothing_half_written_and_is_redone_alone(
    django_capture_on_commit_callbacks, monkeypatch
):
    ids = _open_applications(4)
    real = batches.applications_rescore
    calls = []

    def dies_on_the_second_chunk(*, application_ids):
        calls.append(application_ids)
        written = real(application_ids=application_ids)
        if len(calls) == 2:  # the worker dies after the scores are written, before the chunk is marked done
            raise RuntimeError("worker lost")
        return written

    monkeypatch.setattr(batches, "applications_rescore", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        _start(django_capture_on_commit_callbacks, chunk_size=2)

    run = BatchRun.objects.get()
    failed = run.chunks.get(seq=1)
    assert (run.chunks_done, run.done, run.finished_at) == (1, 2, None)
    assert failed.done_at is None
    assert sorted(ApplicationScore.objects.values_list("application_id", flat=True)) == ids[:2]  # rolled back

    assert batches.rescore_chunk_run(chunk_id=failed.pk) == 2  # the retry (or the sweep's republication)

    run.refresh_from_db()
    assert (run.chunks_done, run.done, run.written) == (2, 4, 4)
    assert run.finished_at is not None
    assert ApplicationScore.objects.count() == 4
    assert sorted(ApplicationScore.objects.values_list("application_id", flat=True)) == ids


def test_the_nightly_start_redelivered_opens_no_second_run(django_capture_on_commit_callbacks):
    _open_applications(2)
    with django_capture_on_commit_callbacks(execute=True):
        first = rescore_open_applications()
    with django_capture_on_commit_callbacks(execute=True):
        second = rescore_open_applications()

    assert first == second
    assert BatchRun.objects.get().key == f"nightly-{timezone.localdate().isoformat()}"
    assert ApplicationScore.objects.count() == 2


def test_an_empty_run_is_finished_at_once(django_capture_on_commit_callbacks):
    run = _start(django_capture_on_commit_callbacks)
    assert (run.total, run.chunks_total) == (0, 0)
    assert run.finished_at is not None
    assert batches.run_progress(run).line().endswith("done")


def test_progress_says_how_far_and_how_long_is_left():
    started = timezone.now() - dt.timedelta(seconds=10)
    run = BatchRun(pk=7, total=1000, chunks_total=5, chunks_done=1, done=200, written=150, started_at=started)
    progress = batches.run_progress(run)
    assert 19 <= progress.per_second <= 20
    assert 39 <= progress.eta.total_seconds() <= 41
    assert progress.line().startswith("run 7: 200/1000 applications (20%), 1/5 chunks, 150 scores written, ")

    assert batches.run_progress(BatchRun(pk=8, total=10, chunks_total=1, started_at=started)).eta is None


def test_the_command_starts_a_run_and_follows_it(django_capture_on_commit_callbacks):
    _open_applications(3)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("rescore_open_applications", "--chunk-size", "2", stdout=out)
    started = out.getvalue().splitlines()[0]
    assert " 0/3 applications" in started  # the chunks run once it commits

    out = io.StringIO()
    call_command("rescore_open_applications", "--follow", str(BatchRun.objects.get().pk), "--every", "0", stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("done")
    assert "3/3 applications (100%), 2/2 chunks, 3 scores written" in out.getvalue()


def test_the_command_refuses_what_it_cannot_do():
    with pytest.raises(CommandError, match="no scoring run 999"):
        call_command("rescore_open_applications", "--follow", "999")
    with pytest.raises(CommandError, match="--chunk-size"):
        call_command("rescore_open_applications", "--chunk-size", "0")


def test_the_rescore_is_on_the_nightly_schedule_after_the_valuations():
    by_task = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    rescore, valuations = by_task["scoring.tasks.rescore_open_applications"], by_task["scoring.tasks.value_live_assets"]
    assert (min(rescore.hour), min(rescore.minute)) > (min(valuations.hour), min(valuations.minute))
