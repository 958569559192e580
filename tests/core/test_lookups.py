import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from tests.factories import ApplicationFactory
from tongzhirong.core.lookups import In
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


def test_ids_of_a_foreign_key_select_its_rows():
    first, second = ApplicationFactory.create_batch(2)
    chosen = Application.objects.filter(In(F("enterprise_id"), (second.enterprise_id,)))
    assert list(chosen.values_list("pk", flat=True)) == [second.pk]
    assert first.enterprise_id != second.enterprise_id


def test_values_a_text_column_prepares_go_the_field_s_way():
    application = ApplicationFactory()
    # An int given for a text column is made text by the field, as Django's own ``in`` does.
    assert not Application.objects.filter(In(F("status"), [1, 2])).exists()
    assert Application.objects.filter(In(F("status"), [application.status])).exists()


def test_postgresql_gets_the_ids_as_one_array_text():
    """psycopg dumps a Python list element by element; the ids go as the array's text instead."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    ids = [a.pk for a in ApplicationFactory.create_batch(3)]
    with CaptureQueriesContext(connection) as queries:
        found = list(Application.objects.filter(In(F("pk"), ids)).values_list("pk", flat=True))
    assert sorted(found) == ids
    assert "{" + ",".join(map(str, ids)) + "}" in queries[0]["sql"]
