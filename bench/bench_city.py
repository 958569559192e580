#!/usr/bin/env python
"""Benchmark of the financial office's whole dashboard — the /city/ page and every reporting endpoint — on a
generated load, against hand-written SQL over the same rollups and, for scale, the hand-written SQL over the
raw loans that the rollups replace.

    .venv/bin/python bench/bench_city.py [--loans 20000] [--database-url URL] [--reuse] [--keep-db]

The load is ``generate_load`` (COPY on PostgreSQL, then ``rollups_rebuild``); ``--reuse`` measures again on a
database a ``--keep-db`` run left. Each case runs once to warm up, then ``--repeat`` times; medians are
compared. Server-side: the page and the endpoints are called in process through Django's test client (the whole
middleware, authentication, selectors, templates or serialisers, JSON), DEBUG off. See bench/README.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
from pathlib import Path

from bench_dashboard import drop_database, open_database, progress, timed

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE = Path(tempfile.gettempdir()) / "bench_city.sqlite3"
TARGET_SECONDS = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--database-url", default=f"sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="use the database as it is if it holds loans")
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args(argv)


# --- hand-written SQL ----------------------------------------------------------------------------------------


def rollup_breakdown_sql(by: str) -> list:
    """A breakdown's figures straight from the rollup table, as the endpoint asks them (the whole period): amounts,
    loans and firms (first loans per day, summed) per source and group in one statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, source, SUM(amount), SUM(count), SUM(firms_first) FROM financing_loandayfigure "
            "WHERE dimension = %s GROUP BY key, source",
            [by],
        )
        return cursor.fetchall()


def rollup_series_sql(start: dt.date, end: dt.date) -> list:
    """The monthly series' figures from the rollup table: amounts, loans and firms per month and source."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, source, SUM(amount), SUM(count), SUM(firms_first), SUM(firms_last) "
            "FROM financing_loandayfigure WHERE dimension = 'month' AND day BETWEEN %s AND %s GROUP BY key, source",
            [start, end],
        )
        return cursor.fetchall()


def raw_breakdown_sql(by_column: str) -> list:
    """For scale: the same breakdown from the raw loans (a join to the borrower, distinct firms per group)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.{by_column}, SUM(l.principal), COUNT(*), COUNT(DISTINCT l.borrower_id) FROM financing_loan l "
            f"JOIN enterprises_enterprise e ON e.id = l.borrower_id GROUP BY e.{by_column}"
        )
        platform = cursor.fetchall()
        cursor.execute(
            f"SELECT {by_column}, SUM(principal), COUNT(*), COUNT(DISTINCT borrower_uscc) "
            f"FROM reporting_reportedloan GROUP BY {by_column}"
        )
        return [platform, cursor.fetchall()]


