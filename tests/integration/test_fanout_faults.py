"""Fault test of the fanned-out rescore (scoring.batches): a run started from the command line, its chunk tasks
taken by a real worker that is killed (-9, the whole worker and single pool processes) while it works, resumes
and finishes with every application scored exactly once. Uses the fault suite's stack (test_faults.py); run by
`.ci/run` stage 2, skipped on the embedded default."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter

from django.db import connection
from django.db.models import Count, Sum

from scoring.models import ApplicationScore, BatchChunk, BatchRun
from tests.factories import ApplicationFactory, BankFactory, EnterpriseFactory, IPAssetFactory, LoanProductFactory
from tongzhirong.accounts.models import Organisation, OrganisationKind
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus
from tongzhirong.outbox.models import DeadLetter

from .faults import ROOT, wait_until
from .test_faults import REDIS_DB, pytestmark, report, stacks  # noqa: F401 - the suite's marks and fixtures

APPLICATIONS = 1000
CHUNK = 50


def submitted_applications(n: int) -> list[int]:
    """``n`` submitted, unscored applications, one firm and one patent each, written in bulk."""
    product = LoanProductFactory(bank=BankFactory())
    organisations = Organisation.objects.bulk_create(
        Organisation(kind=OrganisationKind.SME, name=f"扇出测试企业{i}") for i in range(n)
    )
    enterprises = Enterprise.objects.bulk_create(EnterpriseFactory.build(organisation=o) for o in organisations)
    assets = IPAssetFactory._meta.model.objects.bulk_create(IPAssetFactory.build(owner=e) for e in enterprises)
    applications = Application.objects.bulk_create(
        ApplicationFactory.build(enterprise=e, product=product, status=ApplicationStatus.SUBMITTED) for e in enterprises
    )
    pairs = zip(applications, assets, strict=True)
    ApplicationAsset.objects.bulk_create(ApplicationAsset(application=app, asset=asset) for app, asset in pairs)
    return [application.pk for application in applications]


def test_a_scoring_run_killed_mid_way_resumes_and_scores_every_application_once(stacks):  # noqa: F811
    ids = submitted_applications(APPLICATIONS)
    stack = stacks(database_port=connection.settings_dict["PORT"] or 5432, redis_db=REDIS_DB)
    started = subprocess.run(  # noqa: S603 - our own command, as an operator runs it
        [sys.executable, "manage.py", "rescore_open_applications", "--chunk-size", str(CHUNK)],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert f"0/{APPLICATIONS} applications" in started.stdout, started.stdout + started.stderr
    run = BatchRun.objects.get()
    stack.beat.start()
    stack.worker.start()
    began = time.monotonic()

    rng = random.Random(22)
    kills = Counter()

    def finished() -> bool:
        return BatchRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists()

    def chunks_done() -> int:
        return BatchChunk.objects.filter(run=run, done_at__isnull=False).count()

    while sum(kills.values()) < 4 and not finished():
        # Kill along the run: after one more chunk is done, while the next is being scored (started, not done).
        before = chunks_done()
        wait_until(
            lambda before=before: chunks_done() > before or finished(),
            timeout=120,
            what="a chunk to finish",
            interval=0.05,
        )
        wait_until(
            lambda: BatchChunk.objects.filter(run=run, attempts__gt=0, done_at__isnull=True).exists() or finished(),
            timeout=120,
            what="a chunk to start",
            interval=0.05,
        )
        time.sleep(rng.uniform(0, 0.2))
        if sum(kills.values()) % 2 == 0:
            stack.worker.kill()
            kills["worker"] += 1
            stack.worker.start()
        elif stack.worker.kill_pool_process():
            kills["pool process"] += 1
    chunks_left = BatchChunk.objects.filter(run=run, done_at__isnull=True).count()
    wait_until(
        lambda: BatchRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        timeout=300,
        what="the scoring run to finish",
    )
    run.refresh_from_db()
    scores = Counter(ApplicationScore.objects.filter(application_id__in=ids).values_list("application_id", flat=True))
    attempts = BatchChunk.objects.filter(run=run).aggregate(attempts=Sum("attempts"), chunks=Count("pk"))
    figures = {
        "applications": len(ids),
        "chunks": run.chunks_total,
        "kills": dict(kills),
        "chunks_left_at_last_kill": chunks_left,
        "chunk_attempts": attempts["attempts"],
        "scores_lost": sum(1 for pk in ids if scores[pk] == 0),
        "scores_doubled": sum(1 for pk in ids if scores[pk] > 1),
        "dead_letters": DeadLetter.objects.count(),
        "run_s": round(time.monotonic() - began, 1),
    }
    report("scoring run kill -9", figures)
    assert sum(kills.values()) >= 2, f"the run finished after {dict(kills)} kills: give it more applications"
    assert figures["chunk_attempts"] > run.chunks_total, "no kill interrupted a chunk"
    assert (run.done, run.chunks_done, run.written) == (len(ids), run.chunks_total, len(ids))
    assert figures["scores_lost"] == 0
    assert figures["scores_doubled"] == 0
    assert figures["dead_letters"] == 0
