"""A reservation's lease: a request that died loses its key after the lease, and if it was only slow, its late
completion is refused so that its write rolls back instead of happening twice."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import UserFactory
from tongzhirong.idempotency.models import IdempotencyRecord
from tongzhirong.idempotency.services import (
    IdempotencyInProgress,
    idempotency_record_complete,
    idempotency_record_release,
    idempotency_record_reserve,
)
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db


def reserve(user):
    return idempotency_record_reserve(actor=user, key="k", method="POST", path="/x/", request_hash="0" * 64)


def expire(record):
    IdempotencyRecord.objects.filter(pk=record.pk).update(leased_until=timezone.now() - timedelta(seconds=1))


def test_a_held_reservation_refuses_a_second_request():
    user = UserFactory()
    reserve(user)

    with pytest.raises(IdempotencyInProgress):
        reserve(user)


def test_an_expired_reservation_is_taken_over_by_the_retry():
    user = UserFactory()
    first, _ = reserve(user)
    expire(first)

    second, reserved = reserve(user)

    assert reserved
    assert second.pk == first.pk
    assert second.lease_token != first.lease_token


def test_the_slow_first_request_cannot_complete_after_a_takeover_and_its_write_rolls_back():
    user = UserFactory()
    slow, _ = reserve(user)
    expire(slow)
    retry, _ = reserve(user)

    def slow_write():
        with transaction.atomic():
            Notification.objects.create(recipient=user, title="the slow request's write")
            idempotency_record_complete(record=slow, status_code=201, content=b"{}", content_type="application/json")

    with pytest.raises(IdempotencyInProgress):
        slow_write()

    assert not Notification.objects.exists()
    idempotency_record_complete(record=retry, status_code=201, content=b'{"id":1}', content_type="application/json")
    assert bytes(IdempotencyRecord.objects.get().response_content) == b'{"id":1}'


def test_the_slow_first_request_cannot_release_the_retrys_reservation():
    user = UserFactory()
    slow, _ = reserve(user)
    expire(slow)
    reserve(user)

    idempotency_record_release(record=slow)

    assert IdempotencyRecord.objects.exists()
