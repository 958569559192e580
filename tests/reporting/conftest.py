"""A hand-computed world: two banks, three platform borrowers and one off-platform firm, loans on both
sides of every period boundary. The expected figures are written out in the tests."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    LoanFactory,
    LoanProductFactory,
    OrganisationFactory,
    UserFactory,
    make_uscc,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.money import wan
from tongzhirong.financing.models import ApplicationStatus
from tongzhirong.reporting.models import ReportedLoan
from tongzhirong.reporting.selectors import day_start

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


class World:
    def __init__(self):
        self.bank_a = BankFactory(name="Bank A")
        self.bank_b = BankFactory(name="Bank B")
        self.e1 = EnterpriseFactory(
            district="320613", cluster="next_gen_it", chain="software_it_services", is_tech_sme=True, prior_ip_loans=0
        )
        self.e2 = EnterpriseFactory(
            district="320612", cluster="high_end_textiles", chain="fabrics", is_tech_sme=False, prior_ip_loans=1
        )
        self.e3 = EnterpriseFactory(district="park-netda", cluster="new_energy", chain="pv_storage", is_tech_sme=True)
        self.product_a = LoanProductFactory(bank=self.bank_a)
        self.product_b = LoanProductFactory(bank=self.bank_b)
        self.loans = {
            "L1": self.loan(self.product_a, self.e1, 300, at(2024, 3, 10, 10, 0), submitted=at(2024, 3, 1, 10, 0)),
            # 23:30 in Shanghai on the last day: 15:30 UTC, a 2026 loan.
            "L2": self.loan(self.product_a, self.e1, 500, at(2026, 12, 31, 23, 30), submitted=at(2026, 12, 21, 23, 30)),
            "L3": self.loan(self.product_b, self.e2, 1200, at(2026, 6, 15, 9, 0), submitted=at(2026, 5, 16, 9, 0)),
            # 00:30 on 1 January 2027 in Shanghai is still 2026 in UTC: outside both readings.
            "L4": self.loan(self.product_b, self.e3, 200, at(2027, 1, 1, 0, 30), submitted=at(2026, 12, 1, 0, 30)),
            # 23:59 on the eve of the plan: before the cumulative reading.
            "L5": self.loan(self.product_a, self.e2, 100, at(2023, 12, 31, 23, 59), submitted=at(2023, 12, 1, 0, 0)),
        }
        importer = UserFactory(organisation=self.bank_a, role=Role.BANK_OFFICER)
        self.r1 = self.reported(
            self.bank_b,
            self.e1.uscc,
            400,
            dt.date(2026, 2, 1),
            importer,
            borrower=self.e1,
            district="320613",
            cluster="next_gen_it",
            chain="software_it_services",
            is_tech_sme=True,
        )
        self.outsider_uscc = make_uscc(999_001, division="320682")
        self.r2 = self.reported(
            self.bank_a, self.outsider_uscc, 50, dt.date(2025, 5, 5), importer, district="320682", first_loan=True
        )
        self.city = UserFactory(
            organisation=OrganisationFactory(kind=OrganisationKind.CITY_OFFICE, name="City"), role=Role.ANALYST
        )
        self.officer_a = importer
        self.sme = UserFactory(organisation=self.e1.organisation, role=Role.SME_OWNER)

    def loan(self, product, enterprise, amount_wan, moment, *, submitted):
        application = ApplicationFactory(
            enterprise=enterprise, product=product, status=ApplicationStatus.DISBURSED, submitted_at=submitted
        )
        return LoanFactory(application=application, principal=wan(amount_wan), disbursed_at=moment)

    def reported(self, bank, uscc, amount_wan, day, importer, **fields):
        return ReportedLoan.objects.create(
            bank=bank,
            contract_number=f"R-{bank.pk}-{day:%Y%m%d}",
            borrower_uscc=uscc,
            ip_type="invention_patent",
            ip_identifiers=[],
            principal=wan(amount_wan),
            disbursed_on=day,
            disbursed_at=day_start(day),
            imported_by=importer,
            **fields,
        )


@pytest.fixture
def world(db):
    return World()


def yuan(amount_wan) -> Decimal:
    return wan(amount_wan)
