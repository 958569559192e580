"""The registers' counts (``reporting.registers``) always equal the rows: after any sequence of rights registered,
changed (type, legal status, dates, overseas family, award), archived and restored, deleted, pledged for large
loans and released, firms registered and changed, and loans (platform and reported) that set firms' first loan
days — written through ``save()`` or around it with a queryset ``update()`` — the indicators' register figures for
any day (past ones included) and the coverage counts equal the same figures counted over the rights and the firms,
and rebuilding the counts from the rows changes nothing."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanFactory,
    LoanProductFactory,
)
from tongzhirong.assets.models import Award, IPAsset, LegalStatus
from tongzhirong.core.money import wan
from tongzhirong.core.reference import IPType
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.financing.rollups import LargeLoanAsset, large_loan_assets_record
from tongzhirong.reporting.models import ReportedLoan
from tongzhirong.reporting.registers import FirmFigure, FirstLoanFigure, RegisterFigure, registers_rebuild
from tongzhirong.reporting.selectors import ReportFilters, Scope, day_start
from tongzhirong.reporting.selectors.indicators import high_value_invention_patents, register_counts
from tongzhirong.reporting.selectors.performance import _coverage_from_loans, _rolled_coverage

CITY = Scope(bank_id=None)
FIRST_FILING = dt.date(2008, 1, 1)
IP_TYPES = [
    IPType.INVENTION_PATENT,
    IPType.TRADEMARK,
    IPType.COPYRIGHT,
    IPType.SOFTWARE_COPYRIGHT,
    IPType.UTILITY_MODEL,
]
STATUSES = [LegalStatus.VALID, LegalStatus.LAPSED, LegalStatus.PENDING]
AWARDS = [Award.NONE, Award.CHINA_PATENT_GOLD, Award.CHINA_PATENT_EXCELLENCE, Award.PROVINCIAL]

right = st.fixed_dictionaries(
    {
        "firm": st.integers(0, 2),
        "ip_type": st.sampled_from(IP_TYPES),
        "legal_status": st.sampled_from(STATUSES),
        "filed": st.integers(0, 6500),  # days after FIRST_FILING: up to mid-2025
        "granted_after": st.one_of(st.none(), st.integers(0, 1500)),
        "overseas_family_members": st.integers(0, 1),
        "award": st.sampled_from(AWARDS),
        "archived": st.booleans(),
    }
)
change = st.one_of(
    st.tuples(st.just("ip_type"), st.sampled_from(IP_TYPES)),
    st.tuples(st.just("legal_status"), st.sampled_from(STATUSES)),
    st.tuples(st.just("archived"), st.booleans()),
    st.tuples(st.just("filed"), st.integers(0, 6500)),
    st.tuples(st.just("granted_after"), st.one_of(st.none(), st.integers(0, 1500))),
    st.tuples(st.just("overseas_family_members"), st.integers(0, 2)),
    st.tuples(st.just("award"), st.sampled_from(AWARDS)),
)
firm_change = st.one_of(
    st.tuples(st.just("is_tech_sme"), st.booleans()),
    st.tuples(st.just("is_ip_certified"), st.booleans()),
    st.tuples(st.just("prior_ip_loans"), st.integers(0, 2)),
)
loan_days = st.integers(0, 700)  # days after 2024-01-01
events = st.lists(
    st.one_of(
        st.tuples(st.just("right"), right),
        st.tuples(st.just("change"), st.integers(0, 20), change, st.booleans()),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("pledge"), st.integers(0, 20)),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(
            st.just("firm"), st.fixed_dictionaries({"is_tech_sme": st.booleans(), "is_ip_certified": st.booleans()})
        ),
        st.tuples(st.just("firm_change"), st.integers(0, 5), firm_change, st.booleans()),
        st.tuples(st.just("loan"), st.integers(0, 5), loan_days, st.sampled_from([300, 1500]), st.integers(0, 20)),
        st.tuples(st.just("reported"), st.integers(0, 5), loan_days),
        # One statement over many rows (a bulk status refresh, a certification list applied at once).
        st.tuples(st.just("bulk_status"), st.sampled_from(STATUSES)),
        st.tuples(st.just("bulk_firms"), st.booleans()),
    ),
    min_size=1,
    max_size=14,
)
# Days asked about: long before, inside and after the register's dates (29 February included).
as_of_days = st.lists(st.dates(dt.date(2009, 1, 1), dt.date(2027, 12, 31)), min_size=1, max_size=3)


class Register:
    def __init__(self):
        self.firms = [
            EnterpriseFactory(is_tech_sme=True),
            EnterpriseFactory(is_tech_sme=False, is_ip_certified=True, prior_ip_loans=1),
            EnterpriseFactory(is_tech_sme=True, prior_ip_loans=2),
        ]
        self.bank = BankFactory()
        self.product = LoanProductFactory(bank=self.bank)
        self.officer = BankOfficerFactory(organisation=self.bank)
        self.contracts = 0
        # A few rights from the start, so that every change, pledge and bulk update has rights to act on.
        for ip_type, filed, granted_after in (
            (IPType.INVENTION_PATENT, 300, 700),
            (IPType.TRADEMARK, 5000, 300),
            (IPType.SOFTWARE_COPYRIGHT, 6400, 30),
        ):
            self.right(
                {
                    "firm": 0,
                    "ip_type": ip_type,
                    "legal_status": LegalStatus.VALID,
                    "filed": filed,
                    "granted_after": granted_after,
                    "overseas_family_members": 0,
                    "award": Award.NONE,
                    "archived": False,
                }
            )

    def rights(self) -> list[IPAsset]:
        return list(IPAsset.objects.order_by("pk"))

    def right(self, e: dict) -> None:
        filed = FIRST_FILING + dt.timedelta(days=e["filed"])
        IPAssetFactory(
            owner=self.firms[e["firm"]],
            ip_type=e["ip_type"],
            legal_status=e["legal_status"],
            filing_date=filed,
            grant_date=None if e["granted_after"] is None else filed + dt.timedelta(days=e["granted_after"]),
            expiry_date=None,
            overseas_family_members=e["overseas_family_members"],
            family_size=3,
            award=e["award"],
            archived_at=timezone.now() if e["archived"] else None,
        )

    def change(self, index: int, what: tuple, through_save: bool) -> None:
        (field, value), rights = what, self.rights()
        if not rights:
            return
        asset = rights[index % len(rights)]
        values = {field: value}
        if field == "archived":
            values = {"archived_at": timezone.now() if value else None}
        elif field == "filed":
            filed = FIRST_FILING + dt.timedelta(days=value)
            values = {
                "filing_date": filed,
                "grant_date": None if asset.grant_date is None else max(asset.grant_date, filed),
            }
        elif field == "granted_after":
            values = {"grant_date": None if value is None else asset.filing_date + dt.timedelta(days=value)}
        if through_save:
            for name, new in values.items():
                setattr(asset, name, new)
            asset.save(update_fields=list(values))
        else:
            IPAsset.objects.filter(pk=asset.pk).update(**values)

    def bulk_status(self, status: str) -> None:
        IPAsset.objects.filter(pk__in=[a.pk for a in self.rights()[::2]]).update(legal_status=status)

    def bulk_firms(self, certified: bool) -> None:
        Enterprise.objects.filter(pk__in=[f.pk for f in self.firms[1:]]).update(is_ip_certified=certified)

    def delete(self, index: int) -> None:
        rights = [a for a in self.rights() if not ApplicationAsset.objects.filter(asset=a).exists()]
        if rights:
            rights[index % len(rights)].delete()

    def pledge(self, index: int) -> None:
        rights = self.rights()
        if rights:
            large_loan_assets_record([rights[index % len(rights)].pk])  # twice for one right: counted once

    def release(self, index: int) -> None:
        pledged = list(LargeLoanAsset.objects.order_by("pk"))
        if pledged:
            pledged[index % len(pledged)].delete()  # what the rebuild does before writing them again

    def firm(self, e: dict) -> None:
        self.firms.append(EnterpriseFactory(**e))

    def firm_change(self, index: int, what: tuple, through_save: bool) -> None:
        (field, value), firm = what, self.firms[index % len(self.firms)]
        if through_save:
            # The firm as read now (its first loan day may have moved since the object was made).
            firm = Enterprise.objects.get(pk=firm.pk)
            setattr(firm, field, value)
            firm.save(update_fields=[field])
        else:
            Enterprise.objects.filter(pk=firm.pk).update(**{field: value})

    def loan(self, firm_index: int, day: int, amount: int, right_index: int) -> None:
        firm = self.firms[firm_index % len(self.firms)]
        application = ApplicationFactory(enterprise=firm, product=self.product, status=ApplicationStatus.DISBURSED)
        rights = [a for a in self.rights() if not a.archived_at]
        if rights:
            asset = rights[right_index % len(rights)]
            if not ApplicationAsset.objects.filter(application=application, asset=asset).exists():
                ApplicationAsset.objects.create(application=application, asset=asset)
        moment = day_start(dt.date(2024, 1, 1) + dt.timedelta(days=day)) + dt.timedelta(hours=10)
        LoanFactory(application=application, principal=wan(amount), disbursed_at=moment)

    def reported(self, firm_index: int, day: int) -> None:
        self.contracts += 1
        firm = self.firms[firm_index % len(self.firms)]
        on = dt.date(2024, 1, 1) + dt.timedelta(days=day)
        ReportedLoan.objects.create(
            bank=self.bank,
            contract_number=f"R-{self.contracts}",
            borrower_uscc=firm.uscc,
            ip_type=IPType.TRADEMARK,
            principal=wan(200),
            disbursed_on=on,
            disbursed_at=day_start(on),
            district="320682",
            is_tech_sme=firm.is_tech_sme,
            imported_by=self.officer,
        )


def _counted_from_rows(as_of: dt.date) -> dict[str, int]:
    """The indicators' register figures as they were counted before the maintained counts: over every row."""
    live = IPAsset.objects.filter(archived_at__isnull=True, legal_status=LegalStatus.VALID)
    return {
        "invention": live.filter(ip_type=IPType.INVENTION_PATENT).count(),
        "trademarks": live.filter(ip_type=IPType.TRADEMARK).count(),
        "high_value": high_value_invention_patents(as_of).count(),
        "copyright_registrations": IPAsset.objects.filter(
            ip_type__in=(IPType.COPYRIGHT, IPType.SOFTWARE_COPYRIGHT),
            grant_date__gte=dt.date(as_of.year, 1, 1),
            grant_date__lte=as_of,
        ).count(),
        "enterprises": Enterprise.objects.count(),
        "ip_certified": Enterprise.objects.filter(is_ip_certified=True).count(),
    }


