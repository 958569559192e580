#!/usr/bin/env python
"""Facts per second for a batch refresh of IP assets through the HTTP provider against the register simulator
(issue 17, item 2).

    .venv/bin/python bench/bench_facts_refresh.py [--assets 10000] [--per-firm 10] [--database-url URL] [--keep-db]

Setup (not timed): ``assets / per-firm`` SMEs and ``assets`` invention patents (bulk_create), the register
simulator (tongzhirong/demo/simulator.py) in a thread of this process on a free port, loaded with the IP
register's record of every patent: five facts each (legal status, annual fee paid through, expiry,
invalidation pending, co-owners). The HTTP provider's settings are the defaults (batches of 100 subjects,
5 s timeout, 3 attempts, the circuit breaker).

Timed, in one run, one thread (the simulator answers from its own threads):

- **baseline**, the bare HTTP fetch loop: the same batches of the same subjects POSTed with one httpx client to
  the same simulator, the JSON answers parsed and their facts counted; no checks, no database.
- **ours, first refresh**: ``facts_refresh(enterprise_ids=..., sources=["ip_register"])``: fetch through the
  provider (retries, breaker), check each answer against the contract and the catalogue, record every fact with
  its provenance (source, reference, observed and fetched when, by the feed's system user), set each asset's
  columns from the register, record each firm's fetch state.
- **ours, unchanged**: the same refresh again: every fact fetched and checked, none new, so only the fetch
  states are written (what the nightly refresh costs on a quiet night).

Printed: facts per second of each, ours ÷ baseline in seconds, and a final JSON line. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from contextlib import contextmanager
from decimal import Decimal

from bench_scoring import TMP, configure_environment, fresh_database, progress, run_measured

FACTS_PER_ASSET = 5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--per-firm", type=int, default=10)
    parser.add_argument("--database-url", default=f"sqlite:///{TMP / 'bench_facts_refresh.sqlite3'}")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--profile", choices=["first", "unchanged"], help="that refresh under cProfile, stats printed (top 25)"
    )
    return parser.parse_args(argv)


def build(n_assets: int, per_firm: int) -> tuple[list[int], list[dict]]:
    """Firms and patents in the database; the register's records of the patents for the simulator."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tongzhirong.accounts.models import Organisation, OrganisationKind
    from tongzhirong.assets.models import IPAsset, LegalStatus
    from tongzhirong.core.identifiers import make_patent_number, make_uscc
    from tongzhirong.core.reference import Chain, Cluster, District, IPType
    from tongzhirong.enterprises.models import Enterprise

    firms = max(1, n_assets // per_firm)
    organisations = Organisation.objects.bulk_create(
        Organisation(kind=OrganisationKind.SME, name=f"南通基准科技有限公司{i}") for i in range(firms)
    )
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            organisation=organisation,
            legal_name=organisation.name,
            uscc=make_uscc(i + 1),
            district=District.CHONGCHUAN,
            cluster=Cluster.NEXT_GEN_IT,
            chain=Chain.SOFTWARE,
            founded_on=dt.date(2015, 3, 1),
            registered_capital=Decimal("5000000.00"),
            employees=80,
            annual_revenue=Decimal("30000000.00"),
        )
        for i, organisation in enumerate(organisations)
    )
    paid = dt.date.today() + dt.timedelta(days=200)
    assets = IPAsset.objects.bulk_create(
        IPAsset(
            owner=enterprises[i % firms],
            ip_type=IPType.INVENTION_PATENT,
            identifier=make_patent_number(i + 1),
            title=f"一种基准测试装置 {i}",
            filing_date=dt.date(2019, 5, 10),
            grant_date=dt.date(2021, 8, 20),
            expiry_date=dt.date(2039, 5, 10),
            legal_status=LegalStatus.VALID,
            annual_fee_paid_through=paid,
        )
        for i in range(n_assets)
    )
    observed = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    by_pk = {e.pk: e for e in enterprises}
    records = []
    for asset in assets:
        reference = f"CNIPA-BENCH-{asset.identifier}"
        facts = [
            ("legal_status", "valid"),
            ("annual_fee_paid_through", (paid + dt.timedelta(days=365)).isoformat()),
            ("expiry_date", "2039-05-10"),
            ("invalidation_pending", False),
            ("co_owners", []),
        ]
        records.append(
            {
                "source": "ip_register",
                "uscc": by_pk[asset.owner_id].uscc,
                "ip_type": asset.ip_type,
                "identifier": asset.identifier,
                "facts": [{"name": n, "value": v, "reference": reference, "observed_at": observed} for n, v in facts],
            }
        )
    return [e.pk for e in enterprises], records


