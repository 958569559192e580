#!/usr/bin/env python
"""Benchmark of the scoring service against the bare path a data scientist would write.

    .venv/bin/python bench/bench_scoring.py [--applications 100000] [--database-url URL]

On a fresh database (SQLite file under /tmp by default, or a PostgreSQL database it creates and drops)
it builds N submitted applications with bulk_create, then times on the same N applications:

- ours, cold:  ``applications_rescore`` with no valuation in the database (valuations are written too);
- ours, warm:  the same call again after deleting only the ApplicationScore rows (valuations reused);
- baseline:    ``RiskModel.predict_pd`` on the stored ``inputs`` + ``bulk_create`` of the score rows
               without reasons (the feature frame is built before the clock starts);
- cold baseline: the bare path for the rows a cold run writes: the value model's ``predict`` on the
               stored asset inputs + ``bulk_create`` of the valuations, then the baseline above; timed in
               ``--repeat`` back-to-back pairs with ours cold;
- baseline + load (extra information, not the target): the baseline plus the same ``values()`` reads as
               our path;
- single:      ``application_score`` of one application (p50/p95 over 200, with its COMMIT apart), and
               ``model.explain`` of one feature dict and of a one-row frame alone.

Everything runs in one thread (``threadpoolctl.threadpool_limits(1)``) with DEBUG off. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import os
import platform
import pstats
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.gettempdir())
DEFAULT_SQLITE = TMP / "bench_scoring.sqlite3"
PROFILE_PHASES = ("cold", "warm", "unchanged", "baseline", "single")
INSERT_BATCH = 1000  # bulk_create batch size of the baseline's score rows
SETUP_BATCH = 2000
TARGET_RATIO = 1.5  # our path against the baseline, the target of the scoring issue
SQLITE_SAFE_BATCH = 990  # applications per applications_rescore batch that SQLite can prefetch (see run())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000, help="applications to score (default 100000)")
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{DEFAULT_SQLITE}",
        help="sqlite:///PATH (file deleted first) or postgres://USER@HOST:PORT/NAME (database dropped and "
        "created, dropped again at the end); default sqlite:///" + str(DEFAULT_SQLITE),
    )
    parser.add_argument("--seed", type=int, default=20240601, help="numpy default_rng seed of the data")
    parser.add_argument("--single", type=int, default=200, help="applications timed one at a time (default 200)")
    parser.add_argument(
        "--rescore-batch",
        type=int,
        help="batch_size passed to applications_rescore (default: the service's own default; on SQLite a failure "
        f"of the default is reported and the run retried with {SQLITE_SAFE_BATCH})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="pairs of (ours warm, baseline) timed back to back (default 1); with more, the median of the pairs' "
        "ratios is reported too, since a shared host's speed drifts between phases minutes apart",
    )
    parser.add_argument(
        "--setup-only", action="store_true", help="build the data, keep the database and stop (for profiling)"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database (SQLite file or PG database)")
    parser.add_argument(
        "--profile",
        choices=PROFILE_PHASES,
        help="run that phase under cProfile (its figures are then inflated), dump stats to /tmp and print the top",
    )
    args = parser.parse_args(argv)
    if args.setup_only:
        args.keep_db = True
    if args.applications < 1:
        parser.error("--applications must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


# --- database lifecycle (before Django is set up) ------------------------------------------------


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql")


def sqlite_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise SystemExit(f"Unsupported database URL {url!r}: use sqlite:///PATH or postgres://…")
    path = parts.path
    if path.startswith("//"):  # sqlite:////abs/path
        path = path[1:]
    return Path(path)


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _pg_admin(url: str):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("The PostgreSQL URL needs a database name, e.g. postgres://postgres@127.0.0.1:5432/bench")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    return psycopg.connect(admin_url, autocommit=True), name


def pg_recreate(url: str) -> None:
    """A fresh database: dropped if a previous run left it behind (valuations must not exist), then created."""
    from psycopg import sql

    conn, name = _pg_admin(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def pg_drop(url: str) -> None:
    from psycopg import sql

    conn, name = _pg_admin(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def configure_environment(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongzhirong.settings.base"
    os.environ["DATABASE_URL"] = url
    # DEBUG on makes Django keep every query and render each huge INSERT for the log: not production.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


# --- helpers ---------------------------------------------------------------------------------------


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench_scoring: check failed: {message}")


def percentile_ms(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(np.asarray(values) * 1000.0, q)), 3)


@contextmanager
def maybe_profile(phase: str, wanted: str | None):
    if phase != wanted:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = TMP / f"bench_scoring_{phase}.prof"
        profiler.dump_stats(out)
        print(f"\n--- cProfile of phase {phase!r} (stats in {out}) ---")
        for key in ("tottime", "cumulative"):
            print(f"\n[top 30 by {key}]")
            pstats.Stats(profiler).strip_dirs().sort_stats(key).print_stats(30)


STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


def timed(fn, phase: str, profile: str | None):
    """Wall seconds of ``fn()`` and this process's CPU seconds (the database server's are not in them)."""
    progress(f"timing {phase}")
    gc.collect()
    with maybe_profile(phase, profile):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return result, elapsed, cpu


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


# --- data ------------------------------------------------------------------------------------------


def build_world(n: int, seed: int) -> dict:
    """N SMEs, each with one submitted application pledging 1-3 of its own assets (1.5 on average)."""
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from tongzhirong.accounts.models import Organisation, OrganisationKind
    from tongzhirong.assets.models import Award, CoOwner, IPAsset, LegalStatus, statutory_expiry
    from tongzhirong.core.identifiers import make_patent_number, make_uscc
    from tongzhirong.core.reference import CLUSTER_CHAINS, Cluster, District, IPType, RepaymentMethod
    from tongzhirong.enterprises.models import Enterprise
    from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus
    from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap

    rng = np.random.default_rng(seed)
    today = timezone.localdate()
    now = timezone.now()
    timings = {}

    def bulk(model, objs, label):
        start = time.perf_counter()
        model.objects.bulk_create(objs, batch_size=SETUP_BATCH)
        timings[label] = round(time.perf_counter() - start, 2)
        if objs and objs[0].pk is None:
            raise SystemExit(f"{model.__name__}: bulk_create returned no primary keys on this database")
        return objs

    with transaction.atomic():
        bank = Organisation.objects.create(kind=OrganisationKind.BANK, name="南通基准银行 Bench Bank")
        insurer = Organisation.objects.create(kind=OrganisationKind.INSURER, name="基准保险 Bench Insurer")
        guarantor = Organisation.objects.create(kind=OrganisationKind.GUARANTOR, name="基准担保 Bench Guarantor")
        product = LoanProduct.objects.create(
            bank=bank,
            name="知识产权质押贷 Bench",
            min_amount=Decimal("100000.00"),
            max_amount=Decimal("30000000.00"),
            min_term_months=6,
            max_term_months=36,
            min_rate=Decimal("0.035000"),
            max_rate=Decimal("0.065000"),
            repayment_methods=list(RepaymentMethod.values),
            appraisal_free_ceiling=Decimal("1000000.00"),
        )
        PledgeRateCap.objects.bulk_create(
            [
                PledgeRateCap(product=product, ip_type=t, max_pledge_rate=Decimal(r))
                for t, r in (
                    (IPType.INVENTION_PATENT, "0.5000"),
                    (IPType.UTILITY_MODEL, "0.4000"),
                    (IPType.DESIGN_PATENT, "0.3000"),
                    (IPType.TRADEMARK, "0.3000"),
                )
            ]
        )
        insurance = InsuranceProduct.objects.create(
            insurer=insurer,
            name="知识产权质押融资保证保险 Bench",
            premium_rate=Decimal("0.012000"),
            coverage_ratio=Decimal("0.7000"),
            coverage_cap=Decimal("5000000.00"),
        )
        guarantee = GuaranteeProduct.objects.create(
            guarantor=guarantor,
            name="知识产权融资担保 Bench",
            fee_rate=Decimal("0.010000"),
            coverage_ratio=Decimal("0.8000"),
        )

        # Enterprises: distributions close to scoring.ml.synthetic (the models' training world).
        districts = rng.choice(np.array(District.values, dtype=object), size=n)
        clusters = rng.choice(
            np.array(Cluster.values, dtype=object), size=n, p=[0.08, 0.17, 0.2, 0.15, 0.2, 0.12, 0.08]
        )
        age_days = (np.exp(rng.normal(np.log(7), 0.65, n)).clip(0.3, 40) * 365.25).astype(int)
        revenue = np.exp(rng.normal(np.log(25_000_000), 1.0, n)).clip(500_000, 5_000_000_000)
        debt = revenue * rng.gamma(2.0, 0.3, n)
        employees = (revenue / 400_000 * np.exp(rng.normal(0, 0.4, n))).clip(3, 20_000).astype(int)
        capital = revenue * rng.uniform(0.05, 0.6, n)
        overdue = rng.poisson(0.35, n)
        worst = np.where(overdue > 0, rng.choice([5, 15, 35, 65, 95], size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05]), 0)
        court = rng.random(n) < 0.03
        grades = rng.choice(
            np.array(["A", "B", "M", "C", "D", ""], dtype=object), size=n, p=[0.35, 0.35, 0.12, 0.08, 0.03, 0.07]
        )
        tech = rng.random(n)
        chain_pick = rng.random(n)
        certified = rng.random(n) < 0.2
        prior = rng.poisson(0.3, n)

        usccs = [make_uscc(i + 1, d if d.isdigit() else "320600") for i, d in enumerate(districts)]
        orgs = bulk(
            Organisation,
            [
                Organisation(kind=OrganisationKind.SME, name=f"南通基准科技有限公司 {i:07d}", uscc=usccs[i])
                for i in range(n)
            ],
            "organisations",
        )
        enterprises = []
        for i in range(n):
            chains = CLUSTER_CHAINS[clusters[i]]
            enterprises.append(
                Enterprise(
                    organisation_id=orgs[i].pk,
                    legal_name=orgs[i].name,
                    uscc=usccs[i],
                    district=districts[i],
                    cluster=clusters[i],
                    chain=chains[int(chain_pick[i] * len(chains))],
                    founded_on=today - dt.timedelta(days=int(age_days[i])),
                    registered_capital=money(capital[i]),
                    employees=int(employees[i]),
                    annual_revenue=money(revenue[i]),
                    is_high_tech=bool(tech[i] < 0.45),
                    is_tech_sme=bool(tech[i] < 0.6),
                    is_specialised=bool(tech[i] < 0.18),
                    is_little_giant=bool(tech[i] < 0.03),
                    is_ip_certified=bool(certified[i]),
                    existing_debt=money(debt[i]),
                    prior_ip_loans=int(prior[i]),
                    overdue_events_24m=int(overdue[i]),
                    max_days_past_due_24m=int(worst[i]),
                    has_court_enforcement=bool(court[i]),
                    tax_credit_grade=grades[i],
                )
            )
        bulk(Enterprise, enterprises, "enterprises")

        # Assets: 1-3 per application (mean 1.5); patents with valid numbers, trademarks with Nice classes.
        counts = rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1])
        m = int(counts.sum())
        owner_of = np.repeat(np.arange(n), counts)
        types = rng.choice(
            np.array(
                [IPType.INVENTION_PATENT, IPType.UTILITY_MODEL, IPType.DESIGN_PATENT, IPType.TRADEMARK], dtype=object
            ),
            size=m,
            p=[0.45, 0.25, 0.08, 0.22],
        )
        type_digit = {IPType.INVENTION_PATENT: "1", IPType.UTILITY_MODEL: "2", IPType.DESIGN_PATENT: "3"}
        max_age = {IPType.INVENTION_PATENT: 12.0, IPType.UTILITY_MODEL: 9.5, IPType.DESIGN_PATENT: 9.5}
        age_u = rng.random(m)
        grant_lag_u = rng.random(m)
        fee_u = rng.random(m)
        fee_days = rng.integers(1, 360, m)
        claims = rng.integers(1, 25, m)
        section_idx = rng.integers(0, 8, m)
        ipc_count = np.minimum(rng.geometric(0.5, m), 4)
        backward = rng.poisson(8, m)
        family = rng.geometric(0.55, m)
        family = np.where(rng.random(m) < 0.03, family + rng.integers(5, 30, m), family)
        overseas = np.where(family > 1, rng.binomial(np.maximum(family - 1, 0), 0.5), 0)
        licences = rng.poisson(0.25, m)
        licence_revenue = np.where(licences > 0, np.exp(rng.normal(np.log(150_000), 0.8, m)), 0.0)
        awarded = rng.random(m) < 0.02
        award_pick = rng.integers(0, 4, m)
        flags = rng.random((m, 3))
        nice_count = np.minimum(rng.geometric(0.45, m), 5)
        citation_rate = np.array([1.4, 0.8, 1.0, 0.6, 0.5, 0.9, 1.6, 1.8])
        awards = [a for a in Award.values if a]
        sections = "ABCDEFGH"

        assets = []
        for k in range(m):
            ip_type = types[k]
            patent = ip_type != IPType.TRADEMARK
            age = 0.5 + age_u[k] * (max_age.get(ip_type, 25.0) - 0.5) if patent else 1.6 + age_u[k] * 23.4
            filing = today - dt.timedelta(days=int(age * 365.25))
            values = {
                "owner_id": enterprises[owner_of[k]].pk,
                "ip_type": ip_type,
                "filing_date": filing,
                "licence_count": int(licences[k]),
                "licence_revenue": money(licence_revenue[k]),
                "invalidation_pending": bool(flags[k, 0] < 0.01),
                "ownership_dispute": bool(flags[k, 1] < 0.005),
                "court_preservation": bool(flags[k, 2] < 0.005),
            }
            if patent:
                lag = (1.2 + grant_lag_u[k] * 2.3) if ip_type == IPType.INVENTION_PATENT else 0.4 + grant_lag_u[k] * 0.6
                grant = filing + dt.timedelta(days=int(lag * 365.25))
                granted = grant <= today
                if not granted:
                    paid = None
                elif fee_u[k] < 0.03:  # annual fee overdue
                    paid = max(today - dt.timedelta(days=int(fee_days[k] % 90) + 1), filing)
                else:
                    paid = today + dt.timedelta(days=int(fee_days[k]))
                section = sections[section_idx[k]]
                mean_cit = citation_rate[section_idx[k]] * np.sqrt(age) * 1.2
                values.update(
                    identifier=make_patent_number(k + 1, year=filing.year, type_digit=type_digit[ip_type]),
                    title=f"一种{('纺织', '船舶', '电子', '材料')[k % 4]}装置及其方法 {k}",
                    grant_date=grant if granted else None,
                    expiry_date=statutory_expiry(ip_type, filing),
                    legal_status=LegalStatus.VALID if granted else LegalStatus.PENDING,
                    annual_fee_paid_through=paid,
                    ipc_classes=[
                        f"{section}{(k + j * 7) % 98 + 1:02d}{'ABCDFGHJKLMN'[(k + j) % 12]} {(k % 60) + 1}/{j * 2:02d}"
                        for j in range(int(ipc_count[k]))
                    ],
                    claims_count=int(claims[k]),
                    forward_citations=int(rng.negative_binomial(0.6, 0.6 / (0.6 + mean_cit))),
                    backward_citations=int(backward[k]),
                    family_size=int(family[k]),
                    overseas_family_members=int(overseas[k]),
                    award=awards[award_pick[k]] if awarded[k] else "",
                )
            else:
                registered = filing + dt.timedelta(days=int((0.8 + grant_lag_u[k] * 0.7) * 365.25))
                renewals = max((today - registered).days, 0) // 3653
                values.update(
                    identifier=str(20_000_000 + k),
                    title=f"商标 BENCH{k}",
                    grant_date=registered,
                    expiry_date=add_years(registered, 10 * (renewals + 1)),
                    legal_status=LegalStatus.VALID,
                    nice_classes=sorted(int(c) + 1 for c in rng.choice(45, int(nice_count[k]), replace=False)),
                    renewals=int(renewals),
                )
            assets.append(IPAsset(**values))
        bulk(IPAsset, assets, "ip_assets")

        co_owned = np.flatnonzero(rng.random(m) < 0.05)
        consent = rng.random(len(co_owned)) < 0.8
        bulk(
            CoOwner,
            [
                CoOwner(
                    asset_id=assets[k].pk,
                    name=f"共有人 {k}",
                    share_percent=Decimal("30.00"),
                    consent_given=bool(c),
                    consent_recorded_at=now if c else None,
                )
                for k, c in zip(co_owned, consent, strict=True)
            ],
            "co_owners",
        )

        # Applications: amount = pledge rate × a rough appraisal of the pledged assets.
        base_value = {
            IPType.INVENTION_PATENT: 1_800_000,
            IPType.UTILITY_MODEL: 450_000,
            IPType.DESIGN_PATENT: 250_000,
            IPType.TRADEMARK: 900_000,
        }
        appraisal = np.array([base_value[t] for t in types]) * np.exp(rng.normal(0, 0.6, m))
        collateral = np.bincount(owner_of, weights=appraisal, minlength=n)
        amount = (collateral * rng.uniform(0.15, 0.6, n)).clip(100_000, 30_000_000)
        amount = np.round(amount / 10_000) * 10_000
        terms = rng.choice([6, 12, 24, 36], size=n, p=[0.15, 0.45, 0.25, 0.15])
        methods = rng.choice(np.array(RepaymentMethod.values, dtype=object), size=n)
        cover = rng.random(n)
        submitted = rng.uniform(0, 30 * 86400, n)
        applications = bulk(
            Application,
            [
                Application(
                    reference=f"BENCH{i:09d}",
                    enterprise_id=enterprises[i].pk,
                    product_id=product.pk,
                    status=ApplicationStatus.SUBMITTED,
                    requested_amount=money(amount[i]),
                    requested_term_months=int(terms[i]),
                    repayment_method=methods[i],
                    purpose="研发投入与流动资金 R&D and working capital",
                    submitted_at=now - dt.timedelta(seconds=float(submitted[i])),
                    insurance_product_id=insurance.pk if cover[i] < 0.25 else None,
                    guarantee_product_id=guarantee.pk if 0.25 <= cover[i] < 0.4 else None,
                )
                for i in range(n)
            ],
            "applications",
        )
        bulk(
            ApplicationAsset,
            [ApplicationAsset(application_id=applications[owner_of[k]].pk, asset_id=assets[k].pk) for k in range(m)],
            "application_assets",
        )
    return {
        "ids": sorted(a.pk for a in applications),
        "assets": m,
        "co_owners": len(co_owned),
        "asset_types": {t: int((types == t).sum()) for t in base_value},
        "insert_s": timings,
    }


# --- measurements ----------------------------------------------------------------------------------


def service_batch_size() -> int:
    import inspect

    from scoring.services import applications_rescore

    return inspect.signature(applications_rescore).parameters["batch_size"].default


def ours(ids: list[int], batch_size: int | None) -> int:
    """The service as the nightly task calls it (its default batch size) unless a batch size is forced."""
    from scoring.services import applications_rescore

    if batch_size is None:
        return applications_rescore(application_ids=ids)
    return applications_rescore(application_ids=ids, batch_size=batch_size)


def baseline_with_load(ids: list[int], batch_size: int, stored: list[tuple], frame, version, model) -> list:
    """Extra information, not the issue's baseline: the baseline plus reading the rows our path reads
    (``_pledged_columns``: the same ``values()`` queries per batch), as a bare script would have to."""
    from scoring import services

    for start in range(0, len(ids), batch_size):
        services._pledged_columns(ids[start : start + batch_size])
    return baseline(stored, frame, version, model)


def baseline(stored: list[tuple], frame, version, model, *, writer: str = "bulk_create") -> int:
    """The bare path: calibrated predict_proba on the feature frame, then ``bulk_create`` of the score rows
    without reasons (the issue's baseline). ``writer="insert_new_rows"`` writes the same rows with our
    service's writer instead (extra information: how much of our ratio is the writer)."""
    from django.db import transaction

    from scoring.ml.metrics import band_of
    from scoring.models import ApplicationScore
    from scoring.services import SCORE_FIELDS, _batch_constants
    from tongzhirong.core.bulk import insert_new_rows

    pd_values = model.predict_pd(frame)
    points = model.points(pd_values)
    scored = zip(stored, pd_values, points, strict=True)
    if writer == "insert_new_rows":
        rows = [
            (
                app_id,
                digest,
                inputs,
                Decimal(str(round(float(p), 6))),
                Decimal(str(float(pt))),
                band_of(float(p)),
                [],
                [],
            )
            for (app_id, digest, inputs, _), p, pt in scored
        ]
        return insert_new_rows(ApplicationScore, SCORE_FIELDS, rows, constants=_batch_constants(version))
    scores = [  # as the baseline has always been written
        ApplicationScore(
            application_id=app_id,
            model_version=version,
            input_hash=digest,
            inputs=inputs,
            pd=Decimal(str(round(float(p), 6))),
            points=Decimal(str(float(pt))),
            band=band_of(float(p)),
            reasons=[],
            improvements=[],
        )
        for (app_id, digest, inputs, _), p, pt in scored
    ]
    with transaction.atomic():
        ApplicationScore.objects.bulk_create(scores, batch_size=INSERT_BATCH)
    return len(scores)


def cold_baseline(valued: list[tuple], asset_frame, value_version, value_model, stored, frame, version, model) -> int:
    """The bare path for the rows a cold run writes: the value model's ``predict`` on the stored asset
    inputs + ``bulk_create`` of the valuation rows without flags or sub-scores (as the score baseline
    writes no reasons), then the issue's baseline for the score rows."""
    from django.db import transaction

    from scoring.models import AssetValuation

    predicted = value_model.predict(asset_frame)
    valuations = [
        AssetValuation(
            asset_id=asset_id,
            model_version=value_version,
            input_hash=digest,
            inputs=inputs,
            p10=money(p10),
            p50=money(p50),
            p90=money(p90),
            realisable=money(realisable),
            high_value_flags=[],
            sub_scores={},
        )
        for (asset_id, digest, inputs), p10, p50, p90, realisable in zip(
            valued,
            predicted["p10"].tolist(),
            predicted["p50"].tolist(),
            predicted["p90"].tolist(),
            predicted["realisable"].tolist(),
            strict=True,
        )
    ]
    with transaction.atomic():
        AssetValuation.objects.bulk_create(valuations, batch_size=INSERT_BATCH)
    return baseline(stored, frame, version, model)


def phase_figures(n: int, seconds: float, cpu: float, base_s: float, base_cpu: float) -> dict[str, float]:
    """One timed phase of ours against the baseline: seconds, rows/s, ratio, CPU seconds and CPU ratio."""
    return {
        "ours_s": round(seconds, 3),
        "ours_rows_s": rate(n, seconds),
        "ratio": round(seconds / base_s, 2),
        "ours_cpu_s": round(cpu, 3),
        "cpu_ratio": round(cpu / base_cpu, 2),
    }


def rate(rows: int, seconds: float) -> float:
    return round(rows / seconds, 1) if seconds > 0 else float("inf")


def run(args: argparse.Namespace) -> dict | None:
    import django

    setup_start = time.perf_counter()
    load_before = os.getloadavg()
    progress("django.setup()")
    django.setup()
    django_setup_s = time.perf_counter() - setup_start
    from django.core.management import call_command
    from django.db import OperationalError, connection

    progress("migrate")
    start = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - start

    import numpy as np
    import pandas as pd
    import sklearn
    from django.test.utils import CaptureQueriesContext
    from threadpoolctl import threadpool_info

    from scoring import registry
    from scoring.models import ApplicationScore, AssetValuation
    from scoring.services import RISK_MODEL, VALUE_MODEL, application_score
    from tongzhirong.financing.models import Application

    n = args.applications
    progress(f"building {n} applications with bulk_create")
    start = time.perf_counter()
    world = build_world(n, args.seed)
    build_s = time.perf_counter() - start
    ids = world["ids"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after the bulk load, as autovacuum would give
    start = time.perf_counter()
    risk_version, risk_model = registry.get_model(RISK_MODEL)
    registry.get_model(VALUE_MODEL)
    load_s = time.perf_counter() - start
    setup_s = time.perf_counter() - setup_start

    if args.setup_only:
        progress(f"setup done in {setup_s:.1f} s; database kept: {connection.settings_dict['NAME']}")
        return None
    if AssetValuation.objects.exists() or ApplicationScore.objects.exists():
        raise SystemExit("The database is not fresh: valuations or scores exist before the cold run.")

    # a. ours, cold (valuations computed and written) then warm (valuations reused).
    batch = args.rescore_batch
    default_batch_error = None
    try:
        written, cold_s, cold_cpu = timed(lambda: ours(ids, batch), "cold", args.profile)
    except OperationalError as exc:
        # Django 5.2 prefetches a forward FK (assets__owner) with TupleIn, which SQLite gets as an OR
        # chain: 999 or more distinct owners in one batch exceed SQLite's expression depth of 1000.
        if batch is not None or "Expression tree is too large" not in str(exc):
            raise
        default_batch_error = f"batch_size={service_batch_size()}: {exc}"
        check(not AssetValuation.objects.exists(), "the failed cold run must not have written valuations")
        batch = SQLITE_SAFE_BATCH
        progress(f"applications_rescore failed with its default batch size ({exc}); retrying with {batch}")
        written, cold_s, cold_cpu = timed(lambda: ours(ids, batch), "cold", args.profile)
    valuations = AssetValuation.objects.count()
    check(written == n, f"cold run wrote {written} scores, expected {n}")
    check(valuations == world["assets"], f"cold run wrote {valuations} valuations for {world['assets']} assets")
    stored = list(
        ApplicationScore.objects.filter(model_version=risk_version)
        .order_by("application_id")
        .values_list("application_id", "input_hash", "inputs", "pd")
    )
    check(len(stored) == n, f"{len(stored)} stored scores, expected {n}")
    frame = pd.DataFrame([inputs for _, _, inputs, _ in stored])
    # Scores are stored with compact reasons: read back, they must show what explain() gives.
    shown = list(
        ApplicationScore.objects.filter(model_version=risk_version)
        .order_by("application_id")
        .values_list("reasons", "improvements")[:200]
    )
    expected = risk_model.explain(frame.iloc[: len(shown)])
    check(
        all((r, i) == (e["reasons"], e["improvements"]) for (r, i), e in zip(shown, expected, strict=True)),
        "stored reasons and improvements, read back, must equal model.explain of the stored inputs",
    )
    valued = list(AssetValuation.objects.order_by("asset_id").values_list("asset_id", "input_hash", "inputs"))
    asset_frame = pd.DataFrame([inputs for _, _, inputs in valued])
    ApplicationScore.objects.all().delete()

    written, warm_s, warm_cpu = timed(lambda: ours(ids, batch), "warm", args.profile)
    check(written == n, f"warm run wrote {written} scores, expected {n}")
    check(AssetValuation.objects.count() == valuations, "the warm run must reuse the valuations, not add any")
    # A night within the month: nothing changed, so nothing is recomputed or written.
    written, same_s, same_cpu = timed(lambda: ours(ids, batch), "unchanged", args.profile)
    check(written == 0, f"the run on unchanged inputs wrote {written} scores, expected none")
    check(ApplicationScore.objects.count() == n, "the run on unchanged inputs must leave the scores as they were")
    ApplicationScore.objects.all().delete()

    check(AssetValuation.objects.count() == valuations, "valuations must be back in place for the baseline")

    # b. baseline on the stored inputs.
    _, base_s, base_cpu = timed(lambda: baseline(stored, frame, risk_version, risk_model), "baseline", args.profile)
    check(ApplicationScore.objects.count() == n, "baseline must write one score per application")
    same_pd = list(ApplicationScore.objects.order_by("application_id").values_list("pd", flat=True)) == [
        s[3] for s in stored
    ]
    ApplicationScore.objects.all().delete()
    # More (ours warm, baseline) pairs back to back: the host's speed drifts between phases.
    pairs = [(warm_s, base_s)]
    for _ in range(args.repeat - 1):
        _, pair_warm_s, _ = timed(lambda: ours(ids, batch), "warm (pair)", None)
        ApplicationScore.objects.all().delete()
        _, pair_base_s, _ = timed(lambda: baseline(stored, frame, risk_version, risk_model), "baseline (pair)", None)
        ApplicationScore.objects.all().delete()
        pairs.append((pair_warm_s, pair_base_s))
    # b'. the cold run against the bare path writing the same rows (valuations and scores), in pairs.
    value_version, value_model = registry.get_model(VALUE_MODEL)
    cold_pairs = []
    for _ in range(args.repeat):
        AssetValuation.objects.all().delete()
        _, pair_cold_s, _ = timed(lambda: ours(ids, batch), "cold (pair)", None)
        check(AssetValuation.objects.count() == valuations, "the cold pair must write every valuation")
        AssetValuation.objects.all().delete()
        ApplicationScore.objects.all().delete()
        _, cold_base_s, _ = timed(
            lambda: cold_baseline(
                valued, asset_frame, value_version, value_model, stored, frame, risk_version, risk_model
            ),
            "cold baseline (pair)",
            None,
        )
        check(AssetValuation.objects.count() == valuations, "the cold baseline must write every valuation")
        ApplicationScore.objects.all().delete()
        cold_pairs.append((pair_cold_s, cold_base_s))
    # The bare path's valuations stand in for ours (the same figures; no flags or sub-scores) until the
    # single phase, which reads only P50s; put ours back so the rest measures what it always did.
    AssetValuation.objects.all().delete()
    ours(ids, batch)
    ApplicationScore.objects.all().delete()
    # b''. extra information: the same bare path writing with our service's writer.
    _, writer_base_s, writer_base_cpu = timed(
        lambda: baseline(stored, frame, risk_version, risk_model, writer="insert_new_rows"),
        "baseline with insert_new_rows",
        None,
    )
    check(ApplicationScore.objects.count() == n, "baseline with insert_new_rows must write one score per application")
    ApplicationScore.objects.all().delete()
    # b'. extra information: the baseline plus reading the same rows as our path (not the issue's baseline).
    _, loaded_base_s, _ = timed(
        lambda: baseline_with_load(ids, batch or service_batch_size(), stored, frame, risk_version, risk_model),
        "baseline + values() load",
        None,
    )

    # d. one application at a time through the full service.
    rng = np.random.default_rng(args.seed + 1)
    k = min(args.single, n)
    positions = rng.choice(n, size=k, replace=False)
    sample = [ids[i] for i in positions]
    apps = Application.objects.in_bulk(sample)
    progress(f"timing {k} single application_score calls")
    single, single_sql, single_commit = [], [], []
    spent = {"sql": 0.0, "commit": 0.0}

    def sql_timer(execute, *args):
        start = time.perf_counter()
        try:
            return execute(*args)
        finally:
            spent["sql"] += time.perf_counter() - start

    # The COMMIT is not a cursor.execute: time the connection's own commit (on SQLite, the fsync of the
    # journal and the database file; on PostgreSQL, the server's WAL flush).
    plain_commit = connection._commit

    def timed_commit():
        start = time.perf_counter()
        try:
            return plain_commit()
        finally:
            spent["commit"] += time.perf_counter() - start

    with maybe_profile("single", args.profile):
        for pk in sample:
            ApplicationScore.objects.filter(application_id=pk).delete()
            gc.collect()
            spent.update(sql=0.0, commit=0.0)
            connection._commit = timed_commit
            with connection.execute_wrapper(sql_timer):
                start = time.perf_counter()
                application_score(application=apps[pk])
                single.append(time.perf_counter() - start)
            connection._commit = plain_commit
            single_sql.append(spent["sql"])
            single_commit.append(spent["commit"])
    ApplicationScore.objects.filter(application_id=sample[0]).delete()
    with CaptureQueriesContext(connection) as queries:
        application_score(application=apps[sample[0]])
    single_queries = len(queries.captured_queries)

    explain_times, explain_frame_times, predict_times = [], [], []
    one_rows = [frame.iloc[[i]] for i in positions]
    for one in one_rows:
        row = [{k: (None if isinstance(v, float) and v != v else v) for k, v in one.iloc[0].to_dict().items()}]
        start = time.perf_counter()
        risk_model.explain(row)  # what application_score calls: a list of one feature dict
        explain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        risk_model.explain(one)
        explain_frame_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        risk_model.predict_pd(one)
        predict_times.append(time.perf_counter() - start)

    with connection.cursor() as cursor:
        cursor.execute("select version()" if connection.vendor == "postgresql" else "select sqlite_version()")
        db_version = cursor.fetchone()[0]
    return {
        "applications": n,
        "assets": world["assets"],
        "assets_per_application": round(world["assets"] / n, 3),
        "co_owners": world["co_owners"],
        "asset_types": world["asset_types"],
        "database": connection.vendor,
        "database_version": db_version.split(" on ")[0],
        "rescore_batch_size": batch or service_batch_size(),
        "default_batch_error": default_batch_error,
        "risk_model": f"{risk_version.name} {risk_version.version} ({risk_version.kind})",
        "threads": 1,
        "target_ratio": TARGET_RATIO,
        "setup_s": {
            "total": round(setup_s, 2),
            "django_setup": round(django_setup_s, 2),
            "migrate": round(migrate_s, 2),
            "build_data": round(build_s, 2),
            "model_load": round(load_s, 2),
            "bulk_insert": world["insert_s"],
        },
        "cold": phase_figures(n, cold_s, cold_cpu, base_s, base_cpu),
        "warm": phase_figures(n, warm_s, warm_cpu, base_s, base_cpu),
        "unchanged": phase_figures(n, same_s, same_cpu, base_s, base_cpu),
        "baseline": {
            "s": round(base_s, 3),
            "rows_s": rate(n, base_s),
            "cpu_s": round(base_cpu, 3),
            "same_pd_as_ours": same_pd,
        },
        "warm_pairs": {
            "seconds": [[round(w, 3), round(b, 3)] for w, b in pairs],
            "ratios": [round(w / b, 2) for w, b in pairs],
            "median_ratio": round(statistics.median(w / b for w, b in pairs), 2),
        },
        "cold_pairs": {
            "seconds": [[round(c, 3), round(b, 3)] for c, b in cold_pairs],
            "ratios": [round(c / b, 2) for c, b in cold_pairs],
            "median_ratio": round(statistics.median(c / b for c, b in cold_pairs), 2),
        },
        "baseline_with_our_writer": {
            "s": round(writer_base_s, 3),
            "cpu_s": round(writer_base_cpu, 3),
            "cold_ratio": round(cold_s / writer_base_s, 2),
            "warm_ratio": round(warm_s / writer_base_s, 2),
        },
        "baseline_with_load": {
            "s": round(loaded_base_s, 3),
            "rows_s": rate(n, loaded_base_s),
            "cold_ratio": round(cold_s / loaded_base_s, 2),
            "warm_ratio": round(warm_s / loaded_base_s, 2),
        },
        "single": {
            "samples": k,
            "application_score_p50_ms": percentile_ms(single, 50),
            "application_score_p95_ms": percentile_ms(single, 95),
            "queries_per_application_score": single_queries,
            "sql_execute_p50_ms": percentile_ms(single_sql, 50),
            "commit_p50_ms": percentile_ms(single_commit, 50),
            "commit_p95_ms": percentile_ms(single_commit, 95),
            "without_commit_p50_ms": percentile_ms([t - c for t, c in zip(single, single_commit, strict=True)], 50),
            "explain_one_row_p50_ms": percentile_ms(explain_times, 50),
            "explain_one_row_p95_ms": percentile_ms(explain_times, 95),
            "explain_one_row_frame_p50_ms": percentile_ms(explain_frame_times, 50),
            "predict_pd_one_row_p50_ms": percentile_ms(predict_times, 50),
        },
        "profiled_phase": args.profile,
        "versions": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "threadpools": sorted({f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()}),
        "cpus": os.cpu_count(),
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def report(r: dict, total_s: float) -> None:
    n = r["applications"]
    cold, warm, same, base, single = r["cold"], r["warm"], r["unchanged"], r["baseline"], r["single"]
    lines = [
        "",
        "=" * 78,
        f"bench_scoring: {n} applications, {r['assets']} assets ({r['assets_per_application']}/application), "
        f"{r['database']} {r['database_version']}",
        f"model: {r['risk_model']}; 1 thread (threadpoolctl.threadpool_limits(1): {', '.join(r['threadpools'])});"
        " DEBUG off",
        "-" * 78,
        f"setup (not measured): {r['setup_s']['total']:.1f} s  = django.setup {r['setup_s']['django_setup']:.1f} s"
        f" + migrate {r['setup_s']['migrate']:.1f} s"
        f" + data {r['setup_s']['build_data']:.1f} s + model load {r['setup_s']['model_load']:.1f} s",
        f"  bulk inserts: {r['setup_s']['bulk_insert']}",
        "-" * 78,
        f"applications_rescore batch_size {r['rescore_batch_size']}; baseline bulk_create batch_size {INSERT_BATCH}",
        *([f"  !! service default FAILED: {r['default_batch_error']}"] if r["default_batch_error"] else []),
        f"{'path':<42}{'wall s':>9}{'rows/s':>10}{'× base':>8}{'cpu s':>9}{'× base':>8}",
        f"{'ours cold (valuations written + scores)':<42}{cold['ours_s']:>9.2f}{cold['ours_rows_s']:>10.0f}"
        f"{cold['ratio']:>8.2f}{cold['ours_cpu_s']:>9.2f}{cold['cpu_ratio']:>8.2f}",
        f"{'ours warm (valuations reused)':<42}{warm['ours_s']:>9.2f}{warm['ours_rows_s']:>10.0f}"
        f"{warm['ratio']:>8.2f}{warm['ours_cpu_s']:>9.2f}{warm['cpu_ratio']:>8.2f}",
        f"{'ours, nothing changed (nothing written)':<42}{same['ours_s']:>9.2f}{same['ours_rows_s']:>10.0f}"
        f"{same['ratio']:>8.2f}{same['ours_cpu_s']:>9.2f}{same['cpu_ratio']:>8.2f}",
        f"{'baseline (predict_pd + bulk_create)':<42}{base['s']:>9.2f}{base['rows_s']:>10.0f}{1:>8.2f}"
        f"{base['cpu_s']:>9.2f}{1:>8.2f}",
        "  (cpu s: this process only; the PostgreSQL server's work is in wall s)",
        f"  within {TARGET_RATIO} × baseline: cold {'yes' if cold['ratio'] <= TARGET_RATIO else 'NO'}, "
        f"warm {'yes' if warm['ratio'] <= TARGET_RATIO else 'NO'}",
        f"  baseline PDs identical to ours: {base['same_pd_as_ours']}",
        f"extra, not the target: baseline + the same values() load as ours {r['baseline_with_load']['s']:.2f} s;"
        f" cold × {r['baseline_with_load']['cold_ratio']:.2f}, warm × {r['baseline_with_load']['warm_ratio']:.2f}",
        *(
            [
                f"warm × baseline over {len(r['warm_pairs']['ratios'])} back-to-back pairs: "
                f"{', '.join(f'{x:.2f}' for x in r['warm_pairs']['ratios'])}; median "
                f"{r['warm_pairs']['median_ratio']:.2f}"
            ]
            if len(r["warm_pairs"]["ratios"]) > 1
            else []
        ),
        "cold × the bare path writing the same rows (value predict + bulk_create of valuations, then the "
        f"baseline) over {len(r['cold_pairs']['ratios'])} back-to-back pair(s): "
        f"{', '.join(f'{c:.2f} s / {b:.2f} s' for c, b in r['cold_pairs']['seconds'])}; ratios "
        f"{', '.join(f'{x:.2f}' for x in r['cold_pairs']['ratios'])}; median {r['cold_pairs']['median_ratio']:.2f}",
        f"extra, not the target: baseline writing with insert_new_rows {r['baseline_with_our_writer']['s']:.2f} s;"
        f" cold × {r['baseline_with_our_writer']['cold_ratio']:.2f},"
        f" warm × {r['baseline_with_our_writer']['warm_ratio']:.2f}",
    ]
    lines += [
        "-" * 78,
        f"single application_score over {single['samples']}: p50 {single['application_score_p50_ms']:.1f} ms, "
        f"p95 {single['application_score_p95_ms']:.1f} ms, {single['queries_per_application_score']} queries",
        f"  of which: cursor.execute p50 {single['sql_execute_p50_ms']:.1f} ms; COMMIT p50 "
        f"{single['commit_p50_ms']:.1f} ms, p95 {single['commit_p95_ms']:.1f} ms; the call without its COMMIT p50 "
        f"{single['without_commit_p50_ms']:.1f} ms",
        f"model.explain one row (a dict, as application_score): p50 {single['explain_one_row_p50_ms']:.2f} ms, "
        f"p95 {single['explain_one_row_p95_ms']:.2f} ms; as a one-row frame p50 "
        f"{single['explain_one_row_frame_p50_ms']:.2f} ms; predict_pd one-row frame p50 "
        f"{single['predict_pd_one_row_p50_ms']:.2f} ms",
        f"total wall time {total_s:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB, {r['cpus']} CPUs, "
        f"load average 1 min {r['load_average_1m']['start']} → {r['load_average_1m']['end']}",
    ]
    if r["profiled_phase"]:
        lines.append(f"NOTE: phase {r['profiled_phase']!r} ran under cProfile; its figures are inflated.")
    lines.append("=" * 78)
    print("\n".join(lines))
    print(json.dumps({**r, "total_s": round(total_s, 1)}, ensure_ascii=False, sort_keys=True))


def fresh_database(url: str) -> None:
    """Drop what a previous run left behind: the PostgreSQL database is recreated, the SQLite file removed."""
    if is_postgres(url):
        pg_recreate(url)
    else:
        remove_sqlite(sqlite_path(url))


def run_measured(args: argparse.Namespace, run, report) -> int:
    """Run the bench with one thread per numeric library, report it, close the connections and (unless
    ``--keep-db``) drop the database. Django must be configured (``configure_environment``) before."""
    # threadpoolctl limits the pools of libraries already loaded when the limit is entered: load
    # numpy's BLAS and scikit-learn's OpenMP runtime first, or the value model predicts with every core.
    import numpy  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    try:
        with threadpool_limits(limits=1):
            result = run(args)
        if result is not None:
            report(result, time.perf_counter() - started)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            if is_postgres(args.database_url):
                pg_drop(args.database_url)
            else:
                remove_sqlite(sqlite_path(args.database_url))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fresh_database(args.database_url)
    configure_environment(args.database_url)
    return run_measured(args, run, report)


if __name__ == "__main__":
    sys.exit(main())
