#!/usr/bin/env python
"""``make bench``: every benchmark in bench/ at a small size, one after the other, and one table of the ratios
each prints (ours ÷ its same-run baseline), with the bench's wall time.

    .venv/bin/python bench/run_all.py [--only NAME ...] [--database-url postgres://...]

Each bench runs in its own process with the arguments in ``SMALL``; its last output line is its JSON summary,
from which every number under a key containing ``ratio`` is listed (nested keys joined with ``.``). A bench that
fails or is not configured is listed with the reason. Sizes are for a smoke run that finishes in minutes on a
shared machine: compare ratios within a run, and use each bench's own options for the figures in the README."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Small sizes per bench; ``{pg}`` is replaced by --database-url (benches that need PostgreSQL get it).
SMALL: dict[str, list[str]] = {
    "bench_city.py": ["--loans", "3000", "--repeat", "3"],
    "bench_dashboard.py": ["--loans", "3000", "--repeat", "3"],
    "bench_queue.py": ["--applications", "3000", "--repeat", "3"],
    "bench_scoring.py": ["--applications", "2000", "--repeat", "1", "--single", "20"],
    "bench_hostile_files.py": ["--repeat", "1"],
    "bench_facts_refresh.py": ["--assets", "1000"],
    "bench_pool_simulator.py": ["--loans", "1000", "--scenarios", "10000", "--baseline-scenarios", "1000"],
    "bench_fanout.py": ["--applications", "2000", "--chunk-size", "200", "--database-url", "{pg}", "--redis-db", "10"],
    "bench_batch.py": ["--applications", "2000", "--repeat", "1", "--database-url", "{pg}"],
    "bench_base_rates.py": ["--seeds", "7"],
    "bench_value_types.py": ["--versions", "v2", "--bootstrap", "50"],
}
NEEDS_POSTGRES = {"bench_fanout.py", "bench_batch.py"}


def ratios(value, path: str = ""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from ratios(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            label = inner.get("case") or inner.get("label") if isinstance(inner, dict) else None
            if label and isinstance(inner, dict) and "page_size" in inner:
                label = f"{label}, page of {inner['page_size']}"
            yield from ratios(inner, f"{path}[{label or i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # A measured ratio: the last key names it (not a target, nor a figure under a file called *_ratio).
        last = path.rsplit(".", 1)[-1].lower()
        if (last.endswith("ratio") or last.startswith("ratio_")) and not last.startswith("target"):
            yield path, value


def last_json(stdout: str):
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="bench file names (bench_city.py …)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_make")
    args = parser.parse_args(argv)
    benches = sorted(p.name for p in HERE.glob("bench_*.py"))
    if args.only:
        benches = [b for b in benches if b in args.only]
    rows: list[tuple[str, str, str, str]] = []
    for bench in benches:
        if bench not in SMALL:
            rows.append((bench, "-", "not run: no small size configured in bench/run_all.py", "-"))
            continue
        command = [sys.executable, str(HERE / bench), *(a.replace("{pg}", args.database_url) for a in SMALL[bench])]
        print(f"== {' '.join(command[1:])}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent, env=os.environ.copy())  # noqa: S603
        seconds = f"{time.perf_counter() - started:.0f} s"
        summary = last_json(done.stdout) if done.returncode == 0 else None
        if summary is None:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:100]
            rows.append((bench, "-", f"failed (exit {done.returncode}): {tail}", seconds))
            continue
        found = list(ratios(summary))
        if not found:
            rows.append((bench, "-", "ran; prints no ratio", seconds))
        for path, value in found:
            rows.append((bench, path, f"{value:.3f}", seconds))
    print("\n| bench | figure | ratio (ours ÷ same-run baseline) | bench wall time |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
