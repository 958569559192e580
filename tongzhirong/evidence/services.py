"""Appending to the evidence chain. Called by the domain's services inside their own transaction, so a fact and
its entry commit together or not at all."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models, transaction
from django.utils import timezone

from .chain import canonical, entry_hash, fact, label
from .models import ChainHead, Entry

HEAD_PK = 1


def locked_head() -> ChainHead:
    """The head row under ``select_for_update``: held to the end of the caller's transaction, it serialises
    every append, so no two entries can follow the same one. Created on first use (and after a test flush)."""
    head = ChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        ChainHead.objects.get_or_create(pk=HEAD_PK)
        head = ChainHead.objects.select_for_update().get(pk=HEAD_PK)
    return head


def record_facts(record: models.Model, fields: Sequence[str]) -> dict:
    """The named fields of ``record`` as the database holds them now (re-read, so what is chained is what was
    stored, not an in-memory value the database rounded or converted)."""
    meta = record._meta
    by_attname = {meta.get_field(name).attname: meta.get_field(name) for name in fields}
    row = type(record)._base_manager.filter(pk=record.pk).values(*by_attname).get()
    return {attname: fact(field, row[attname]) for attname, field in by_attname.items()}


def evidence_append(
    *,
    actor,
    kind: str,
    record: models.Model,
    fields: Sequence[str],
    subject: models.Model | None = None,
    context: dict | None = None,
) -> Entry:
    """Chain the facts of ``record`` — the named ``fields``, which the domain never changes afterwards, so
    ``verify_audit`` can hold the row to them — as an entry of ``kind`` about ``subject`` (the record itself
    unless given). ``context`` adds facts worth reading later (a reference, a contract number) that are
    chained but not compared with any row."""
    subject = subject if subject is not None else record
    payload = {
        "model": label(type(record)),
        "pk": record.pk,
        "actor": actor.pk if actor is not None else None,
        "fields": record_facts(record, fields),
    }
    if context:
        payload["context"] = _plain(context)
    text = canonical(payload)
    with transaction.atomic():
        head = locked_head()
        seq, at = head.seq + 1, timezone.now()
        subject_type, subject_id = label(type(subject)), subject.pk
        digest = entry_hash(
            prev_hash=head.hash,
            seq=seq,
            at=at,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=text,
        )
        entry = Entry.objects.create(
            seq=seq,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=text,
            prev_hash=head.hash,
            hash=digest,
            created_at=at,
        )
        ChainHead.objects.filter(pk=HEAD_PK).update(seq=seq, hash=digest)
    return entry


def _plain(value):
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return fact(None, value)
