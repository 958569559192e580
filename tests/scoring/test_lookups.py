import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from scoring.lookups import In
from tests.factories import ApplicationFactory
from tongzhirong.financing.models import Application

pytestmark = pytest.mark.django_db


def test_in_selects_the_rows_of_the_listed_ids():
    first, second, _ = ApplicationFactory.create_batch(3)
    chosen = Application.objects.filter(In(F("pk"), [second.pk, first.pk, second.pk])).order_by("pk")
    assert list(chosen.values_list("pk", flat=True)) == [first.pk, second.pk]


def test_in_an_empty_list_selects_nothing():
    ApplicationFactory()
    assert not Application.objects.filter(In(F("pk"), [])).exists()


def test_postgresql_gets_one_array_parameter():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    ids = [a.pk for a in ApplicationFactory.create_batch(2)]
    with CaptureQueriesContext(connection) as queries:
        list(Application.objects.filter(In(F("pk"), ids)).values_list("pk", flat=True))
    assert " IN (" not in queries[0]["sql"]
    # Typed as the column: psycopg would send small ids as smallint[], a comparison PostgreSQL cannot hash.
    assert "::bigint[])" in queries[0]["sql"]