def baseline(url: str, records: list[dict], batch: int) -> int:
    """The bare loop: POST the batches, parse the JSON, count the facts."""
    import httpx

    subjects = [{"uscc": r["uscc"], "ip_type": r["ip_type"], "identifier": r["identifier"]} for r in records]
    facts = 0
    with httpx.Client(base_url=url, timeout=5) as client:
        for start in range(0, len(subjects), batch):
            body = {"contract": "1", "source": "ip_register", "subjects": subjects[start : start + batch]}
            answer = client.post("/v1/facts/query", json=body).json()
            facts += sum(len(result.get("facts", ())) for result in answer["results"])
    return facts


@contextmanager
def maybe_profile(wanted: bool):
    if not wanted:
        yield
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


def run(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.conf import settings

    from tongzhirong.demo.simulator import RegisterSimulator, start_in_thread
    from tongzhirong.facts.models import Fact
    from tongzhirong.facts.sources.refresh import facts_refresh

    progress(f"building {args.assets} patents of {args.assets // args.per_firm} firms")
    ids, records = build(args.assets, args.per_firm)
    app = RegisterSimulator()
    app.load(records)
    server = start_in_thread(app)
    url = f"http://127.0.0.1:{server.server_port}"
    settings.FACTS_HTTP_URL, settings.FACTS_HTTP_TOKEN = url, ""
    expected = len(records) * FACTS_PER_ASSET
    try:
        progress("baseline: the bare HTTP fetch loop")
        started = time.perf_counter()
        fetched = baseline(url, records, settings.FACTS_HTTP_BATCH)
        base_s = time.perf_counter() - started
        assert fetched == expected, (fetched, expected)

        progress("ours: first refresh (every fact new)")
        started = time.perf_counter()
        with maybe_profile(args.profile == "first"):
            first = facts_refresh(enterprise_ids=ids, sources=["ip_register"])
        first_s = time.perf_counter() - started
        assert (first.observed, first.recorded, first.failed) == (expected, expected, {}), first
        assert Fact.objects.filter(source="ip_register").count() == expected

        progress("ours: the same refresh again (nothing new)")
        started = time.perf_counter()
        with maybe_profile(args.profile == "unchanged"):
            again = facts_refresh(enterprise_ids=ids, sources=["ip_register"])
        again_s = time.perf_counter() - started
        assert (again.observed, again.recorded, again.failed) == (expected, 0, {}), again
    finally:
        server.shutdown()
        server.server_close()
    return {
        "assets": len(records),
        "firms": len(ids),
        "facts": expected,
        "batch": settings.FACTS_HTTP_BATCH,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "baseline_s": round(base_s, 3),
        "first_s": round(first_s, 3),
        "unchanged_s": round(again_s, 3),
        "baseline_facts_per_s": round(expected / base_s),
        "first_facts_per_s": round(expected / first_s),
        "unchanged_facts_per_s": round(expected / again_s),
        "first_ratio": round(first_s / base_s, 2),
        "unchanged_ratio": round(again_s / base_s, 2),
    }


def report(r: dict, total_s: float) -> None:
    print()
    print(f"Batch refresh of {r['assets']} IP assets ({r['firms']} firms, {r['facts']} facts) on {r['database']},")
    print(f"HTTP provider against the register simulator, {r['batch']} subjects per request:")
    print(f"  baseline, bare HTTP fetch loop : {r['baseline_s']:8.2f} s  {r['baseline_facts_per_s']:8d} facts/s")
    print(
        f"  ours, first refresh (recorded) : {r['first_s']:8.2f} s  {r['first_facts_per_s']:8d} facts/s"
        f"  ratio {r['first_ratio']:.2f} x"
    )
    print(
        f"  ours, unchanged (checked only) : {r['unchanged_s']:8.2f} s  {r['unchanged_facts_per_s']:8d} facts/s"
        f"  ratio {r['unchanged_ratio']:.2f} x"
    )
    print(f"  (whole run {total_s:.1f} s)")
    print(json.dumps(r))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fresh_database(args.database_url)
    configure_environment(args.database_url)
    return run_measured(args, run, report)


if __name__ == "__main__":
    raise SystemExit(main())
