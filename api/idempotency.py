"""``Idempotency-Key`` for writes, after the IETF httpapi draft "The Idempotency-Key HTTP Header Field".

Put ``IdempotentMixin`` first among the bases of any ``APIView`` or ``ViewSet``::

    class NotificationViewSet(IdempotentMixin, mixins.ListModelMixin, viewsets.GenericViewSet): ...

A POST, PUT, PATCH or DELETE from a signed-in caller that carries the header (at most 255 characters) is run at
most once per caller and key:

* the same key again, with the same method, path, query and body: the first response is replayed (status and
  body) with ``Idempotent-Replayed: true``, and the view does not run;
* the same key with another method, path, query or body: 422 ``idempotency_key_reused``;
* the same key while the first request is still running: 409 ``idempotency_in_progress``;
* a first request whose view raised (a problem response or a crash) keeps nothing: the key may be retried.

Only responses that the view returned are stored; bodies are compared after parsing, so key order and
whitespace in JSON do not matter. Requests without the header, reads and anonymous callers pass through.
The mixin also documents the header on the view's write operations in the OpenAPI schema."""

from __future__ import annotations

import hashlib
import json

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from tongzhirong.core.errors import ValidationFailed
from tongzhirong.idempotency.models import IdempotencyRecord
from tongzhirong.idempotency.services import (
    idempotency_record_complete,
    idempotency_record_release,
    idempotency_record_reserve,
)

from .schema import ProblemAutoSchema

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique value (for example a UUID, at most 255 characters) that makes retrying this write safe for "
        "24 hours: a repeat with the same key and body replays the first response with the header "
        "`Idempotent-Replayed: true`; the same key with a different body is refused with 422 "
        "`idempotency_key_reused`; a repeat while the first is still running gets 409 `idempotency_in_progress`."
    ),
)


class IdempotentAutoSchema(ProblemAutoSchema):
    """Adds the ``Idempotency-Key`` header parameter to every write operation of the view."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in WRITE_METHODS:
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters


class _Replay(Exception):
    """Flow control, never leaves the mixin: raised from ``initial`` to skip the handler, answered by
    ``handle_exception`` with the stored response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        self.record = record


class IdempotentMixin:
    schema = IdempotentAutoSchema()

    _idempotency_record: IdempotencyRecord | None = None
    _idempotency_view_failed = False

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            # An unhandled error (a 500) never reaches finalize_response: free the key here.
            self._release_idempotency_key()
            raise

    def initial(self, request, *args, **kwargs):
        # After authentication, permissions and throttling: a refused request never reserves a key.
        super().initial(request, *args, **kwargs)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None or request.method not in WRITE_METHODS or not request.user.is_authenticated:
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed({IDEMPOTENCY_HEADER: [f"Send between 1 and {MAX_KEY_LENGTH} characters."]})
        record, reserved = idempotency_record_reserve(
            actor=request.user,
            key=key,
            method=request.method,
            path=request.path,
            request_hash=request_fingerprint(request),
        )
        if not reserved:
            raise _Replay(record)
        self._idempotency_record = record

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return Response(exc.record.response_body, status=exc.record.status_code, headers={REPLAYED_HEADER: "true"})
        self._idempotency_view_failed = True
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self._idempotency_record
        if record is not None:
            if self._idempotency_view_failed or not isinstance(response, Response):
                self._release_idempotency_key()
            else:
                idempotency_record_complete(record=record, status_code=response.status_code, body=response.data)
                self._idempotency_record = None
        return response

    def _release_idempotency_key(self) -> None:
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            idempotency_record_release(record=record)


def request_fingerprint(request) -> str:
    """SHA-256 of the query string and the parsed body, so equal requests hash equal however they are spelled."""
    data = request.data
    if isinstance(data, QueryDict):
        data = {name: data.getlist(name) for name in sorted(data)}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_uploaded_file_digest)
    digest = hashlib.sha256()
    digest.update(request.META.get("QUERY_STRING", "").encode())
    digest.update(b"\n")
    digest.update(body.encode())
    return digest.hexdigest()


def _uploaded_file_digest(value) -> dict[str, str | int]:
    if not hasattr(value, "chunks"):
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)
    return {"name": value.name, "size": value.size, "sha256": digest.hexdigest()}