# --- run -----------------------------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = parse_args(argv)
    url = args.database_url
    open_database(url, reuse=args.reuse)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
    from tongzhirong.demo.load import generate_load
    from tongzhirong.financing.models import Loan
    from tongzhirong.reporting.selectors import BREAKDOWNS, ReportFilters, breakdown, reporting_scope, volume_series

    call_command("migrate", verbosity=0)
    if not (args.reuse and Loan.objects.exists()):
        progress(f"generating {args.loans} loans")
        generate_load(loans=args.loans, assets=max(args.loans // 5, 1), seed=args.seed, progress=progress)
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
    clients = {}
    for name, user in (("city", city), ("bank", officer)):
        clients[name] = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        clients[name].force_login(user)
    today = dt.date.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    api = "/api/v1/reporting/"
    cases = [("city", "/city/ page", "/city/")]
    cases += [("city", f"{name}", f"{api}{name}/") for name in ("summary", "monthly", "coverage", "speed", "risk")]
    cases += [("city", f"breakdowns?by={by}", f"{api}breakdowns/?by={by}") for by in BREAKDOWNS]
    cases += [
        ("city", "indicators", f"{api}indicators/"),
        ("city", "export?table=series", f"{api}export/?table=series"),
        ("city", "export?table=breakdown&by=chain", f"{api}export/?table=breakdown&by=chain"),
        ("city", "monthly?bucket=quarter", f"{api}monthly/?bucket=quarter"),
        ("city", "reported-loans/import-template", f"{api}reported-loans/import-template/"),
        ("city", f"district-report?month={last_month:%Y-%m}", f"{api}district-report/?month={last_month:%Y-%m}"),
        ("bank", "summary (one bank)", f"{api}summary/"),
        ("bank", "monthly (one bank)", f"{api}monthly/"),
        ("bank", "monthly?bucket=quarter (one bank)", f"{api}monthly/?bucket=quarter"),
        ("bank", "monthly?bucket=year (one bank)", f"{api}monthly/?bucket=year"),
    ]
    cases += [("bank", f"breakdowns?by={by} (one bank)", f"{api}breakdowns/?by={by}") for by in BREAKDOWNS]
    cases += [("bank", "export?table=breakdown&by=chain (one bank)", f"{api}export/?table=breakdown&by=chain")]
    baselines = {
        "breakdowns?by=district": ("rollups SQL", lambda: rollup_breakdown_sql("district")),
        "breakdowns?by=ip_type": ("rollups SQL", lambda: rollup_breakdown_sql("ip_type")),
        "monthly": ("rollups SQL", lambda: rollup_series_sql(dt.date(2024, 1, 1), today)),
    }
    # The selector alone (the query and its shaping into rows, no request): where the endpoint's time above the
    # hand SQL goes, between the query and the request's fixed cost (session, user, middleware, DRF, JSON).
    scope = reporting_scope(user=city)
    selectors = {
        "breakdowns?by=district": lambda: breakdown(scope=scope, filters=ReportFilters(), by="district"),
        "breakdowns?by=ip_type": lambda: breakdown(scope=scope, filters=ReportFilters(), by="ip_type"),
        "monthly": lambda: volume_series(scope=scope, filters=ReportFilters(), bucket="month"),
    }
    load_before = os.getloadavg()[0]
    rows = []
    for who, label, path in cases:

        def call(client=clients[who], path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return response

        _, seconds = timed(call, args.repeat)
        row = {"case": label, "median_s": statistics.median(seconds), "all_s": seconds}
        if label in baselines:
            name, fn = baselines[label]
            _, base_s = timed(fn, args.repeat)
            row |= {"baseline": name, "baseline_s": statistics.median(base_s)}
            row["ratio"] = row["median_s"] / row["baseline_s"]
            _, selector_s = timed(selectors[label], args.repeat)
            row |= {"selector_s": statistics.median(selector_s)}
            row["selector_ratio"] = row["selector_s"] / row["baseline_s"]
        rows.append(row)
        progress(f"{label}: {row['median_s'] * 1000:.1f} ms")
    raw = {}
    for column in ("district", "cluster"):
        _, raw_s = timed(lambda column=column: raw_breakdown_sql(column), max(1, args.repeat // 2))
        raw[column] = statistics.median(raw_s)
    print(f"\nbench_city on {connection.vendor}, {loans:,} loans (load average {load_before:.1f})")
    print("| case | median | hand SQL over the rollups | ratio | selector alone | selector ratio |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        base = f"{row['baseline_s'] * 1000:.1f} ms" if "baseline_s" in row else ""
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else ""
        selector = f"{row['selector_s'] * 1000:.1f} ms | {row['selector_ratio']:.2f}" if "selector_s" in row else " |"
        print(f"| {row['case']} | {row['median_s'] * 1000:.1f} ms | {base} | {ratio} | {selector} |")
    for column, seconds in raw.items():
        print(f"raw-row SQL, breakdown by {column} (for scale): {seconds * 1000:.1f} ms")
    slowest = max(rows, key=lambda r: r["median_s"])
    print(
        f"slowest: {slowest['case']} {slowest['median_s'] * 1000:.1f} ms; all under 1 s: "
        f"{all(r['median_s'] < TARGET_SECONDS for r in rows)}"
    )
    print(
        json.dumps(
            {
                "bench": "city",
                "database": connection.vendor,
                "loans": loans,
                "cases": [
                    {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items() if k != "all_s"}
                    for r in rows
                ],
                "raw_sql_s": {k: round(v, 4) for k, v in raw.items()},
                "under_1s": all(r["median_s"] < TARGET_SECONDS for r in rows),
                "loadavg_before": round(load_before, 2),
                "loadavg_after": round(os.getloadavg()[0], 2),
            },
            default=str,
            ensure_ascii=False,
        )
    )
    if not args.keep_db:
        drop_database(url)


if __name__ == "__main__":
    main()
