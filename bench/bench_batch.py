#!/usr/bin/env python
"""Batch scoring against the bare path on PostgreSQL (issue 22, item 3), with a breakdown per stage of both.

    .venv/bin/python bench/bench_batch.py [--applications 100000] [--repeat 3] \
        [--database-url postgres://postgres@127.0.0.1:5432/bench_batch] [--reuse] [--keep-db]

On a fresh PostgreSQL database (or, with ``--reuse``, one that ``bench_scoring.py --setup-only --keep-db`` or an
earlier ``--keep-db`` run left) it builds N submitted applications (bench_scoring's world, bulk_create, not
timed), values their assets once and scores them once (not timed: that run's rows are what the bare path
writes), then times, in ``--repeat`` back-to-back pairs, each on no stored scores and the valuations in place
(the issue's case: a night on which every application's inputs changed, none scored on them yet):

- ours: ``applications_rescore`` over every id (its batches, as the nightly run's chunks call it);
- bare: the same source rows read with a raw ``COPY … TO STDOUT`` (applications with their firm, pledged assets
  with their columns and current valuation), ``predict_pd`` (calibrated ``predict_proba``) on the feature frame
  of the rows ours wrote (built before the clock: the bare path builds no features), and ``COPY … FROM STDIN``
  of the same rows ours writes (score rows and their score changes, serialised before the clock) straight
  into the tables. Its PDs are checked equal to ours.

Ratio: ours ÷ bare, median over the pairs (target ≤ 2). Beside it, the CPU seconds of each path (this
process and its PostgreSQL backend, read from /proc when the server is local) and their ratio, which moves
less with the host's load than the wall clock does. Then, once each and not in the ratio, both paths with
every stage timed: ours by wrapping the service's own helpers (exclusive seconds; what is left is glue), bare by
its three steps. Between runs the scores are deleted and the scoring tables VACUUM ANALYZEd, so each run starts
from the same table state. One thread (``threadpoolctl``), DEBUG off. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scoring import build_world, configure_environment, is_postgres, pg_drop, pg_recreate, progress

TARGET_RATIO = 2.0
# Our helpers timed in the breakdown, by stage (exclusive time: a helper's callees are charged to theirs).
OUR_STAGES = {
    "_pledged_columns": "read",
    "_current_valuations": "read",
    "current_facts": "read",
    "_live_filing_flags": "read",
    "_stored_scores": "read",
    "_previous_scores": "read",
    "_feature_rows": "features",
    "input_hash": "hashing",
    "explain_packed": "predict + reasons",
    "_score_rows": "rows",
    "reserved_ids": "write",
    "insert_new_rows": "write",
    "_new_scores": "score changes",
    "_new_scores_read": "score changes",
    "_score_changes_write": "score changes",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="back-to-back pairs of ours and bare (default 3)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_batch")
    parser.add_argument("--reuse", action="store_true", help="measure on the database a --keep-db run left")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    if not is_postgres(args.database_url):
        parser.error("bench_batch measures the PostgreSQL path (COPY): give a postgres:// URL")
    return args


def reset_scores() -> None:
    """No score and no score change; the scoring tables vacuumed and analysed, as autovacuum leaves them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE scoring_scorechange, scoring_applicationscore")
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE scoring_applicationscore, scoring_scorechange, scoring_assetvaluation")
    gc.collect()


class StageTimer:
    """Exclusive seconds per stage of functions wrapped in place (a callee's time is charged to its own stage)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.stack: list[float] = []  # child seconds of each open call
        self.restore: list[tuple[object, str, object]] = []

    def wrap(self, owner, name: str) -> None:
        real = getattr(owner, name)

        def timed(*args, **kwargs):
            self.stack.append(0.0)
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                children = self.stack.pop()
                self.seconds[name] = self.seconds.get(name, 0.0) + spent - children
                if self.stack:
                    self.stack[-1] += spent

        self.restore.append((owner, name, real))
        setattr(owner, name, timed)

    def unwrap(self) -> None:
        for owner, name, real in reversed(self.restore):
            setattr(owner, name, real)
        self.restore.clear()


def ours(ids: list[int]) -> int:
    from scoring.services import applications_rescore

    return applications_rescore(application_ids=ids)


def ours_by_stage(ids: list[int], model) -> tuple[dict[str, float], dict[str, float]]:
    """Our path's seconds by stage, and by helper."""
    from scoring import services

    timer = StageTimer()
    for name in OUR_STAGES:
        timer.wrap(model if name == "explain_packed" else services, name)
    start = time.perf_counter()
    try:
        ours(ids)
    finally:
        total = time.perf_counter() - start
        timer.unwrap()
    stages = dict.fromkeys(OUR_STAGES.values(), 0.0)
    for name, seconds in timer.seconds.items():
        stages[OUR_STAGES[name]] += seconds
    stages = {stage: round(seconds, 3) for stage, seconds in stages.items()}
    stages["other (glue)"] = round(total - sum(timer.seconds.values()), 3)
    stages["total"] = round(total, 3)
    return stages, {name: round(seconds, 3) for name, seconds in timer.seconds.items()}


