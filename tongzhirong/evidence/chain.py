"""The chain's arithmetic, with no database: canonical JSON, the value rules, the entry hash.

A notary or a court recomputes an entry's hash from its exported row with nothing but SHA-256:

    sha256( prev_hash "\\n" seq "\\n" at "\\n" kind "\\n" subject_type "\\n" subject_id "\\n" payload )

UTF-8, where ``seq`` and ``subject_id`` are decimal integers, ``at`` is the recording time in UTC as
``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` and ``payload`` is the canonical JSON text stored with the entry."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal

from django.db import models


def canonical(value) -> str:
    """Sorted keys, no whitespace, UTF-8 characters as themselves: one text for one set of facts."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *, prev_hash: str, seq: int, at: dt.datetime, kind: str, subject_type: str, subject_id: int, payload: str
):
    material = "\n".join((prev_hash, str(seq), timestamp(at), kind, subject_type, str(subject_id), payload))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def fact(field: models.Field | None, value):
    """A stored value as JSON, the same whether it was just written or read back years later: money to the
    field's places, times in UTC to the microsecond, binary content by its SHA-256."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        places = getattr(field, "decimal_places", None)
        return str(value.quantize(Decimal(1).scaleb(-places)) if places is not None else value)
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview | bytearray):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bool | int | str | float | list | dict):
        return value
    return str(value)


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