def _coverage_from_firms(as_of: dt.date) -> dict[str, int]:
    with_loan = Q(first_loan_on__lte=as_of)
    return Enterprise.objects.filter(is_tech_sme=True).aggregate(
        registered=Count("pk"),
        with_loan=Count("pk", filter=with_loan),
        ever=Count("pk", filter=with_loan | Q(prior_ip_loans__gt=0)),
    )


def _kept() -> tuple[set, set, set]:
    register = {
        (r.dimension, r.ip_type, r.live, r.distinguished, r.day, r.rights)
        for r in RegisterFigure.objects.all()
        if r.rights
    }
    firms = {(r.is_tech_sme, r.is_ip_certified, r.prior_loans, r.firms) for r in FirmFigure.objects.all() if r.firms}
    first = {(r.first_loan_on, r.is_tech_sme, r.prior_loans, r.firms) for r in FirstLoanFigure.objects.all() if r.firms}
    return register, firms, first


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events, days=as_of_days)
def test_the_register_counts_always_equal_the_rows(events, days):
    with transaction.atomic():
        register = Register()
        for kind, *event in events:
            getattr(register, kind)(*event)

        for as_of in days:
            assert register_counts(as_of) == _counted_from_rows(as_of), as_of
            filters = ReportFilters(end=as_of)
            counts, _off = _rolled_coverage(filters, official=False)
            assert counts == _coverage_from_firms(as_of), as_of
            assert counts == _coverage_from_loans(CITY, filters, official=False)[0], as_of

        kept = _kept()
        registers_rebuild()
        assert _kept() == kept
        transaction.set_rollback(True)


