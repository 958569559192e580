#!/usr/bin/env python
"""Benchmark of the bank's review queue against the equivalent hand-written SQL (issue 5).

    .venv/bin/python bench/bench_queue.py [--applications 100000] [--repeat 15] [--database-url URL]

On a fresh database (SQLite file under /tmp by default, or a PostgreSQL database it creates and drops)
it builds N applications of five banks with bulk_create (every status, their status history, one or two
scores per submitted application), then times, for several filter and ordering combinations and for
page sizes 50 and 200 (the maximum), as seen by an officer of the bank that owns a fifth of them:

- endpoint:  ``GET /api/v1/applications/?...`` through the whole Django + DRF stack (``APIClient`` with
             ``force_authenticate``), i.e. count, page, prefetch, serializer and JSON rendering;
- selector:  what the endpoint asks of the selectors: the page's ids and the count from
             ``application_queue(...)`` through the API's paginator (which counts only a full first page),
             then ``application_queue_page(...)`` (rows and pledged assets);
- its SQL:   the endpoint's own statements as Django logged them, run bare (so that the ORM's and DRF's
             shares show);
- hand SQL:  the same page (same ids in the same order, same count, same pledged assets) with hand-written
             SQL for this backend, run with ``cursor.execute`` through the same connection.

The script checks that the hand-written SQL and the selector return the endpoint's ids, count, bands, SLA
flags and pledged assets.
Everything runs in one thread (``threadpoolctl.threadpool_limits(1)``) with DEBUG off. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from bench_scoring import (
    TMP,
    configure_environment,
    fresh_database,
    money,
    progress,
    run_measured,
)

DEFAULT_SQLITE = TMP / "bench_queue.sqlite3"
SETUP_BATCH = 2000
TARGET_RATIO = 3.0  # endpoint against the hand-written SQL, the target of issue 5
PAGE_SIZES = (50, 200)  # the page an officer asks for, and api.pagination.DefaultPagination.max_page_size
ENTERPRISES = 5000
BANKS = 5  # the officer's bank owns 1/BANKS of the applications
OUR_BANK = 0
SCORE_MODEL = "bench-pledge-risk"

# What an officer opens, as query strings of the list endpoint (page_size is added per run).
CASES: list[tuple[str, list[tuple[str, str]]]] = [
    ("default order (-created_at)", []),
    ("under_review, by -pd", [("status", "under_review"), ("ordering", "-pd")]),
    ("under_review, band D/E, by -pd", [("status", "under_review"), ("band", "D"), ("band", "E"), ("ordering", "-pd")]),
    ("sla_breached=true", [("sla_breached", "true")]),
    ("district + min_amount", [("district", "320612"), ("min_amount", "3000000")]),
    ("by stage_entered_at", [("ordering", "stage_entered_at")]),
    (
        "open, ≥3 days in stage, by it",
        [
            ("status", "submitted"),
            ("status", "under_review"),
            ("status", "info_requested"),
            ("min_days_in_stage", "3"),
            ("ordering", "stage_entered_at"),
        ],
    ),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000, help="applications of all banks (100000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed rounds per case (paths interleaved); median kept")
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{DEFAULT_SQLITE}",
        help="sqlite:///PATH (file deleted first) or postgres://USER@HOST:PORT/NAME (database dropped and "
        "created, dropped again at the end); default sqlite:///" + str(DEFAULT_SQLITE),
    )
    parser.add_argument("--seed", type=int, default=20261125, help="numpy default_rng seed of the data")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (SQLite file or PG database)")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="use the database a --keep-db run left (migrated again, not rebuilt); implies --keep-db",
    )
    parser.add_argument("--explain", action="store_true", help="print the query plans of the endpoint and hand SQL")
    parser.add_argument("--only", help="run only the cases whose label contains this text")
    args = parser.parse_args(argv)
    if args.reuse_db:
        args.keep_db = True
    if args.applications < BANKS or args.repeat < 1:
        parser.error(f"--applications must be at least {BANKS} and --repeat at least 1")
    return args


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench_queue: check failed: {message}")


@contextmanager
def explicit_timestamps(*models):
    """Let bulk_create keep the created_at/updated_at we set: auto_now(_add) would stamp them all 'now'."""
    fields = [
        f
        for m in models
        for f in m._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


# --- data ------------------------------------------------------------------------------------------

# How an application ends, and the mean days before each move (IP pledge loans take weeks: a review,
# sometimes a request for documents, CNIPA's pledge registration). Applications arrive evenly over two
# years and move on until today, so the recent ones are open and the old ones closed.
OUTCOME_MIX = {"disbursed": 0.45, "rejected": 0.25, "withdrawn": 0.15, "expired": 0.10, "draft": 0.05}
MEAN_DAYS_BEFORE = {
    "submitted": 2,
    "under_review": 3,
    "info_requested": 4,
    "approved": 6,
    "offer_accepted": 4,
    "pledge_registration": 5,
    "registered": 12,
    "disbursed": 4,
    "rejected": 6,
    "withdrawn": 10,
    "expired": 30,
}
HISTORY_DAYS = 730


def status_path(outcome: str, loops: int, variant: float) -> list[str]:
    """The statuses an application goes through after draft to end in ``outcome`` (the state machine's moves)."""
    review = ["submitted", "under_review", *(["info_requested", "under_review"] * loops)]
    approved = [*review, "approved"]
    registration = [*approved, "offer_accepted", "pledge_registration"]
    if outcome == "draft":  # never submitted
        return []
    if outcome == "disbursed":
        return [*registration, "registered", "disbursed"]
    if outcome == "rejected":
        return [*registration, "rejected"] if variant < 0.1 else [*review, "rejected"]
    if outcome == "withdrawn":
        for limit, before in ((0.3, []), (0.6, ["submitted"]), (0.9, review)):
            if variant < limit:
                return [*before, "withdrawn"]
        return [*approved, "withdrawn"]
    if outcome == "expired":
        if variant < 0.4:
            return ["submitted", "expired"]
        return [*review, "info_requested", "expired"] if variant < 0.7 else [*approved, "expired"]
    raise ValueError(outcome)


def build_world(n: int, seed: int, now: dt.datetime) -> dict:
    """Five banks with 1-3 products each, 5,000 SMEs with 2-6 assets each, N applications over two years."""
    import numpy as np
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from scoring.ml.metrics import band_of
    from scoring.models import ApplicationScore, ModelVersion
    from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
    from tongzhirong.assets.models import IPAsset, statutory_expiry
    from tongzhirong.core.identifiers import make_patent_number, make_uscc
    from tongzhirong.core.models import StatusChange
    from tongzhirong.core.reference import CLUSTER_CHAINS, Cluster, District, IPType, RepaymentMethod
    from tongzhirong.enterprises.models import Enterprise
    from tongzhirong.financing.models import Application, ApplicationAsset, Loan
    from tongzhirong.products.models import LoanProduct

    rng = np.random.default_rng(seed)
    today = now.date()
    timings: dict[str, float] = {}

    def bulk(model, objs, label):
        start = time.perf_counter()
        model.objects.bulk_create(objs, batch_size=SETUP_BATCH)
        timings[label] = round(time.perf_counter() - start, 2)
        if objs and objs[0].pk is None:
            raise SystemExit(f"{model.__name__}: bulk_create returned no primary keys on this database")
        return objs

    with transaction.atomic(), explicit_timestamps(Application, StatusChange, ApplicationScore):
        banks = [
            Organisation.objects.create(kind=OrganisationKind.BANK, name=f"基准银行 {b} Bench Bank {b}")
            for b in range(BANKS)
        ]
        officer = User(username="bench_officer", organisation=banks[OUR_BANK], role=Role.BANK_OFFICER)
        officer.set_unusable_password()
        officer.save()
        products = []
        for b, bank in enumerate(banks):
            for k in range((1, 3, 2, 1, 2)[b % 5]):
                products.append(
                    LoanProduct.objects.create(
                        bank=bank,
                        name=f"知识产权质押贷 {k} Bench",
                        min_amount=Decimal("100000.00"),
                        max_amount=Decimal("30000000.00"),
                        min_term_months=6,
                        max_term_months=36,
                        min_rate=Decimal("0.035000"),
                        max_rate=Decimal("0.065000"),
                        repayment_methods=list(RepaymentMethod.values),
                        appraisal_free_ceiling=Decimal("1000000.00"),
                    )
                )
        # Each bank gets 1/BANKS of the applications, spread evenly over its products.
        product_weights = np.array([1 / BANKS / sum(q.bank_id == p.bank_id for q in products) for p in products])
        version = ModelVersion.objects.create(
            name=SCORE_MODEL, version="2026.11.0", kind="scorecard", task="pd", sha256="0" * 64, role="champion"
        )

        # Enterprises.
        e = ENTERPRISES
        districts = rng.choice(np.array(District.values, dtype=object), size=e)
        clusters = rng.choice(
            np.array(Cluster.values, dtype=object), size=e, p=[0.08, 0.17, 0.2, 0.15, 0.2, 0.12, 0.08]
        )
        usccs = [make_uscc(i + 1, d if d.isdigit() else "320600") for i, d in enumerate(districts)]
        orgs = bulk(
            Organisation,
            [
                Organisation(kind=OrganisationKind.SME, name=f"南通基准科技有限公司 {i:05d}", uscc=usccs[i])
                for i in range(e)
            ],
            "organisations",
        )
        revenue = np.exp(rng.normal(np.log(25_000_000), 1.0, e)).clip(500_000, 5_000_000_000)
        enterprises = bulk(
            Enterprise,
            [
                Enterprise(
                    organisation_id=orgs[i].pk,
                    legal_name=orgs[i].name,
                    uscc=usccs[i],
                    district=districts[i],
                    cluster=clusters[i],
                    chain=CLUSTER_CHAINS[clusters[i]][i % len(CLUSTER_CHAINS[clusters[i]])],
                    founded_on=today - dt.timedelta(days=int(365 * (1 + i % 30))),
                    registered_capital=money(revenue[i] * 0.2),
                    employees=int(10 + revenue[i] // 400_000),
                    annual_revenue=money(revenue[i]),
                    is_high_tech=bool(i % 2),
                )
                for i in range(e)
            ],
            "enterprises",
        )

        # Assets: 2-6 per enterprise (invention patents with valid numbers, some trademarks).
        per_owner = rng.integers(2, 7, e)
        asset_owner = np.repeat(np.arange(e), per_owner)
        first_asset = np.concatenate([[0], np.cumsum(per_owner)[:-1]])
        assets = []
        for k, owner in enumerate(asset_owner):
            filing = today - dt.timedelta(days=int(400 + (k * 37) % 3000))
            if k % 5 == 4:
                assets.append(
                    IPAsset(
                        owner_id=enterprises[owner].pk,
                        ip_type=IPType.TRADEMARK,
                        identifier=str(30_000_000 + k),
                        title=f"商标 BENCH{k}",
                        filing_date=filing,
                        grant_date=filing + dt.timedelta(days=300),
                        expiry_date=filing + dt.timedelta(days=3950),
                        nice_classes=[9, 42],
                    )
                )
            else:
                assets.append(
                    IPAsset(
                        owner_id=enterprises[owner].pk,
                        ip_type=IPType.INVENTION_PATENT,
                        identifier=make_patent_number(k + 1, year=filing.year),
                        title=f"一种{('纺织', '船舶', '电子', '材料')[k % 4]}装置及其方法 {k}",
                        filing_date=filing,
                        grant_date=filing + dt.timedelta(days=380),
                        expiry_date=statutory_expiry(IPType.INVENTION_PATENT, filing),
                        ipc_classes=[f"D0{k % 9 + 1}B {k % 60 + 1}/00"],
                        claims_count=int(5 + k % 15),
                    )
                )
        bulk(IPAsset, assets, "ip_assets")

        # Applications: arrival, intended path through the state machine, and the moves made by now.
        outcomes = rng.choice(np.array(list(OUTCOME_MIX), dtype=object), size=n, p=list(OUTCOME_MIX.values()))
        loops = rng.choice([0, 1, 2], size=n, p=[0.7, 0.22, 0.08])
        variant = rng.random(n)
        owner_of = rng.integers(0, e, n)
        product_of = rng.choice(len(products), size=n, p=product_weights / product_weights.sum())
        amount = (np.round(np.exp(rng.normal(np.log(1_500_000), 0.8, n)).clip(100_000, 30_000_000) / 10_000)) * 10_000
        terms = rng.choice([6, 12, 24, 36], size=n, p=[0.15, 0.45, 0.25, 0.15])
        methods = rng.choice(np.array(RepaymentMethod.values, dtype=object), size=n)
        created_days = rng.uniform(0, HISTORY_DAYS, n)  # days before now
        waits = rng.exponential(1.0, (n, 12))  # in units of MEAN_DAYS_BEFORE of the next status
        pd1 = np.exp(rng.normal(np.log(0.03), 1.0, n)).clip(0.001, 0.6)
        pd2 = (pd1 * np.exp(rng.normal(0, 0.35, n))).clip(0.001, 0.6)
        rescored = rng.exponential(3.0, n) + 1  # days after submission of a second score, for 40 %
        second_score = rng.random(n) < 0.4
        pledged = rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1])
        content_type = ContentType.objects.get_for_model(Application)

        apps, moves, scores, timelines = [], [], [], []
        lengths = []
        for i in range(n):
            created = now - dt.timedelta(days=float(created_days[i]))
            path, times, at = [], [], created
            for j, step in enumerate(status_path(outcomes[i], int(loops[i]), float(variant[i]))):
                at = at + dt.timedelta(days=float(waits[i, j]) * MEAN_DAYS_BEFORE[step], minutes=10)
                if at > now:
                    break
                path.append(step)
                times.append(at)
            status = path[-1] if path else "draft"
            previous = "draft"
            for step in path:
                check(step in Application.TRANSITIONS[previous], f"{previous} → {step} is not a move")
                previous = step
            last = times[-1] if times else created
            submitted_at = next((t for s, t in zip(path, times, strict=True) if s == "submitted"), None)
            decided_at = next(
                (t for s, t in zip(reversed(path), reversed(times), strict=True) if s in ("approved", "rejected")), None
            )
            approved = "approved" in path
            apps.append(
                Application(
                    reference=f"BQ{i:09d}",
                    enterprise_id=enterprises[owner_of[i]].pk,
                    product_id=products[product_of[i]].pk,
                    status=status,
                    requested_amount=money(amount[i]),
                    requested_term_months=int(terms[i]),
                    repayment_method=methods[i],
                    purpose="研发投入与流动资金 R&D and working capital",
                    submitted_at=submitted_at,
                    decided_at=decided_at,
                    approved_amount=money(amount[i] * 0.8) if approved else None,
                    approved_rate=Decimal("0.045000") if approved else None,
                    approved_term_months=int(terms[i]) if approved else None,
                    reject_reason_code="high_risk" if status == "rejected" else "",
                    created_at=created,
                    updated_at=last,
                )
            )
            timelines.append((path, times))
            lengths.append(len(path))
        bulk(Application, apps, "applications")

        links = []
        for i, app in enumerate(apps):
            first = int(first_asset[owner_of[i]])
            count = int(per_owner[owner_of[i]])
            for k in range(min(int(pledged[i]), count)):
                links.append(ApplicationAsset(application_id=app.pk, asset_id=assets[first + (i + k) % count].pk))
            path, times = timelines[i]
            previous = "draft"
            for step, at in zip(path, times, strict=True):
                moves.append(
                    StatusChange(
                        content_type=content_type,
                        object_id=app.pk,
                        from_status=previous,
                        to_status=step,
                        reason="",
                        created_at=at,
                    )
                )
                previous = step
            if app.submitted_at is not None:
                scored = [(app.submitted_at + dt.timedelta(seconds=30), float(pd1[i]))]
                if second_score[i]:
                    later = app.submitted_at + dt.timedelta(days=float(rescored[i]))
                    if later <= now:
                        scored.append((later, float(pd2[i])))
                for k, (at, p) in enumerate(scored):
                    scores.append(
                        ApplicationScore(
                            application_id=app.pk,
                            model_version=version,
                            input_hash=f"{app.pk:032x}{k:032x}",
                            inputs={"requested_amount": float(amount[i]), "term_months": int(terms[i]), "k": k},
                            pd=Decimal(f"{p:.6f}"),
                            points=Decimal(f"{600 - 72 * np.log2(p / 0.02):.1f}"),
                            band=band_of(p),
                            reasons=[{"feature": "debt_to_revenue", "pd_impact": 0.01}],
                            improvements=[],
                            created_at=at,
                        )
                    )
        bulk(ApplicationAsset, links, "application_assets")
        # The generic audit table also holds other objects' moves: loans of the disbursed applications.
        loan_type = ContentType.objects.get_for_model(Loan)
        for j, app in enumerate(a for a in apps if a.status == "disbursed"):
            at = app.updated_at + (now - app.updated_at) / 2
            moves.append(
                StatusChange(
                    content_type=loan_type, object_id=j + 1, from_status="active", to_status="repaid", created_at=at
                )
            )
        bulk(StatusChange, moves, "status_changes")
        bulk(ApplicationScore, scores, "application_scores")

    ours = np.array([p.bank_id for p in products])[product_of] == banks[OUR_BANK].pk
    bank_statuses = np.array([a.status for a in apps], dtype=object)[ours]
    return {
        "officer": officer,
        "bank_applications": int(ours.sum()),
        "bank_statuses": {status: int((bank_statuses == status).sum()) for status in Application.TRANSITIONS},
        "status_changes": len(moves),
        "status_changes_per_application": round(sum(lengths) / n, 2),
        "scores": len(scores),
        "assets": len(assets),
        "pledged_links": len(links),
        "insert_s": timings,
    }


