#!/usr/bin/env python
"""The plan's indicators and coverage on a generated load (issue 22, item 2): the two endpoints, served from the
registers' maintained counts (``reporting.registers``), against the counts over the rows they replace (the whole
IP register and every firm: what the endpoints ran before), in the same run.

    .venv/bin/python bench/bench_registers.py --database-url postgres://postgres@127.0.0.1:5432/citybench \\
        [--repeat 5]

Uses the database as it is (a ``bench_city.py --keep-db`` run's, migrated): nothing is generated, migrated or
written but the bench's two users. Each case runs once to warm up, then ``--repeat`` times; medians are printed.
Server-side, as ``bench_city.py``: the endpoints through Django's test client in process, DEBUG off."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics

from bench_dashboard import open_database, progress, timed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    open_database(args.database_url, reuse=True)
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client

    from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
    from tongzhirong.assets.models import IPAsset, LegalStatus
    from tongzhirong.core.reference import IPType
    from tongzhirong.enterprises.models import Enterprise
    from tongzhirong.reporting.registers import FirmFigure, FirstLoanFigure, RegisterFigure
    from tongzhirong.reporting.selectors import ReportFilters
    from tongzhirong.reporting.selectors.indicators import high_value_invention_patents, register_counts
    from tongzhirong.reporting.selectors.performance import _rolled_coverage

    today = dt.date.today()
    city_org, _ = Organisation.objects.get_or_create(
        name="基准市委金融办", defaults={"kind": OrganisationKind.CITY_OFFICE}
    )
    city, _ = User.objects.get_or_create(
        username="bench-city", defaults={"organisation": city_org, "role": Role.ANALYST}
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(city)

    def endpoint(path: str):
        def call():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])

        return call

    def rows_register():
        """The register's figures as ``indicators`` counted them before: over every right and firm."""
        live = IPAsset.objects.filter(archived_at__isnull=True, legal_status=LegalStatus.VALID)
        counts = live.aggregate(
            invention=Count("pk", filter=Q(ip_type=IPType.INVENTION_PATENT)),
            trademarks=Count("pk", filter=Q(ip_type=IPType.TRADEMARK)),
        )
        firms = Enterprise.objects.aggregate(n=Count("pk"), certified=Count("pk", filter=Q(is_ip_certified=True)))
        copyright_ = IPAsset.objects.filter(
            ip_type__in=(IPType.COPYRIGHT, IPType.SOFTWARE_COPYRIGHT),
            grant_date__gte=dt.date(today.year, 1, 1),
            grant_date__lte=today,
        ).count()
        return counts, firms, copyright_, high_value_invention_patents(today).count()

    def rows_coverage():
        """Coverage's counts as it ran them before: one pass over the firms."""
        with_loan = Q(first_loan_on__lte=today)
        return Enterprise.objects.filter(is_tech_sme=True).aggregate(
            registered=Count("pk"),
            with_loan=Count("pk", filter=with_loan),
            ever=Count("pk", filter=with_loan | Q(prior_ip_loans__gt=0)),
        )

    def counted_coverage():
        return _rolled_coverage(ReportFilters(end=today), official=False)[0]

    # Same figures both ways before timing anything.
    counted, (counts, firms, copyright_, high_value) = register_counts(today), rows_register()
    assert counted == {
        **counts,
        "high_value": high_value,
        "copyright_registrations": copyright_,
        "enterprises": firms["n"],
        "ip_certified": firms["certified"],
    }, counted
    assert counted_coverage() == rows_coverage()

    api = "/api/v1/reporting/"
    cases = [
        ("indicators endpoint", endpoint(f"{api}indicators/")),
        ("coverage endpoint", endpoint(f"{api}coverage/")),
        ("register counts (selector)", lambda: register_counts(today)),
        ("register counts over the rows (before)", rows_register),
        ("coverage counts (selector)", counted_coverage),
        ("coverage counts over the firms (before)", rows_coverage),
    ]
    load_before = os.getloadavg()[0]
    rows = []
    for label, fn in cases:
        _, seconds = timed(fn, args.repeat)
        rows.append({"case": label, "median_s": statistics.median(seconds)})
        progress(f"{label}: {rows[-1]['median_s'] * 1000:.1f} ms")
    sizes = {
        "rights": IPAsset.objects.count(),
        "firms": Enterprise.objects.count(),
        "register_figures": RegisterFigure.objects.count(),
        "firm_figures": FirmFigure.objects.count() + FirstLoanFigure.objects.count(),
    }
    print(f"\nbench_registers on {connection.vendor}: {sizes} (load average {load_before:.1f})")
    print("| case | median |")
    print("|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['median_s'] * 1000:.1f} ms |")
    print(
        json.dumps(
            {
                "bench": "registers",
                "database": connection.vendor,
                **sizes,
                "cases": [{"case": r["case"], "median_s": round(r["median_s"], 4)} for r in rows],
                "loadavg_before": round(load_before, 2),
                "loadavg_after": round(os.getloadavg()[0], 2),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
