"""References are drawn from a locked day counter, never counted: distinct under concurrency, gap-free in order."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import ApplicationFactory, EnterpriseFactory, IPAssetFactory, LoanProductFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.models import ReferenceCounter, next_reference
from tongzhirong.financing.models import Application
from tongzhirong.financing.services import application_create


@pytest.mark.django_db
def test_references_of_a_day_count_up_from_one():
    first, second = next_reference("APP", Application), next_reference("APP", Application)
    assert first.startswith("APP")
    assert len(first) == len("APP") + 8 + 5
    assert (first[-5:], second[-5:]) == ("00001", "00002")
    assert second[:-5] == first[:-5]


@pytest.mark.django_db
def test_a_new_counter_starts_after_the_references_already_issued_today():
    stem = next_reference("APP", Application)[:-5]
    ReferenceCounter.objects.all().delete()  # as on the day the counter was introduced
    ApplicationFactory(reference=f"{stem}00001")
    ApplicationFactory(reference=f"{stem}00002")
    assert next_reference("APP", Application) == f"{stem}00003"


@pytest.mark.django_db
def test_prefixes_count_separately():
    next_reference("APP", Application)
    assert next_reference("CLM", Application).endswith("00001")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_drafts_get_fifty_distinct_references():
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    product = LoanProductFactory(min_amount=Decimal("10000.00"), max_amount=Decimal("30000000.00"))
    # One asset each: an asset in a live draft cannot be pledged by another (issue 17's eligibility).
    portfolios = [[IPAssetFactory(owner=enterprise)] for _ in range(50)]
    errors, barrier = [], threading.Barrier(50)

    def draft(assets):
        barrier.wait()
        try:
            application_create(
                actor=owner,
                enterprise=enterprise,
                product=product,
                assets=assets,
                requested_amount=Decimal("1000000.00"),
                requested_term_months=12,
                repayment_method=product.repayment_methods[0],
            )
        except Exception as exc:  # every failure is the finding
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=draft, args=(portfolio,)) for portfolio in portfolios]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    references = list(Application.objects.filter(enterprise=enterprise).values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 50
    assert sorted(r[-5:] for r in references) == [f"{n:05d}" for n in range(1, 51)]
