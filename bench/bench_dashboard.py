#!/usr/bin/env python
"""Benchmark of the financial office's dashboard summary against the hand-written SQL that answers it.

    .venv/bin/python bench/bench_dashboard.py [--loans 100000] [--database-url URL] [--reuse]

On a fresh database (SQLite file under /tmp by default, or a PostgreSQL database it creates and drops) it
runs ``generate_load`` (COPY on PostgreSQL) and then times, in the same process and on the same data:

- ours:     GET /api/v1/reporting/summary/ as the city office, through the whole DRF stack (authentication,
            query validation, the selectors' ORM queries, the forecast, serialisation, JSON rendering);
- baseline: the same figures from hand-written SQL on a raw cursor (targets; per-target amount, loans and
            distinct firms of platform and reported loans, a reported firm counted once; monthly amounts),
            with no Django model, serializer or response;
- ours, bank: the same endpoint as one bank's officer (its own book).

Each is run ``--repeat`` times after one warm-up; the medians are compared. The script checks that the
baseline's totals equal ours. DEBUG is off. See bench/README.md."""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench_scoring import _pg_admin, is_postgres, sqlite_path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "bench_dashboard.sqlite3"
TARGET_RATIO = 1.5
TARGET_SECONDS = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--assets", type=int, help="default: loans / 5")
    parser.add_argument("--database-url", default=f"sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="use the database as it is if it holds loans")
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args(argv)


def pg(url: str, action: str) -> None:
    from psycopg import sql

    conn, name = _pg_admin(url)
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if action == "create" and not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if action == "drop":
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def open_database(url: str, *, reuse: bool) -> None:
    """The bench's database, fresh unless ``reuse`` (PostgreSQL created, SQLite files removed), and Django set up
    on it with DEBUG off."""
    if is_postgres(url):
        if not reuse:
            pg(url, "drop")
        pg(url, "create")
    elif not reuse:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite_path(url)}{suffix}").unlink(missing_ok=True)
    os.environ.update(DJANGO_SETTINGS_MODULE="tongzhirong.settings.base", DATABASE_URL=url, DJANGO_DEBUG="false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def drop_database(url: str) -> None:
    from django.db import connection

    connection.close()
    if is_postgres(url):
        pg(url, "drop")
    else:
        sqlite_path(url).unlink(missing_ok=True)


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


STARTED = time.perf_counter()


def timed(fn, repeat: int) -> tuple[object, list[float]]:
    result = fn()  # warm-up: plans cached, pages in memory, the same for both sides
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return result, seconds


# --- the hand-written SQL ------------------------------------------------------------------------------------


def baseline(as_of: dt.date) -> dict:
    """The summary's figures from SQL written by hand, on a raw cursor: the best hand-written form we know of
    for each figure (the endpoint's selectors use the same techniques through the ORM)."""
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    p = "%s"
    tz = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai keeps no daylight saving
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, amount, period_start, period_end, includes_reported FROM reporting_target "
            "WHERE is_active ORDER BY period_start, period_end, code"
        )
        targets = cursor.fetchall()

        def moment(day):
            value = dt.datetime.combine(_day(day), dt.time.min, tzinfo=tz)
            return value if postgres else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

        end = as_of + dt.timedelta(days=1)
        start = min([dt.date(2024, 1, 1), *(_day(t[2]) for t in targets)])
        windows = [(_day(t[2]), min(_day(t[3]), as_of) + dt.timedelta(days=1)) for t in targets]
        # Slices of [start, end) cut at every month start and window edge, one range aggregate each (an index
        # range scan): amounts and loans of every window and month in one statement per table.
        month, days = start.replace(day=1), {start, end, *(d for w in windows for d in w)}
        while month < end:
            days.add(max(month, start))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        days = sorted(days)
        edges = [moment(d) for d in days]
        sliced = []
        for table in ("financing_loan", "reporting_reportedloan"):
            parts = [
                f"SELECT {i}, SUM(principal), COUNT(*) FROM {table} WHERE disbursed_at >= {p} AND disbursed_at < {p}"
                for i in range(len(days) - 1)
            ]
            cursor.execute(" UNION ALL ".join(parts), [e for pair in itertools.pairwise(edges) for e in pair])
            sliced.append({i: (Decimal(a), c) for i, a, c in cursor.fetchall() if c})
        # Platform firms per window: one GROUP BY borrower (index order), counted per window.
        w = f"disbursed_at >= {p} AND disbursed_at < {p}"
        inner = ", ".join(f"COUNT(*) FILTER (WHERE {w}) AS n{i}" for i in range(len(windows)))
        outer = ", ".join(f"COUNT(*) FILTER (WHERE n{i} > 0)" for i in range(len(windows)))
        cursor.execute(
            f"SELECT {outer} FROM (SELECT borrower_id, {inner} FROM financing_loan "
            f"WHERE disbursed_at >= {p} AND disbursed_at < {p} GROUP BY borrower_id) per_borrower",
            [*(moment(d) for lo_hi in windows for d in lo_hi), edges[0], edges[-1]],
        )
        p_firms = cursor.fetchone()
        # Reported firms per window, and those with no platform loan in the window (the platform firm with the
        # same USCC, joined once).
        cols, params = [], []
        for lo, hi in windows:
            rw = f"r.disbursed_at >= {p} AND r.disbursed_at < {p}"
            cols += [
                f"COUNT(DISTINCT r.borrower_uscc) FILTER (WHERE {rw})",
                f"COUNT(DISTINCT r.borrower_uscc) FILTER (WHERE {rw} AND NOT EXISTS (SELECT 1 FROM financing_loan l "
                f"WHERE l.borrower_id = e.id AND l.disbursed_at >= {p} AND l.disbursed_at < {p}))",
            ]
            params += [moment(lo), moment(hi)] * 3
        cursor.execute(
            f"SELECT {', '.join(cols)} FROM reporting_reportedloan r "
            "LEFT JOIN enterprises_enterprise e ON e.uscc = r.borrower_uscc "
            f"WHERE r.disbursed_at >= {p} AND r.disbursed_at < {p}",
            [*params, edges[0], edges[-1]],
        )
        r_firms = cursor.fetchone()

    def summed(side, lo, hi):
        rows = [row for i, row in sliced[side].items() if lo <= days[i] and days[i + 1] <= hi]
        return sum((a for a, _ in rows), Decimal(0)), sum(c for _, c in rows)

    result, months = {}, {}
    for i, (t, (lo, hi)) in enumerate(zip(targets, windows, strict=True)):
        (p_amount, p_count), (r_amount, r_count) = summed(0, lo, hi), summed(1, lo, hi)
        r_all, r_new = r_firms[2 * i : 2 * i + 2]
        result[t[0]] = {
            "platform": (p_amount, p_count, p_firms[i]),
            "reported": (r_amount, r_count, r_all),
            "total": (p_amount + r_amount, p_count + r_count, p_firms[i] + r_new),
        }
    for side, table in enumerate(("financing_loan", "reporting_reportedloan")):
        per_month = months.setdefault(table, {})
        for i, (amount, _) in sliced[side].items():
            first = days[i].replace(day=1)
            per_month[first] = per_month.get(first, Decimal(0)) + amount
    return {"targets": result, "months": months}


