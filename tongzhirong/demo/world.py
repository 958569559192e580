"""The demo world under construction: one seeded random stream, its as-of day, what each domain's seeding
module has made so far (looked up by the next ones), the timestamps still to move onto the world's timeline,
and the small helpers every module draws with."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import models
from django.utils import timezone

from tongzhirong.accounts.models import Organisation, User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.identifiers import USCC_ALPHABET, make_uscc
from tongzhirong.core.reference import District
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct

from .reference import GIVEN_NAMES, ROADS, SURNAMES


class DemoWorld:
    """State shared by the seeding modules; ``tongzhirong.demo.seed.build`` calls them in order."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.as_of = as_of
        self.tz = timezone.get_default_timezone()
        self.usccs: set[str] = set()
        self.identifiers: set[tuple[str, str]] = set()
        self.banks: dict[str, Organisation] = {}
        self.officers: dict[int, User] = {}
        self.checkers: dict[int, User] = {}
        self.owners: dict[int, User] = {}  # enterprise pk → owner
        self.joined: dict[int, date] = {}  # enterprise pk → day it joined the platform
        self.enterprises: list[Enterprise] = []
        self.assets_of: dict[int, list[IPAsset]] = defaultdict(list)
        self.asset_since: dict[int, date] = {}
        self.risky_assets: set[int] = set()  # any legal cloud: banks would not lend on it
        self.pledged_until: dict[int, date] = {}  # asset pk → day its pledge is released
        self.unconsented: set[int] = set()  # no co-owner consent, dispute or preservation: filing fails
        self.contested: set[int] = set()  # invalidation pending: filed only with the parties' confirmation
        self.p50: dict[int, Decimal] = {}  # asset pk → P50 value (yuan)
        self.potential: dict[int, Decimal] = {}  # enterprise pk → rough collateral it could pledge
        self.caps: dict[int, dict[str, Decimal]] = {}
        self.patent_subjects: dict[int, set[str]] = defaultdict(set)  # enterprise pk → subjects it has patented
        self.insurance: list[InsuranceProduct] = []
        self.guarantees: list[GuaranteeProduct] = []
        self.loan_products: list[LoanProduct] = []  # every bank's, in creation order
        self.contracts: Counter[tuple[str, int]] = Counter()
        self.registrations: Counter[bool] = Counter()
        self.insurer: Organisation | None = None
        self.guarantor: Organisation | None = None
        self.bank_code: dict[int, str] = {}
        # Timestamps to move onto the world's timeline: (model, pk, {field: value}).
        self.stamps: list[tuple[type[models.Model], int, dict]] = []
        self.change_times: dict[tuple[type[models.Model], int], list[datetime]] = defaultdict(list)

    def at(self, day: date, minutes: int | None = None) -> datetime:
        """An aware moment on ``day`` in office hours (Asia/Shanghai)."""
        minutes = self.rng.randint(9 * 60, 17 * 60) if minutes is None else minutes
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def days_ago(self, lo: int, hi: int) -> date:
        return self.as_of - timedelta(days=self.rng.randint(lo, hi))

    def stamp(self, obj: models.Model, **values) -> None:
        self.stamps.append((type(obj), obj.pk, values))

    @staticmethod
    def validated(obj: models.Model) -> models.Model:
        """Field and cross-field validation in Python; the database checks the constraints on insert."""
        obj.full_clean(validate_constraints=False)
        return obj

    def uscc(self, *, prefix: str, division: str, modern: bool) -> str:
        """A valid USCC: firms registered since late 2015 carry an ``MA…`` body, older ones their old code."""
        while True:
            if modern:
                body = "MA" + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(6))
            else:
                body = f"{self.rng.randint(10_000_000, 79_999_999)}"
            code = make_uscc(division=division, prefix=prefix, org_code=body)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    @staticmethod
    def address(district: str, key: str) -> str:
        """A plausible registered address, drawn from a hash of ``key`` so the seeded stream stays as it was."""
        n = int(hashlib.sha256(key.encode()).hexdigest(), 16)
        place = str(District(district).label).split(" ")[-1].removeprefix("南通")
        return f"江苏省南通市{place}{ROADS[n % len(ROADS)]}{n % 997 + 1}号"

    def person(self) -> dict[str, str]:
        return {"last_name": self.rng.choice(SURNAMES), "first_name": self.rng.choice(GIVEN_NAMES)}

    def poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))
        limit, k, p = math.exp(-lam), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def filing_day(self, first_year: int, earliest: date, latest: date) -> date:
        """A filing day skewed towards recent years (filings grow), within [earliest, latest]."""
        last_year = latest.year
        first_year = min(max(first_year, earliest.year), last_year)
        year = first_year + int((last_year - first_year + 1) * self.rng.random() ** 0.7)
        day = date(year, 1, 1) + timedelta(days=self.rng.randint(0, 364))
        return min(max(day, earliest), latest)