# --- the three paths -------------------------------------------------------------------------------


def query_string(params: list[tuple[str, str]], page_size: int) -> str:
    from urllib.parse import urlencode

    return urlencode([*params, ("page_size", str(page_size))])


def validated_filters(params: list[tuple[str, str]]) -> dict:
    """The filters exactly as ApplicationViewSet.get_queryset hands them to the selector."""
    from django.http import QueryDict

    from tongzhirong.financing.filters import QueueFilter

    data = QueryDict(mutable=True)
    for key, value in params:
        data.appendlist(key, value)
    form = QueueFilter(data)
    check(form.is_valid(), f"invalid case {params}: {dict(form.errors)}")
    return form.queue_filters()


class HandSQL:
    """The page a competent engineer would write by hand for this backend: count, page rows, pledged assets.

    The latest score and the stage start are looked up per application through the indexes on
    (application_id) and (content_type_id, object_id, created_at): with LATERAL joins on PostgreSQL, with
    correlated subqueries on SQLite (a MATERIALIZED CTE so that each is run once per row). They are looked up
    for every candidate only when a filter or the order needs them, and then only the ones it needs; the
    page is cut first and the rest is looked up for its rows only. The count reads only what its filters need.
    """

    ORDER_COLUMNS = ("created_at", "requested_amount", "submitted_at", "pd", "stage_entered_at", "id")
    DETAILS = (
        "a.id, a.reference, a.status, e.legal_name, e.district, e.cluster, a.product_id, p.name AS product_name, "
        "b.name AS bank_name, a.requested_amount, a.requested_term_months, a.repayment_method, a.purpose, "
        "a.approved_amount, a.approved_rate, a.approved_term_months, a.approval_proposed_by_id, "
        "a.reject_reason_code, a.decision_comment, a.created_at, a.submitted_at, a.decided_at"
    )

    def __init__(self, connection, *, bank_id: int, content_type_id: int, now: dt.datetime):
        from scoring.models import ApplicationScore
        from tongzhirong.accounts.models import Organisation
        from tongzhirong.assets.models import IPAsset
        from tongzhirong.core.models import StatusChange
        from tongzhirong.enterprises.models import Enterprise
        from tongzhirong.financing.models import Application, ApplicationAsset
        from tongzhirong.financing.selectors import STAGE_SLA_DAYS
        from tongzhirong.products.models import LoanProduct

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.t = {
            "app": Application._meta.db_table,
            "ent": Enterprise._meta.db_table,
            "prod": LoanProduct._meta.db_table,
            "org": Organisation._meta.db_table,
            "score": ApplicationScore._meta.db_table,
            "change": StatusChange._meta.db_table,
            "link": ApplicationAsset._meta.db_table,
            "asset": IPAsset._meta.db_table,
        }
        self.bank_id = bank_id
        self.content_type_id = content_type_id
        self.now = now
        self.sla = {status: now - dt.timedelta(days=days) for status, days in STAGE_SLA_DAYS.items()}

    def ts(self, value: dt.datetime):
        return self.connection.ops.adapt_datetimefield_value(value)

    # --- fragments over application ``a``: (select columns, joins, params in text order) -----------------

    def score_parts(self) -> tuple[str, str]:
        t = self.t
        latest = f"FROM {t['score']} s WHERE s.application_id = a.id ORDER BY s.created_at DESC, s.id DESC LIMIT 1"
        if self.postgres:
            return "ls.band, ls.pd", f"LEFT JOIN LATERAL (SELECT s.band, s.pd {latest}) ls ON TRUE"
        return "ls.band, ls.pd", f"LEFT JOIN {t['score']} ls ON ls.id = (SELECT s.id {latest})"

    def stage_parts(self) -> tuple[str, list, str, list]:
        t = self.t
        latest = (
            f"SELECT c.created_at FROM {t['change']} c WHERE c.content_type_id = %s AND c.object_id = a.id "
            f"ORDER BY c.created_at DESC, c.id DESC LIMIT 1"
        )
        if self.postgres:
            column = "COALESCE(lc.created_at, a.created_at) AS stage_entered_at"
            return column, [], f"LEFT JOIN LATERAL ({latest}) lc ON TRUE", [self.content_type_id]
        return f"COALESCE(({latest}), a.created_at) AS stage_entered_at", [self.content_type_id], "", []

    def breach(self, alias: str) -> tuple[str, list]:
        whens, params = [], []
        for status, cutoff in self.sla.items():
            whens.append("WHEN %s THEN %s")
            params += [status, self.ts(cutoff)]
        return f"COALESCE({alias}.stage_entered_at < CASE {alias}.status {' '.join(whens)} END, FALSE)", params

    def candidates(self, f: dict, derived: set[str]) -> tuple[str, list]:
        """The bank's applications that pass the filters on their own columns, with the derived ones asked for."""
        t = self.t
        columns = ["a.id", "a.status", "a.created_at", "a.requested_amount", "a.submitted_at"]
        joins, select_params, join_params = [f"JOIN {t['prod']} p ON p.id = a.product_id"], [], []
        # A bank sees no drafts, nor applications withdrawn before they were submitted.
        where = [
            "p.bank_id = %s",
            "a.status <> 'draft'",
            "NOT (a.status = 'withdrawn' AND a.submitted_at IS NULL)",
        ]
        params = [self.bank_id]
        if f.get("district") or f.get("cluster"):
            joins.append(f"JOIN {t['ent']} e ON e.id = a.enterprise_id")
        in_lists = [("status", "a.status"), ("district", "e.district"), ("cluster", "e.cluster")]
        for key, column in in_lists:
            values = sorted(f.get(key) or ())
            if values:
                where.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
                params += values
        if f.get("sla_breached"):  # only a status with a target can be breached
            where.append(f"a.status IN ({', '.join(['%s'] * len(self.sla))})")
            params += list(self.sla)
        if f.get("product"):
            where.append("a.product_id = %s")
            params.append(f["product"])
        for key, op in (("min_amount", ">="), ("max_amount", "<=")):
            if f.get(key) is not None:
                where.append(f"a.requested_amount {op} %s")
                params.append(self.connection.ops.adapt_decimalfield_value(f[key]))
        if "score" in derived:
            column, join = self.score_parts()
            columns.append(column)
            joins.append(join)
        if "stage" in derived:
            column, column_params, join, more_join_params = self.stage_parts()
            columns.append(column)
            select_params += column_params
            joins.append(join)
            join_params += more_join_params
        sql = f"SELECT {', '.join(columns)} FROM {t['app']} a {' '.join(joins)} WHERE {' AND '.join(where)}"
        return sql, [*select_params, *join_params, *params]

    def derived_filters(self, f: dict) -> tuple[list[str], list, set[str]]:
        where, params, uses = [], [], set()
        bands = sorted(f.get("band") or ())
        if bands:
            where.append(f"q.band IN ({', '.join(['%s'] * len(bands))})")
            params += bands
            uses.add("score")
        if f.get("min_days_in_stage") is not None:
            where.append("q.stage_entered_at <= %s")
            params.append(self.ts(self.now - dt.timedelta(days=f["min_days_in_stage"])))
            uses.add("stage")
        if f.get("sla_breached") is not None:
            clause, clause_params = self.breach("q")
            where.append(clause if f["sla_breached"] else f"NOT {clause}")
            params += clause_params
            uses.add("stage")
        return where, params, uses

    def order(self, f: dict, alias: str) -> tuple[str, set[str]]:
        parts, uses = [], set()
        for item in [*(f.get("ordering") or ["-created_at"]), "-id"]:
            name = item.lstrip("-")
            assert name in self.ORDER_COLUMNS, name
            parts.append(f"{alias}.{name}{' DESC' if item.startswith('-') else ''}")
            uses |= {"pd": {"score"}, "stage_entered_at": {"stage"}}.get(name, set())
        return ", ".join(parts), uses

    def with_q(self, f: dict, derived: set[str]) -> tuple[str, list]:
        sql, params = self.candidates(f, derived)
        # SQLite would inline a correlated subquery at each place q.stage_entered_at is named: run it once.
        materialized = "MATERIALIZED " if "stage" in derived and not self.postgres else ""
        return f"WITH q AS {materialized}({sql}) ", params

    def page(self, f: dict, page_size: int) -> tuple[int, list[tuple], dict[int, list[tuple]]]:
        t = self.t
        where, where_params, filter_uses = self.derived_filters(f)
        where_sql = f" WHERE {' AND '.join(where)}" if where else ""
        order_q, order_uses = self.order(f, "q")
        order_x, _ = self.order(f, "x")
        score_column, score_join = self.score_parts()
        stage_column, stage_column_params, stage_join, stage_join_params = self.stage_parts()
        breach, breach_params = self.breach("x")
        with self.connection.cursor() as cursor:
            head, head_params = self.with_q(f, filter_uses)
            cursor.execute(f"{head}SELECT count(*) FROM q{where_sql}", [*head_params, *where_params])
            count = cursor.fetchone()[0]
            head, head_params = self.with_q(f, filter_uses | order_uses)
            cut = f"{head}SELECT q.id FROM q{where_sql} ORDER BY {order_q} LIMIT %s"
            cursor.execute(
                f"SELECT x.*, {breach} FROM (SELECT {self.DETAILS}, {score_column}, {stage_column} "
                f"FROM ({cut}) pg JOIN {t['app']} a ON a.id = pg.id JOIN {t['ent']} e ON e.id = a.enterprise_id "
                f"JOIN {t['prod']} p ON p.id = a.product_id JOIN {t['org']} b ON b.id = p.bank_id "
                f"{score_join} {stage_join}) x ORDER BY {order_x}",
                [*breach_params, *stage_column_params, *head_params, *where_params, page_size, *stage_join_params],
            )
            rows = cursor.fetchall()
            assets: dict[int, list[tuple]] = {row[0]: [] for row in rows}
            if rows:
                # Same order as the prefetch, whose queryset carries IPAsset's default ordering.
                cursor.execute(
                    f"SELECT l.application_id, i.id, i.ip_type, i.identifier, i.title FROM {t['link']} l "
                    f"JOIN {t['asset']} i ON i.id = l.asset_id WHERE l.application_id IN "
                    f"({', '.join(['%s'] * len(rows))}) ORDER BY i.created_at DESC, i.id DESC",
                    list(assets),
                )
                for application_id, *asset in cursor.fetchall():
                    assets[application_id].append(tuple(asset))
        return count, rows, assets

    def explain(self, f: dict, page_size: int) -> None:
        """Print the plan of each statement of page(), captured as it runs."""
        from django.db.backends.utils import CursorWrapper

        seen, real_execute = [], CursorWrapper.execute

        def execute(cursor_self, sql, params=None):
            seen.append((sql, params))
            return real_execute(cursor_self, sql, params)

        with mock.patch.object(CursorWrapper, "execute", execute):
            self.page(f, page_size)
        for sql, params in seen:
            print_plan(self.connection, sql, params)


