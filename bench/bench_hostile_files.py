#!/usr/bin/env python
"""How fast and how cheaply each crafted spreadsheet is refused (issue 21, item 4).

    .venv/bin/python bench/bench_hostile_files.py [--repeat 5] [--only NAME ...]

Every import endpoint and page (``POST /api/v1/ip-assets/import/``, ``POST /api/v1/reporting/reported-loans/
import/``, the SME's import page) hands the upload to ``tongzhirong.core.tabular.read_table`` before anything
else touches it, so that call is what is measured. Each file runs in a fresh child process (so one file's
peak does not hide the next one's):

- time: the median of ``--repeat`` calls, no tracing (the crafted file is built in the parent, not timed);
- peak memory growth, two ways: ``tracemalloc``'s peak over one call (Python's allocations), and the peak
  RSS of the first call above the RSS before it (``VmHWM`` reset through ``/proc/self/clear_refs``; C
  allocations included);
- the same for the baseline, in the same run: a well-formed 1,000-row import (the asset import's Chinese
  template columns, XLSX and CSV), which is read, not refused.

Targets: every crafted file refused in under a second with memory growth under 50 MB. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0
TARGET_MB = 50.0
BASELINE_ROWS = 1000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhirong.settings.base")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def baseline_files() -> dict[str, tuple[bytes, str]]:
    from tongzhirong.assets.importing import template_headers, template_rows
    from tongzhirong.core.tabular import write_csv, write_xlsx

    headers = template_headers(chinese=True)
    example = template_rows(chinese=True)[0]
    rows = [[f"2017{n:08d}.3", *example[1:]] for n in range(BASELINE_ROWS)]
    return {
        "baseline_xlsx_1000_rows": (write_xlsx(headers, rows), "baseline.xlsx"),
        "baseline_csv_1000_rows": (write_csv(headers, rows), "baseline.csv"),
    }


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(path: str, repeat: int) -> dict:
    """In the child: read the file ``repeat`` times and report."""
    import io
    import tracemalloc

    from tongzhirong.core.tabular import TabularError, read_table

    data, name = Path(path).read_bytes(), Path(path).name

    def once():
        try:
            return f"read {len(read_table(io.BytesIO(data), name=name))} rows", False
        except TabularError as exc:
            return str(exc), True

    # Linux resets the peak RSS (VmHWM) to the current RSS on "5" written to clear_refs: the peak then
    # measured is this call's, C allocations (zlib, expat) included, which tracemalloc does not see.
    Path("/proc/self/clear_refs").write_text("5")
    rss_before = _status_kb("VmRSS")
    outcome, refused = once()
    rss_growth_mb = (_status_kb("VmHWM") - rss_before) / 1024
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    once()
    traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "bytes": len(data),
        "refused": refused,
        "outcome": outcome,
        "seconds": statistics.median(times),
        "seconds_max": max(times),
        "traced_peak_mb": traced_peak_mb,
        "rss_growth_mb": rss_growth_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="crafted files to run (names from tests/core/hostile_files.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return

    from django.utils import translation

    from tests.core import hostile_files

    translation.activate("en")
    names = args.only or list(hostile_files.BOMBS)
    files = baseline_files()
    for name in names:
        files[name] = hostile_files.build(name)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (data, filename) in files.items():
            path = Path(tmp) / name / filename
            path.parent.mkdir()
            path.write_bytes(data)
            child = subprocess.run(  # noqa: S603 - this script, with arguments it built
                [sys.executable, __file__, "--child", str(path), "--repeat", str(args.repeat)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = json.loads(child.stdout.strip().splitlines()[-1])

    base = results["baseline_xlsx_1000_rows"]
    print(f"{'file':26} {'size':>9} {'time':>9} {'÷ base':>7} {'traced':>9} {'RSS +':>8}  outcome")
    failures = []
    for name, r in results.items():
        crafted = not name.startswith("baseline")
        ok = r["refused"] and r["seconds"] < TARGET_SECONDS and max(r["traced_peak_mb"], r["rss_growth_mb"]) < TARGET_MB
        if crafted and not ok:
            failures.append(name)
        print(
            f"{name:26} {r['bytes'] / 1024:7.0f}KB {r['seconds'] * 1000:7.1f}ms {r['seconds'] / base['seconds']:6.2f}× "
            f"{r['traced_peak_mb']:7.1f}MB {r['rss_growth_mb']:6.1f}MB  "
            f"{'' if not crafted else ('ok  ' if ok else 'FAIL ')}{r['outcome'][:70]}"
        )
    print(
        f"crafted files: {len(results) - 2}, within target ({TARGET_SECONDS:g} s, {TARGET_MB:g} MB): "
        f"{len(results) - 2 - len(failures)}; slowest "
        f"{max(r['seconds'] for n, r in results.items() if not n.startswith('baseline')) * 1000:.1f} ms; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        json.dumps(
            {
                "bench": "hostile_files",
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "repeat": args.repeat,
                "failures": failures,
                "results": results,
            }
        )
    )
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
