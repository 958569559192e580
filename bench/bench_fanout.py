#!/usr/bin/env python
"""Benchmark of the fanned-out nightly rescore (scoring.batches) at one and two workers, against the single-process
batch on the same applications in the same run.

    .venv/bin/python bench/bench_fanout.py [--applications 20000] [--workers 1,2] [--chunk-size 2000]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_fanout] [--redis-db 7]

PostgreSQL and Redis are required (the chunks are Celery tasks taken by real ``celery worker`` processes). On a
fresh database it builds N submitted applications (bench_scoring's world, bulk_create, not timed) and values
their assets once (not timed), then times, each on no stored scores:

- baseline: ``applications_rescore`` over every id in this process, as the nightly task ran before the fan-out;
- fan-out at W workers (prefork, one process each): ``rescore_run_start`` enqueues the chunks; timed from the
  start to the run's ``finished_at``, with W worker processes already up and warm (each has scored a small
  chunk, so the models are loaded, as after the first chunk of a night).

It prints each time, applications per second, the ratio against the baseline and the scaling from one worker to
two; the host's load average is printed with them (the host is shared, so compare within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scoring import build_world, configure_environment, pg_drop, pg_recreate, progress

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2", help="Worker counts to time, comma-separated (1,2).")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_fanout")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args(argv)


def start_workers(count: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    argv = [CELERY, "-A", "tongzhirong", "worker", "--loglevel=INFO", "--pool=prefork", f"--concurrency={count}"]
    argv += ["--without-gossip", "--without-mingle", f"--hostname=bench-fanout-{count}@%h"]
    out = log.open("w")
    worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text():
        if time.monotonic() > deadline or worker.poll() is not None:
            raise SystemExit(f"bench_fanout: the worker did not start; see {log}")
        time.sleep(0.2)
    return worker


def stop(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    broker = f"redis://127.0.0.1:6379/{args.redis_db}"
    configure_environment(args.database_url)
    os.environ.update(CELERY_BROKER_URL=broker, CELERY_TASK_ALWAYS_EAGER="0", OMP_NUM_THREADS="1")
    os.environ.update(OPENBLAS_NUM_THREADS="1", LOG_LEVEL="WARNING")
    pg_recreate(args.database_url)
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from scoring.batches import rescore_run_start
    from scoring.models import ApplicationScore, BatchRun
    from scoring.services import applications_rescore
    from scoring.tasks import score_chunk

    try:
        progress("migrate")
        call_command("migrate", interactive=False, verbosity=0)
        n = args.applications
        progress(f"building {n} applications")
        ids = build_world(n, args.seed)["ids"]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        progress("valuing their assets and loading the models (not timed)")
        applications_rescore(application_ids=ids)

        def no_scores() -> None:
            ApplicationScore.objects.all().delete()  # score changes go with them (cascade)

        no_scores()
        progress("baseline: applications_rescore in one process")
        start = time.perf_counter()
        written = applications_rescore(application_ids=ids)
        baseline_s = time.perf_counter() - start
        assert written == n, (written, n)

        results = {}
        for count in counts:
            no_scores()
            redis.Redis.from_url(broker).flushdb()
            worker = start_workers(count, dict(os.environ), Path(f"/tmp/bench_fanout_worker_{count}.log"))  # noqa: S108
            try:
                # Warm-up, not timed: each pool process loads the models on its first chunk, once a night.
                warm = rescore_run_start(chunk_task=score_chunk, application_ids=ids[: 4 * count], chunk_size=2)
                while not BatchRun.objects.filter(pk=warm.pk, finished_at__isnull=False).exists():
                    time.sleep(0.05)
                no_scores()
                load = os.getloadavg()[0]
                progress(f"fan-out at {count} worker process(es)")
                start = time.perf_counter()
                run = rescore_run_start(chunk_task=score_chunk, application_ids=ids, chunk_size=args.chunk_size)
                while not BatchRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists():
                    time.sleep(0.05)
                seconds = time.perf_counter() - start
            finally:
                stop(worker)
            run.refresh_from_db()
            assert (run.done, run.written) == (n, n), (run.done, run.written)
            assert ApplicationScore.objects.count() == n
            results[count] = {"seconds": round(seconds, 2), "per_second": round(n / seconds), "load_avg": load}

        print(f"\nFan-out of the nightly rescore, {n:,} applications, chunks of {args.chunk_size:,}, PostgreSQL")
        print(f"  load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {timezone.now():%Y-%m-%d %H:%M}")
        print(f"  baseline (one process, applications_rescore): {baseline_s:.2f} s, {n / baseline_s:,.0f}/s")
        for count, r in results.items():
            print(
                f"  fan-out, {count} worker process(es): {r['seconds']:.2f} s, {r['per_second']:,}/s, "
                f"{r['seconds'] / baseline_s:.2f}× the baseline (load {r['load_avg']:.1f})"
            )
        if 1 in results and 2 in results:
            print(f"  scaling 1 → 2 workers: {results[1]['seconds'] / results[2]['seconds']:.2f}×")
        print(json.dumps({"bench": "fanout", "applications": n, "baseline_s": round(baseline_s, 2), "fanout": results}))
    finally:
        connection.close()
        if not args.keep_db:
            pg_drop(args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
