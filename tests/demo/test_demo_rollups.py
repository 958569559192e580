"""The demo world's city figures from the rollups equal its loans (its banks' reports are bulk-written, around
the reported loan's own upkeep)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from tongzhirong.reporting.selectors import BREAKDOWNS, ReportFilters, Scope
from tongzhirong.reporting.selectors.breakdowns import loan_groups, rolled_groups


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--seed", "42", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("by", BREAKDOWNS)
def test_the_demo_citys_rollups_equal_its_loans(demo, by):
    assert rolled_groups(ReportFilters(), by) == loan_groups(Scope(bank_id=None), ReportFilters(), by)
