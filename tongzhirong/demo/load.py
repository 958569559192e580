"""A realistic load for the dashboard benchmarks, written through bulk paths: COPY on PostgreSQL, bulk_create
in large batches elsewhere. Every row is consistent with the others: each loan has its disbursed application
on one of its bank's products, pledging assets of its own borrower; each borrower has its organisation.

Volumes grow through 2024-2026 (about 80亿 a year, as in Nantong's 2023, doubling), amounts are lognormal
around 400万 (most under 1000万), and about 1 loan in 20 is also reported from outside the platform."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, models, transaction
from django.utils import timezone

from tongzhirong.accounts.models import Organisation, OrganisationKind, User
from tongzhirong.assets.models import IPAsset, LegalStatus
from tongzhirong.core.identifiers import make_patent_number, make_uscc
from tongzhirong.core.reference import CLUSTER_CHAINS, SHANGHAI, Cluster, District, IPType, RepaymentMethod
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus, Loan, LoanStatus
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct
from tongzhirong.reporting.models import ReportedLoan
from tongzhirong.reporting.rollups import rollups_rebuild
from tongzhirong.reporting.selectors import PLAN_START

CHUNK = 50_000
BANKS = 12
LOAN_STATUSES = np.array(
    [LoanStatus.ACTIVE, LoanStatus.OVERDUE, LoanStatus.DEFAULTED, LoanStatus.REPAID, LoanStatus.WRITTEN_OFF]
)
LOAN_STATUS_P = [0.80, 0.05, 0.015, 0.13, 0.005]


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


class Writer:
    """Rows as dicts of column name → Python value; COPY on PostgreSQL, else bulk_create."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.timings: dict[str, float] = {}

    def write(self, model: type[models.Model], rows: Iterator[dict[str, Any]]) -> int:
        start, written = time.perf_counter(), 0
        fields = list(model._meta.concrete_fields)
        columns = [f.column for f in fields]
        if self.postgres:
            table = connection.ops.quote_name(model._meta.db_table)
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_pg(row.get(f.attname, _default(f))) for f in fields])
                    written += 1
            self._reset_sequence(model)
        else:
            batch = []
            for row in rows:
                batch.append(model(**row))
                if len(batch) == 5000:
                    model.objects.bulk_create(batch)
                    written += len(batch)
                    batch = []
            model.objects.bulk_create(batch)
            written += len(batch)
        self.timings[model._meta.label] = round(time.perf_counter() - start, 2)
        return written

    def _reset_sequence(self, model: type[models.Model]) -> None:
        table = model._meta.db_table
        quoted = connection.ops.quote_name(table)
        with connection.cursor() as cursor:
            cursor.execute(
                # The table name is the model's own, quoted: no outside input reaches this statement.
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {quoted}), 1))",  # noqa: S608
                [table],
            )


def _default(field: models.Field):
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
        return timezone.now()
    return field.get_default()  # "" for a text field without a default, as the ORM would write


