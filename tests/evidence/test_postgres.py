"""What PostgreSQL itself refuses (django-pgtrigger): UPDATE and DELETE of the evidence, the audit trail and the
money records, by the ORM and by raw SQL alike; and appends from many connections at once never fork the chain.
Run by the suite's PostgreSQL stage (DATABASE_URL=postgres://… pytest tests/evidence)."""

import threading
from itertools import pairwise

import pytest
from django.db import DatabaseError, connection, transaction

from tongzhirong.core.models import StatusChange
from tongzhirong.evidence.checkpoints import checkpoint_create
from tongzhirong.evidence.models import ChainHead, Checkpoint, Entry
from tongzhirong.evidence.selectors import chain_verify
from tongzhirong.evidence.services import evidence_append
from tongzhirong.financing.models import PackageSignature, Repayment, RepaymentAllocation

from .helpers import repaid_loan_journey

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"),
]


@pytest.fixture
def loan(under_review, officer, sme):
    return repaid_loan_journey(under_review, officer, sme)


def refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(error.value)


@pytest.mark.parametrize(
    "model",
    [Entry, StatusChange, Repayment, RepaymentAllocation, PackageSignature],
    ids=lambda model: model._meta.label,
)
def test_raw_update_and_delete_are_refused(loan, model):
    row = model.objects.order_by("pk").first()
    table = model._meta.db_table
    assert "Cannot update or delete rows" in refused(f"UPDATE {table} SET id = id WHERE id = %s", [row.pk])  # noqa: S608
    assert "Cannot update or delete rows" in refused(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608
    assert model.objects.filter(pk=row.pk).exists()


def test_the_orm_is_refused_too_and_the_chain_stays_intact(loan):
    repayment = Repayment.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        Repayment.objects.filter(pk=repayment.pk).update(reference="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        StatusChange.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ChainHead.objects.all().delete()
    assert Repayment.objects.get().reference == repayment.reference
    assert chain_verify().intact


def test_checkpoints_are_append_only(loan, signing_key):
    checkpoint = checkpoint_create(actor=None)
    with pytest.raises(DatabaseError), transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).update(hash="0" * 64)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain(django_user_model):
    """Twenty connections append at once, each in its own transaction: twenty entries, numbered 1 to 20, each
    chained to the one before."""
    users = [django_user_model.objects.create(username=f"u{n}") for n in range(20)]
    barrier, errors = threading.Barrier(len(users)), []

    def append(user):
        try:
            barrier.wait()
            with transaction.atomic():
                evidence_append(actor=None, kind="test", record=user, fields=("username",))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    entries = list(Entry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, 21))
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(entries))
    assert chain_verify().intact