def test_a_patent_pledged_for_a_large_loan_becomes_high_value_and_a_small_loan_leaves_it(db):
    register = Register()
    register.right(
        {
            "firm": 0,
            "ip_type": IPType.INVENTION_PATENT,
            "legal_status": LegalStatus.VALID,
            "filed": 5000,
            "granted_after": 400,
            "overseas_family_members": 0,
            "award": Award.NONE,
            "archived": False,
        }
    )
    as_of = dt.date(2026, 6, 30)
    before = register_counts(as_of)["high_value"]
    patent = len(register.rights()) - 1  # the patent just registered (filed 2021: not ten years old)
    register.loan(0, 10, 300, patent)
    assert register_counts(as_of)["high_value"] == before
    register.loan(1, 20, 1500, patent)
    register.loan(2, 30, 1500, patent)  # pledged again for a large loan: still one right
    assert register_counts(as_of)["high_value"] == before + 1 == high_value_invention_patents(as_of).count()


def test_a_firms_first_loan_moves_it_in_the_coverage_counts(db):
    register = Register()
    firm = register.firms[0]
    before = _rolled_coverage(ReportFilters(end=dt.date(2026, 1, 1)), official=False)[0]
    register.reported(0, 100)
    after = _rolled_coverage(ReportFilters(end=dt.date(2026, 1, 1)), official=False)[0]
    assert after["with_loan"] == before["with_loan"] + 1
    assert FirstLoanFigure.objects.get(first_loan_on=dt.date(2024, 4, 10), is_tech_sme=True).firms == 1
    firm.refresh_from_db()
    assert firm.first_loan_on == dt.date(2024, 4, 10)


def test_rebuild_rollups_puts_back_the_register_counts(db):
    register = Register()
    register.right(
        {
            "firm": 0,
            "ip_type": IPType.INVENTION_PATENT,
            "legal_status": LegalStatus.VALID,
            "filed": 100,
            "granted_after": 400,
            "overseas_family_members": 0,
            "award": Award.NONE,
            "archived": False,
        }
    )
    register.loan(0, 10, 1500, 0)  # the right pledged for a large loan, the firm's first loan
    register.reported(0, 100)
    kept = _kept()
    assert all(kept)
    RegisterFigure.objects.all().delete()
    FirmFigure.objects.all().delete()
    FirstLoanFigure.objects.all().delete()
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert json.loads(out.getvalue())["first_loan_figures"] == 1
    assert _kept() == kept