def _pg(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _at(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=SHANGHAI)


def generate_load(
    *,
    loans: int,
    assets: int,
    seed: int = 20260101,
    enterprises: int | None = None,
    reported: int | None = None,
    as_of: dt.date | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    as_of = as_of or timezone.localdate()
    n_ent = enterprises or max(min(loans // 5, assets), 1)
    n_assets = max(assets, n_ent)  # every borrower has at least one right to pledge
    n_reported = loans // 20 if reported is None else reported
    writer = Writer()
    now = timezone.now()
    tag = f"{seed % 10_000:04d}"
    with transaction.atomic():
        banks, products, insurance, guarantee, importer = _institutions(tag)
        progress(f"{len(banks)} banks, {len(products)} products")

        # Enterprises and their organisations.
        org0, ent0 = _next_id(Organisation), _next_id(Enterprise)
        districts = rng.choice(np.array(District.values), size=n_ent)
        clusters = rng.choice(np.array(Cluster.values), size=n_ent, p=[0.1, 0.17, 0.2, 0.15, 0.2, 0.12, 0.06])
        tech = rng.random(n_ent)
        prior = rng.poisson(0.3, n_ent)
        founded = (rng.gamma(2.0, 1500, n_ent) + 200).astype(int)
        base = int(tag) * 10_000_000
        codes = [make_uscc(base + i, d if d.isdigit() else "320600") for i, d in enumerate(districts)]
        writer.write(
            Organisation,
            (
                {
                    "id": org0 + i,
                    "kind": OrganisationKind.SME,
                    "name": f"负载科技 {tag}-{i:07d}",
                    "uscc": codes[i],
                    "created_at": now,
                    "updated_at": now,
                    "is_active": True,
                    "maker_checker_threshold": Decimal(0),
                }
                for i in range(n_ent)
            ),
        )
        progress(f"{n_ent} organisations")
        writer.write(
            Enterprise,
            (
                {
                    "id": ent0 + i,
                    "organisation_id": org0 + i,
                    "legal_name": f"负载科技 {tag}-{i:07d}",
                    "uscc": codes[i],
                    "district": districts[i],
                    "cluster": clusters[i],
                    "chain": CLUSTER_CHAINS[clusters[i]][i % len(CLUSTER_CHAINS[clusters[i]])],
                    "founded_on": as_of - dt.timedelta(days=int(founded[i])),
                    "registered_capital": Decimal(5_000_000),
                    "employees": 20 + i % 300,
                    "annual_revenue": Decimal(20_000_000),
                    "is_high_tech": bool(tech[i] < 0.45),
                    "is_tech_sme": bool(tech[i] < 0.6),
                    "is_specialised": bool(tech[i] < 0.18),
                    "is_little_giant": bool(tech[i] < 0.03),
                    "is_ip_certified": bool(tech[i] < 0.1),
                    "prior_ip_loans": int(prior[i]),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n_ent)
            ),
        )
        progress(f"{n_ent} enterprises")

        # Assets: one per enterprise first, the rest spread at random; mostly patents.
        asset0 = _next_id(IPAsset)
        owner = np.concatenate([np.arange(n_ent), rng.integers(0, n_ent, n_assets - n_ent)])
        types = rng.choice(
            np.array([IPType.INVENTION_PATENT, IPType.UTILITY_MODEL, IPType.TRADEMARK, IPType.SOFTWARE_COPYRIGHT]),
            size=n_assets,
            p=[0.45, 0.3, 0.15, 0.1],
        )
        filing_years = rng.integers(2010, 2025, n_assets)
        serial0 = int(tag) * 100_000_000

        def identifier(i: int) -> str:
            t, year, serial = types[i], int(filing_years[i]), (serial0 + i) % 10_000_000
            if t in (IPType.INVENTION_PATENT, IPType.UTILITY_MODEL):
                return make_patent_number(serial, year=year, type_digit="1" if t == IPType.INVENTION_PATENT else "2")
            if t == IPType.TRADEMARK:
                return str(10_000_000 + (serial0 // 1000 + i) % 89_999_999)
            return f"{year}SR{serial:07d}"

        writer.write(
            IPAsset,
            (
                {
                    "id": asset0 + i,
                    "owner_id": ent0 + int(owner[i]),
                    "ip_type": types[i],
                    "identifier": identifier(i),
                    "title": f"负载资产 {i}",
                    "filing_date": dt.date(int(filing_years[i]), 3, 1),
                    "grant_date": dt.date(int(filing_years[i]) + 1, 6, 1),
                    "legal_status": LegalStatus.VALID,
                    "overseas_family_members": int(i % 17 == 0),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n_assets)
            ),
        )
        progress(f"{n_assets} IP assets")
        first_asset = {}
        for i in range(n_assets - 1, -1, -1):
            first_asset[int(owner[i])] = asset0 + i

        # Loans: disbursement days weighted to grow through the plan's three years.
        days = (as_of - PLAN_START).days + 1
        weights = np.linspace(1.0, 3.0, days)
        day_index = np.sort(rng.choice(days, size=loans, p=weights / weights.sum()))
        minutes = rng.integers(8 * 60, 24 * 60, loans)
        borrowers = rng.integers(0, n_ent, loans)
        amounts = np.clip(np.round(np.exp(rng.normal(np.log(4_000_000), 0.8, loans)), -4), 100_000, 50_000_000)
        bank_of = rng.integers(0, len(banks), loans)
        kind_of = rng.choice(3, size=loans, p=[0.6, 0.25, 0.15])
        waited = np.clip(rng.gamma(2.0, 10.0, loans), 1, 180)
        statuses = rng.choice(LOAN_STATUSES, size=loans, p=LOAN_STATUS_P)
        app0, loan0, link0 = _next_id(Application), _next_id(Loan), _next_id(ApplicationAsset)

        def moment(i: int) -> dt.datetime:
            return _at(PLAN_START + dt.timedelta(days=int(day_index[i])), int(minutes[i]) % (24 * 60))

        writer.write(
            Application,
            (
                {
                    "id": app0 + i,
                    "reference": f"GL{tag}{i:09d}",
                    "enterprise_id": ent0 + int(borrowers[i]),
                    "product_id": products[int(bank_of[i])][int(kind_of[i])],
                    "status": ApplicationStatus.DISBURSED,
                    "requested_amount": Decimal(int(amounts[i])),
                    "requested_term_months": 12,
                    "repayment_method": RepaymentMethod.EQUAL_INSTALMENT,
                    "submitted_at": moment(i) - dt.timedelta(days=float(waited[i])),
                    "decided_at": moment(i) - dt.timedelta(days=float(waited[i]) / 2),
                    "approved_amount": Decimal(int(amounts[i])),
                    "approved_rate": Decimal("0.045"),
                    "approved_term_months": 12,
                    "insurance_product_id": insurance if kind_of[i] == 1 else None,
                    "guarantee_product_id": guarantee if kind_of[i] == 2 else None,
                    "created_at": moment(i) - dt.timedelta(days=float(waited[i])),
                    "updated_at": moment(i),
                }
                for i in range(loans)
            ),
        )
        progress(f"{loans} applications")
        writer.write(
            ApplicationAsset,
            (
                {"id": link0 + i, "application_id": app0 + i, "asset_id": first_asset[int(borrowers[i])]}
                for i in range(loans)
            ),
        )
        progress(f"{loans} pledged-asset links")

        def loan_row(i: int) -> dict[str, Any]:
            principal = Decimal(int(amounts[i]))
            status = statuses[i]
            closed = status in (LoanStatus.REPAID, LoanStatus.WRITTEN_OFF)
            outstanding = Decimal(0) if closed else (principal * Decimal("0.6")).quantize(Decimal("0.01"))
            dpd = {LoanStatus.OVERDUE: 20 + i % 60, LoanStatus.DEFAULTED: 91 + i % 200}.get(status, 0)
            day = moment(i)
            return {
                "id": loan0 + i,
                "application_id": app0 + i,
                "bank_id": banks[int(bank_of[i])],
                "borrower_id": ent0 + int(borrowers[i]),
                "contract_number": f"GL{tag}{i:09d}",
                "principal": principal,
                "annual_rate": Decimal("0.045"),
                "term_months": 12,
                "repayment_method": RepaymentMethod.EQUAL_INSTALMENT,
                "disbursed_at": day,
                "maturity_date": day.date() + dt.timedelta(days=365),
                "status": status,
                "outstanding_principal": outstanding,
                "days_past_due": dpd,
                "closed_at": day + dt.timedelta(days=200) if closed else None,
                "ip_type": types[first_asset[int(borrowers[i])] - asset0],
                "created_at": day,
                "updated_at": day,
            }

        writer.write(Loan, (loan_row(i) for i in range(loans)))
        progress(f"{loans} loans")

        # Reported loans: half by platform borrowers (matched), half by firms off the platform.
        rep0 = _next_id(ReportedLoan)
        r_days = rng.choice(days, size=n_reported)
        r_amounts = np.clip(np.round(np.exp(rng.normal(np.log(3_000_000), 0.8, n_reported)), -4), 100_000, 30_000_000)
        r_borrowers = rng.integers(0, n_ent, n_reported)
        off = rng.random(n_reported) < 0.5
        r_districts = rng.choice(np.array([d for d in District.values if d.isdigit()]), size=n_reported)

        def reported_row(i: int) -> dict[str, Any]:
            day = PLAN_START + dt.timedelta(days=int(r_days[i]))
            b = int(r_borrowers[i])
            common = {
                "id": rep0 + i,
                "bank_id": banks[i % len(banks)],
                "contract_number": f"WB{tag}{i:09d}",
                "ip_type": IPType.INVENTION_PATENT,
                "ip_identifiers": [],
                "principal": Decimal(int(r_amounts[i])),
                "disbursed_on": day,
                "disbursed_at": _at(day, 0),
                "imported_by_id": importer,
                "created_at": now,
                "updated_at": now,
            }
            if off[i]:
                return {
                    **common,
                    "borrower_uscc": make_uscc(base + 5_000_000 + i, r_districts[i]),
                    "district": r_districts[i],
                    "first_loan": bool(i % 3 == 0),
                }
            return {
                **common,
                "borrower_uscc": codes[b],
                "borrower_id": ent0 + b,
                "district": districts[b],
                "cluster": clusters[b],
                "chain": CLUSTER_CHAINS[clusters[b]][b % len(CLUSTER_CHAINS[clusters[b]])],
                "is_tech_sme": bool(tech[b] < 0.6),
                "is_high_tech": bool(tech[b] < 0.45),
            }

        writer.write(ReportedLoan, (reported_row(i) for i in range(n_reported)))
        progress(f"{n_reported} reported loans")
        # The bulk writes bypass the loans' own rollup upkeep: rebuilt from the rows in the same transaction.
        started = time.perf_counter()
        rollups = rollups_rebuild()
        writer.timings["rollups"] = round(time.perf_counter() - started, 2)
        progress(f"{rollups['figures']} day figures, {rollups['spans']} firm spans")
    if writer.postgres:
        # Freshly copied tables have no visibility map, so index-only scans would read every heap page until
        # autovacuum gets round to them; VACUUM sets it as a live database has it (not allowed in a transaction).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return {"enterprises": n_ent, "assets": n_assets, "loans": loans, "reported": n_reported, "timings": writer.timings}


def _institutions(tag: str):
    now = timezone.now()
    banks, products = [], []
    for b in range(BANKS):
        bank, _ = Organisation.objects.get_or_create(
            name=f"负载银行 {tag}-{b:02d}",
            defaults={
                "kind": OrganisationKind.BANK,
                "uscc": make_uscc(int(tag) * 1000 + b, "320600"),
                "created_at": now,
            },
        )
        banks.append(bank.pk)
        row = []
        for kind, (insured, guaranteed) in enumerate(((False, False), (True, False), (False, True))):
            product, _ = LoanProduct.objects.get_or_create(
                bank=bank,
                name=f"知识产权质押贷 {kind}",
                defaults={
                    "min_amount": Decimal("100000"),
                    "max_amount": Decimal("50000000"),
                    "min_term_months": 6,
                    "max_term_months": 36,
                    "min_rate": Decimal("0.03"),
                    "max_rate": Decimal("0.07"),
                    "repayment_methods": list(RepaymentMethod.values),
                    "requires_insurance": insured,
                    "requires_guarantee": guaranteed,
                },
            )
            row.append(product.pk)
        products.append(row)
    insurer, _ = Organisation.objects.get_or_create(name=f"负载保险 {tag}", defaults={"kind": OrganisationKind.INSURER})
    guarantor, _ = Organisation.objects.get_or_create(
        name=f"负载担保 {tag}", defaults={"kind": OrganisationKind.GUARANTOR}
    )
    insurance, _ = InsuranceProduct.objects.get_or_create(
        insurer=insurer,
        name="知识产权质押融资保证保险",
        defaults={
            "premium_rate": Decimal("0.012"),
            "coverage_ratio": Decimal("0.7"),
            "coverage_cap": Decimal(5_000_000),
        },
    )
    guarantee, _ = GuaranteeProduct.objects.get_or_create(
        guarantor=guarantor,
        name="知识产权融资担保",
        defaults={"fee_rate": Decimal("0.01"), "coverage_ratio": Decimal("0.8")},
    )
    importer, _ = User.objects.get_or_create(
        username=f"load-importer-{tag}", defaults={"organisation_id": banks[0], "role": "bank_officer"}
    )
    return banks, products, insurance.pk, guarantee.pk, importer.pk