SOURCE_QUERIES = (
    # The columns our path reads, joined as a one-off script would: one statement each over every id.
    """SELECT a.id, a.requested_amount, a.requested_term_months, a.insurance_product_id, a.guarantee_product_id,
              p.requires_insurance, p.requires_guarantee, e.id, e.founded_on, e.overdue_events_24m,
              e.max_days_past_due_24m, e.has_court_enforcement, e.tax_credit_grade, e.is_high_tech,
              e.is_specialised, e.cluster, e.annual_revenue::float8, e.existing_debt::float8
         FROM financing_application a
         JOIN products_loanproduct p ON p.id = a.product_id
         JOIN enterprises_enterprise e ON e.id = a.enterprise_id
        WHERE a.id = ANY(%s)""",
    """SELECT pa.application_id, s.*, v.p50
         FROM financing_applicationasset pa
         JOIN assets_ipasset s ON s.id = pa.asset_id
         LEFT JOIN scoring_assetvaluation v ON v.asset_id = s.id
        WHERE pa.application_id = ANY(%s)""",
)


def bare_prepare(risk_version) -> dict:
    """What the bare path is given before its clock: the feature frame of the rows ours wrote, and those rows
    (scores and score changes) as COPY text."""
    import pandas as pd
    from django.db import connection

    from scoring.models import ApplicationScore
    from scoring.services import _features

    stored = list(
        ApplicationScore.objects.filter(model_version=risk_version)
        .order_by("application_id")
        .values_list("application_id", "inputs", "pd")
    )
    frame = pd.DataFrame([_features(inputs) for _, inputs, _ in stored])
    copied = {}
    with connection.cursor() as cursor:
        for table, columns in (
            (
                "scoring_applicationscore",
                "id, application_id, model_version_id, input_hash, inputs, pd, points, band, reasons, improvements, "
                "created_at",
            ),
            ("scoring_scorechange", "application_id, trigger, score_id, previous_id, changes, created_at"),
        ):
            buffer = io.BytesIO()
            with cursor.copy(f"COPY (SELECT {columns} FROM {table} ORDER BY id) TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            copied[table] = (columns, buffer.getvalue())
    return {"frame": frame, "pd": [p for _, _, p in stored], "copied": copied}


def bare(ids: list[int], prepared: dict, model, laps: dict | None = None) -> int:
    """Raw COPY of the source rows, predict_pd on the frame, COPY of the same rows; one transaction."""
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        read = 0
        for query in SOURCE_QUERIES:
            with cursor.copy(f"COPY ({query.replace('%s', '%s::bigint[]')}) TO STDOUT", (ids,)) as copy:
                for block in copy:
                    read += len(block)
        lap = time.perf_counter()
        pd_values = model.predict_pd(prepared["frame"])
        predicted = time.perf_counter()
        for table, (columns, data) in prepared["copied"].items():
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(data)
        written = time.perf_counter()
    if laps is not None:
        laps.update(
            read=round(lap - start, 3),
            predict=round(predicted - lap, 3),
            write=round(written - predicted, 3),
            commit=round(time.perf_counter() - written, 3),
            total=round(time.perf_counter() - start, 3),
            read_mb=round(read / 1e6, 1),
        )
    prepared["last_pd"] = pd_values
    return len(pd_values)


def run(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from scoring import registry
    from scoring.models import ApplicationScore, AssetValuation, ScoreChange
    from scoring.services import RISK_MODEL
    from tongzhirong.financing.models import Application

    load_before = os.getloadavg()
    if not args.reuse:
        progress("migrate")
        call_command("migrate", interactive=False, verbosity=0)
        progress(f"building {args.applications} applications with bulk_create")
        build_world(args.applications, args.seed)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ids = list(Application.objects.order_by("pk").values_list("pk", flat=True)[: args.applications])
    n = len(ids)
    risk_version, risk_model = registry.get_model(RISK_MODEL)
    reset_scores()
    progress("first run: values the assets (if not yet) and writes the rows the bare path will write")
    ours(ids)
    check(ApplicationScore.objects.count() == n, "the first run must score every application")
    valuations = AssetValuation.objects.count()
    prepared = bare_prepare(risk_version)
    pairs, cpu = [], []
    for k in range(args.repeat):
        reset_scores()
        progress(f"pair {k + 1}: ours")
        before = cpu_seconds()
        start = time.perf_counter()
        written = ours(ids)
        ours_s = time.perf_counter() - start
        ours_cpu = cpu_spent(before)
        check(written == n and ScoreChange.objects.count() == n, f"ours wrote {written} scores, expected {n}")
        reset_scores()
        progress(f"pair {k + 1}: bare")
        before = cpu_seconds()
        start = time.perf_counter()
        bare(ids, prepared, risk_model)
        bare_s = time.perf_counter() - start
        bare_cpu = cpu_spent(before)
        check(ApplicationScore.objects.count() == n, "the bare path must write every score")
        pairs.append((round(ours_s, 3), round(bare_s, 3), round(ours_s / bare_s, 2)))
        cpu.append((*ours_cpu, *bare_cpu))
    same_pd = [round(float(p), 6) for p in prepared["last_pd"]] == [float(p) for p in prepared["pd"]]
    check(same_pd, "the bare path's PDs must equal ours")
    check(AssetValuation.objects.count() == valuations, "no run may add a valuation")
    reset_scores()
    progress("ours, stage by stage")
    ours_stages, ours_helpers = ours_by_stage(ids, risk_model)
    reset_scores()
    progress("bare, stage by stage")
    bare_stages: dict = {}
    bare(ids, prepared, risk_model, bare_stages)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        db_version = cursor.fetchone()[0].split(" on ")[0]
    return {
        "applications": n,
        "assets": valuations,
        "database": db_version,
        "risk_model": f"{risk_version.name} {risk_version.version}",
        "pairs": pairs,
        "ratio": statistics.median(r for _, _, r in pairs),
        # CPU seconds of each path (this process, its PostgreSQL backend: None where the server's /proc is not
        # readable), per pair: ours Python, ours PostgreSQL, bare Python, bare PostgreSQL. The wall-clock ratio moves
        # with the host's load (ours is mostly Python, bare mostly the server); the CPU ratio much less.
        "cpu_s": cpu,
        "cpu_ratio": statistics.median(cpu_ratio(pair) for pair in cpu) if all(c[1] is not None for c in cpu) else None,
        "target_ratio": TARGET_RATIO,
        "ours_stages_s": ours_stages,
        "ours_helpers_s": ours_helpers,
        "bare_stages_s": bare_stages,
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }


def cpu_seconds() -> tuple[float, float | None]:
    """CPU seconds so far of this process and of its PostgreSQL backend (from /proc when the server runs on this
    host; None otherwise)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return time.process_time(), None
    return time.process_time(), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_spent(before: tuple[float, float | None]) -> tuple[float, float | None]:
    now = cpu_seconds()
    server = None if before[1] is None or now[1] is None else round(now[1] - before[1], 2)
    return round(now[0] - before[0], 2), server


def cpu_ratio(pair: tuple) -> float:
    ours_py, ours_pg, bare_py, bare_pg = pair
    return round((ours_py + ours_pg) / (bare_py + bare_pg), 2)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench_batch: check failed: {message}")


def report(r: dict) -> None:
    print(f"\nBatch scoring on {r['database']}, {r['applications']:,} applications ({r['assets']:,} assets valued)")
    print(f"model {r['risk_model']}; 1 thread; load average {r['load_average'][0]} → {r['load_average'][1]}\n")
    print("pair  ours s   bare s   ours/bare")
    for k, (ours_s, bare_s, ratio) in enumerate(r["pairs"], 1):
        print(f"{k:>4}  {ours_s:7.2f}  {bare_s:7.2f}  {ratio:9.2f}")
    verdict = "met" if r["ratio"] <= r["target_ratio"] else "NOT met"
    print(f"median ratio {r['ratio']:.2f} (target ≤ {r['target_ratio']}: {verdict})")
    print(
        "CPU s per pair (ours Python + PostgreSQL | bare Python + PostgreSQL): "
        + "; ".join(f"{op} + {og} | {bp} + {bg}" for op, og, bp, bg in r["cpu_s"])
    )
    print(f"median CPU ratio {r['cpu_ratio']}\n")
    print("ours by stage (s):  " + ", ".join(f"{k} {v}" for k, v in r["ours_stages_s"].items()))
    print("ours by helper (s): " + ", ".join(f"{k} {v}" for k, v in r["ours_helpers_s"].items()))
    print("bare by stage (s):  " + ", ".join(f"{k} {v}" for k, v in r["bare_stages_s"].items()))
    print(json.dumps(r, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.reuse:
        pg_recreate(args.database_url)
    configure_environment(args.database_url)
    import numpy  # noqa: F401  (loaded before the thread limit, as in bench_scoring)
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(limits=1):
            report(run(args))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db and not args.reuse:
            pg_drop(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
