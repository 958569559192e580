"""Reserve, complete, release and purge idempotency records. The HTTP side lives in ``api/idempotency.py``.

A write sent with an ``Idempotency-Key`` first reserves the key in its own committed transaction, so a concurrent
duplicate collides on the (user, key) constraint instead of running the write twice. The write then runs; its
response completes the record, or, if it failed, the reservation is released so the client may retry."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongzhirong.accounts.models import User
from tongzhirong.core.errors import Conflict, DomainError

from .models import IdempotencyRecord

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
    for _attempt in range(2):
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
        if existing.created_at < timezone.now() - RECORD_TTL:
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if (existing.method, existing.path, existing.request_hash) != (method, path, request_hash):
            raise IdempotencyKeyReused(
                "Send a new Idempotency-Key for a request with another method, path or body.",
            )
        if not existing.is_complete:
            raise IdempotencyInProgress(IN_PROGRESS_DETAIL)
        return existing, False
    raise IdempotencyInProgress(IN_PROGRESS_DETAIL)


def idempotency_record_complete(*, record: IdempotencyRecord, status_code: int, body) -> IdempotencyRecord:
    """Store the response that later requests with the same key replay."""
    record.status_code = status_code
    record.response_body = body
    record.save(update_fields=["status_code", "response_body"])
    return record


def idempotency_record_release(*, record: IdempotencyRecord) -> None:
    """Drop a reservation whose write failed, so the same key may be retried."""
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def idempotency_records_purge(*, older_than: timedelta = RECORD_TTL) -> int:
    """Delete records past their useful life, including reservations left by a crashed process."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
