"""Reserve, complete, release and purge idempotency records. The HTTP side lives in ``api/idempotency.py``.

A write sent with an ``Idempotency-Key`` first reserves the key in its own committed transaction, so a concurrent
duplicate collides on the (user, key) constraint instead of running the write twice. The write then runs, and its
response completes the record **in the write's transaction**: the write and its record commit together or not at
all, so a retry either replays the committed response or runs a write that never happened. A failed write
releases its reservation; a process that died holding one loses it when its short lease runs out."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongzhirong.accounts.models import User
from tongzhirong.core.errors import Conflict, DomainError

from .models import LEASE, IdempotencyRecord

# How long a key answers with its stored response; older records are ignored and purged.
RECORD_TTL = timedelta(hours=24)
IN_PROGRESS_DETAIL = "Wait for the first request to finish, then retry to receive its response."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    title = "This Idempotency-Key was already used for a different request."


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    title = "A request with this Idempotency-Key is still being processed."


def idempotency_record_reserve(
    *, actor: User, key: str, method: str, path: str, request_hash: str
) -> tuple[IdempotencyRecord, bool]:
    """Reserve ``key`` for this request, or find the earlier request that used it.

    Returns ``(record, True)`` when this request owns a new reservation and must run the write, then call
    ``idempotency_record_complete`` or ``idempotency_record_release``; ``(record, False)`` when an earlier
    identical request completed and its response should be replayed. Raises ``IdempotencyKeyReused`` when the
    key was used for a different request and ``IdempotencyInProgress`` while the first request still runs."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=actor, key=key, method=method, path=path, request_hash=request_hash
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=actor, key=key).first()
        if existing is None:
            continue  # the first request failed and released the key in the meantime
        if existing.created_at < now - RECORD_TTL:
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if (existing.method, existing.path, existing.request_hash) != (method, path, request_hash):
            raise IdempotencyKeyReused(
                "Send a new Idempotency-Key for a request with another method, path or body.",
            )
        if existing.is_complete:
            return existing, False
        if existing.leased_until > now:
            raise IdempotencyInProgress(IN_PROGRESS_DETAIL)
        if _take_over(existing, now=now):
            return existing, True
    raise IdempotencyInProgress(IN_PROGRESS_DETAIL)


def _take_over(record: IdempotencyRecord, *, now) -> bool:
    """Move an expired reservation to this request under a new token; False if another request got there first
    (or the first request completed after all)."""
    token = uuid.uuid4()
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk, lease_token=record.lease_token, status_code__isnull=True, leased_until__lte=now
    ).update(lease_token=token, leased_until=now + LEASE)
    if taken:
        record.lease_token, record.leased_until = token, now + LEASE
    return bool(taken)


def idempotency_record_complete(
    *, record: IdempotencyRecord, status_code: int, content: bytes, content_type: str
) -> IdempotencyRecord:
    """Store the response that later requests with the same key replay, byte for byte. Call it inside the
    write's transaction: if this request no longer holds the key (its lease ran out and a retry took it over)
    it raises ``IdempotencyInProgress``, which rolls the write back."""
    stored = _held(record).update(status_code=status_code, response_content=content, content_type=content_type)
    if not stored:
        raise IdempotencyInProgress("This request outlived its hold on the Idempotency-Key; its write was undone.")
    record.status_code, record.response_content, record.content_type = status_code, content, content_type
    return record


def idempotency_record_release(*, record: IdempotencyRecord) -> None:
    """Drop a reservation whose write failed, so the same key may be retried at once."""
    _held(record).delete()


def _held(record: IdempotencyRecord):
    return IdempotencyRecord.objects.filter(pk=record.pk, lease_token=record.lease_token, status_code__isnull=True)


def idempotency_records_purge(*, older_than: timedelta = RECORD_TTL) -> int:
    """Delete records past their useful life, including reservations left by a crashed process."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