def print_plan(connection, sql: str, params) -> None:
    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    print("    " + sql[:3000].replace("\n", " "))
    for row in rows:
        print("      " + (row[0] if connection.vendor == "postgresql" else f"{row[0]}|{row[1]} {row[-1]}"))


def interleaved(paths: dict, repeat: int) -> dict[str, tuple[float, object]]:
    """Median ms of each path over ``repeat`` rounds after one warm-up round (whose results are returned).

    The paths take turns within each round, so that a burst of load on this shared host hits them alike.
    """
    results = {name: fn() for name, fn in paths.items()}
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeat):
        for name, fn in paths.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: (round(statistics.median(times[name]) * 1000, 2), results[name]) for name in paths}


def run(args: argparse.Namespace) -> dict:
    import django

    setup_start = time.perf_counter()
    load_before = os.getloadavg()
    progress("django.setup()")
    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.test import APIClient

    from api.pagination import FirstPageCountingPaginator
    from tongzhirong.accounts.models import User
    from tongzhirong.financing.models import Application
    from tongzhirong.lending.queue import application_queue, application_queue_page

    progress("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    n = args.applications
    if args.reuse_db and User.objects.filter(username="bench_officer").exists():
        progress("reusing the data of a previous --keep-db run")
        world = json.loads((TMP / f"bench_queue.{connection.vendor}.json").read_text())
        now = dt.datetime.fromisoformat(world["now"])
        check(Application.objects.count() == world["applications"], "the kept database changed")
        n = world["applications"]
    else:
        check(not Application.objects.exists(), "the database is not fresh")
        now = timezone.now().replace(microsecond=0)
        progress(f"building {n} applications with bulk_create")
        start = time.perf_counter()
        world = build_world(n, args.seed, now)
        world.pop("officer")
        world.update(applications=n, now=now.isoformat(), build_s=round(time.perf_counter() - start, 1))
        if args.keep_db:
            (TMP / f"bench_queue.{connection.vendor}.json").write_text(json.dumps(world))
    with connection.cursor() as cursor:
        # Fresh statistics after the bulk load, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
        cursor.execute("ANALYZE")
    setup_s = time.perf_counter() - setup_start

    officer = User.objects.select_related("organisation").get(username="bench_officer")
    content_type = ContentType.objects.get_for_model(Application)
    hand = HandSQL(connection, bank_id=officer.organisation_id, content_type_id=content_type.pk, now=now)
    client = APIClient()
    client.force_authenticate(officer)

    results = []

    # The selector and the serializer read the clock: freeze it at the data's "now" so that the three paths
    # draw the SLA and min_days_in_stage lines at the same instant (otherwise a row can cross one mid-run).
    def frozen_now() -> dt.datetime:  # a plain function: a MagicMock would add its own cost to every call
        return now

    with mock.patch.object(timezone, "now", frozen_now):
        for label, params in CASES:
            if args.only and args.only not in label:
                continue
            filters = validated_filters(params)
            for page_size in PAGE_SIZES:
                progress(f"{label}, page {page_size}")
                url = f"/api/v1/applications/?{query_string(params, page_size)}"

                def endpoint(url=url):
                    response = client.get(url)
                    check(response.status_code == 200, f"{url}: {response.status_code} {response.content[:300]!r}")
                    return response

                def selector(filters=filters, page_size=page_size):
                    queue = application_queue(user=officer, filters=filters)
                    paginator = FirstPageCountingPaginator(queue.values_list("pk", flat=True), page_size)
                    ids = list(paginator.page(1))
                    return application_queue_page(queue=queue, ids=ids), paginator.count

                def hand_sql(filters=filters, page_size=page_size):
                    return hand.page(filters, page_size)

                with CaptureQueriesContext(connection) as queries:
                    endpoint()
                # Copied now: captured_queries reads the connection's log, which the next request resets.
                statements = tuple(q["sql"] for q in queries.captured_queries)

                def orm_sql(statements=statements):
                    # The endpoint's own statements as logged (parameters inlined), without the ORM around them.
                    with connection.cursor() as cursor:
                        for sql in statements:
                            cursor.execute(sql)
                            cursor.fetchall()

                timed = interleaved(
                    {"endpoint": endpoint, "selector": selector, "orm_sql": orm_sql, "hand": hand_sql}, args.repeat
                )
                endpoint_ms, response = timed["endpoint"]
                selector_ms, (page_rows, selector_count) = timed["selector"]
                hand_ms, (count, rows, assets) = timed["hand"]
                body = response.json()
                ids = [r["id"] for r in body["results"]]
                check(ids == [row[0] for row in rows], f"{label}/{page_size}: hand SQL page ids differ")
                check(ids == [row["id"] for row in page_rows], f"{label}/{page_size}: selector page ids differ")
                check(body["count"] == count == selector_count, f"{label}/{page_size}: counts differ")
                check(
                    [(r["band"], r["sla_breached"]) for r in body["results"]]
                    == [(row[-4], bool(row[-1])) for row in rows],
                    f"{label}/{page_size}: bands or SLA flags differ",
                )
                check(
                    [[a["id"] for a in r["assets"]] for r in body["results"]]
                    == [[a[0] for a in assets[row[0]]] for row in rows],
                    f"{label}/{page_size}: pledged assets differ",
                )
                results.append(
                    {
                        "case": label,
                        "query": query_string(params, page_size),
                        "page_size": page_size,
                        "count": count,
                        "endpoint_ms": endpoint_ms,
                        "selector_ms": selector_ms,
                        "endpoint_sql_ms": timed["orm_sql"][0],
                        "hand_sql_ms": hand_ms,
                        "ratio": round(endpoint_ms / hand_ms, 2),
                        "selector_ratio": round(selector_ms / hand_ms, 2),
                        "endpoint_queries": len(statements),
                    }
                )
                if args.explain:
                    print(f"\n=== {label}, page {page_size}: endpoint queries")
                    for sql in statements:
                        if sql.lstrip().upper().startswith("SELECT"):
                            print_plan_raw(connection, sql)
                    print(f"=== {label}, page {page_size}: hand SQL")
                    hand.explain(filters, page_size)

    with connection.cursor() as cursor:
        cursor.execute("select version()" if connection.vendor == "postgresql" else "select sqlite_version()")
        db_version = cursor.fetchone()[0]
    return {
        **world,
        "database": connection.vendor,
        "database_version": db_version.split(" on ")[0],
        "repeat": args.repeat,
        "threads": 1,
        "target_ratio": TARGET_RATIO,
        "setup_s": round(setup_s, 1),
        "cases": results,
        "within_target": all(r["ratio"] <= TARGET_RATIO for r in results),
        "versions": {"python": platform.python_version(), "django": django.get_version()},
        "cpus": os.cpu_count(),
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def print_plan_raw(connection, sql: str) -> None:
    """Plan of a query Django logged (its parameters are already interpolated for display)."""
    try:
        print_plan(connection, sql, None)
    except Exception as exc:  # the logged text is not always valid SQL (quoting of literals)
        print(f"    (no plan: {exc})")


def report(r: dict, total_s: float) -> None:
    lines = [
        "",
        "=" * 116,
        f"bench_queue: {r['applications']} applications ({r['bank_applications']} of the officer's bank), "
        f"{r['status_changes']} status changes ({r['status_changes_per_application']}/application), "
        f"{r['scores']} scores; {r['database']} {r['database_version']}",
        "officer's bank by status: " + ", ".join(f"{k} {v}" for k, v in r.get("bank_statuses", {}).items()),
        f"median of {r['repeat']} interleaved runs after one warm-up; 1 thread; DEBUG off; "
        "clock frozen at the data's 'now'; its SQL = the endpoint's statements run bare",
        "-" * 116,
        f"{'case':<34}{'page':>5}{'count':>7}{'endpoint ms':>13}{'selector ms':>13}{'its SQL ms':>12}"
        f"{'hand SQL ms':>13}{'× hand':>8}{'sel ×':>7}{'queries':>9}",
    ]
    for c in r["cases"]:
        lines.append(
            f"{c['case']:<34}{c['page_size']:>5}{c['count']:>7}{c['endpoint_ms']:>13.1f}{c['selector_ms']:>13.1f}"
            f"{c['endpoint_sql_ms']:>12.1f}{c['hand_sql_ms']:>13.1f}{c['ratio']:>8.2f}{c['selector_ratio']:>7.2f}"
            f"{c['endpoint_queries']:>9}"
        )
    worst = max(r["cases"], key=lambda c: c["ratio"])
    lines += [
        "-" * 116,
        f"every case within {TARGET_RATIO} × hand SQL: {'yes' if r['within_target'] else 'NO'} "
        f"(worst {worst['ratio']:.2f} ×: {worst['case']}, page {worst['page_size']})",
        f"setup {r['setup_s']:.1f} s; total {total_s:.1f} s; peak RSS {r['peak_rss_mb']:.0f} MB; load average 1 min "
        f"{r['load_average_1m']['start']} → {r['load_average_1m']['end']}",
        "=" * 116,
    ]
    print("\n".join(lines))
    print(json.dumps({**r, "total_s": round(total_s, 1)}, ensure_ascii=False, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.reuse_db:
        fresh_database(args.database_url)
    configure_environment(args.database_url)
    # The officer's repeated requests must not meet the per-user throttle (its check still runs).
    os.environ["THROTTLE_RATE_USER"] = "1000000/min"
    return run_measured(args, run, report)


if __name__ == "__main__":
    sys.exit(main())