def _day(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# --- run -----------------------------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = parse_args(argv)
    url = args.database_url
    open_database(url, reuse=args.reuse)
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
    from tongzhirong.demo.load import generate_load
    from tongzhirong.financing.models import Loan

    call_command("migrate", verbosity=0)
    load = None
    if not (args.reuse and Loan.objects.exists()):
        progress(f"generating {args.loans} loans")
        load = generate_load(
            loans=args.loans, assets=args.assets or max(args.loans // 5, 1), seed=args.seed, progress=progress
        )
    loans = Loan.objects.count()
    city_org, _ = Organisation.objects.get_or_create(
        name="基准市委金融办", defaults={"kind": OrganisationKind.CITY_OFFICE}
    )
    city, _ = User.objects.get_or_create(
        username="bench-city", defaults={"organisation": city_org, "role": Role.ANALYST}
    )
    bank_id = Loan.objects.values_list("bank_id", flat=True).first()
    officer, _ = User.objects.get_or_create(
        username="bench-bank", defaults={"organisation_id": bank_id, "role": Role.BANK_OFFICER}
    )
    as_of = dt.date.today()
    clients = {}
    for name, user in (("city", city), ("bank", officer)):
        clients[name] = APIClient()
        clients[name].force_authenticate(user)

    def ours(who="city"):
        response = clients[who].get(f"/api/v1/reporting/summary/?as_of={as_of}")
        assert response.status_code == 200, response.content[:500]
        return response.json()

    load_before = os.getloadavg()[0]
    progress("timing ours")
    body, ours_s = timed(ours, args.repeat)
    progress("timing baseline")
    base, base_s = timed(lambda: baseline(as_of), args.repeat)
    progress("timing ours as a bank")
    _, bank_s = timed(lambda: ours("bank"), args.repeat)
    for target in body["targets"]:
        want = base["targets"][target["code"]]
        for part in ("platform", "reported", "total"):
            got = (Decimal(target[part]["amount"]), target[part]["count"], target[part]["firms"])
            if got != want[part]:
                raise SystemExit(f"bench_dashboard: {target['code']} {part}: ours {got} != baseline {want[part]}")
    ours_med, base_med, bank_med = (statistics.median(s) for s in (ours_s, base_s, bank_s))
    ratio = ours_med / base_med
    figures = {
        "database": connection.vendor,
        "loans": loans,
        "ours_median_s": round(ours_med, 4),
        "baseline_median_s": round(base_med, 4),
        "ratio": round(ratio, 3),
        "bank_median_s": round(bank_med, 4),
        "ours_all_s": [round(s, 4) for s in ours_s],
        "baseline_all_s": [round(s, 4) for s in base_s],
        "target_ratio": TARGET_RATIO,
        "target_seconds": TARGET_SECONDS,
        "within_ratio": ratio <= TARGET_RATIO,
        "under_1s": ours_med < TARGET_SECONDS,
        "loadavg_before": round(load_before, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "load": load,
        "cumulative_total": next(t["total"] for t in body["targets"] if t["reading"] == "cumulative"),
    }
    print(f"\nbench_dashboard on {connection.vendor}, {loans:,} loans")
    print(f"  summary endpoint (city office): median {ours_med * 1000:8.1f} ms over {args.repeat}")
    print(f"  hand-written SQL, same figures: median {base_med * 1000:8.1f} ms")
    print(f"  ratio ours / SQL: {ratio:.2f} (target ≤ {TARGET_RATIO}); under 1 s: {ours_med < TARGET_SECONDS}")
    print(f"  summary endpoint (one bank):    median {bank_med * 1000:8.1f} ms")
    print(json.dumps(figures, default=str, ensure_ascii=False))
    if not args.keep_db:
        drop_database(url)


if __name__ == "__main__":
    main()
