"""``Idempotency-Key`` for writes, after the IETF httpapi draft "The Idempotency-Key HTTP Header Field".

Put ``IdempotentMixin`` first among the bases of any ``APIView`` or ``ViewSet``::

    class NotificationViewSet(IdempotentMixin, mixins.ListModelMixin, viewsets.GenericViewSet): ...

A POST, PUT, PATCH or DELETE from a signed-in caller that carries the header (at most 255 characters) is run at
most once per caller and key:

* the same key again, with the same method, path, query and body: the first response is replayed (status,
  content type and the very bytes of its body) with ``Idempotent-Replayed: true``, and the view does not run;
* the same key with another method, path, query or body: 422 ``idempotency_key_reused``;
* the same key while the first request is still running: 409 ``idempotency_in_progress``;
* a first request whose view raised (a problem response or a crash) keeps nothing: the key may be retried; one
  whose process died keeps the key for a short lease (``tongzhirong.idempotency.models.LEASE``), then a retry
  runs.

The view's handler and the storing of its response run in one transaction, so a write is never committed without
the record that replays it (nor the other way round). Only responses that the view returned are stored; bodies
are compared after parsing, so key order and whitespace in JSON do not matter. Requests without the header, reads
and anonymous callers pass through. The mixin also documents the header on the view's write operations in the
OpenAPI schema."""

from __future__ import annotations

import hashlib
import json
from functools import wraps

from django.db import transaction
from django.http import HttpResponse, QueryDict
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
        # DRF looks the handler up on the instance after ``initial`` (as ``as_view`` binds a viewset's actions).
        name = request.method.lower()
        handler = getattr(self, name, None)
        if handler is not None:
            setattr(self, name, self._storing_response(handler))

    def _storing_response(self, handler):
        """``handler`` and the storing of its rendered response, in one transaction."""

        @wraps(handler)
        def run(request, *args, **kwargs):
            with transaction.atomic():
                response = handler(request, *args, **kwargs)
                if isinstance(response, Response):
                    self._render(request, response)
                    idempotency_record_complete(
                        record=self._idempotency_record,
                        status_code=response.status_code,
                        content=response.content,
                        content_type=response["Content-Type"],
                    )
                    self._idempotency_record = None
            return response

        return run

    def _render(self, request, response: Response) -> None:
        # What ``finalize_response`` would set before Django renders the response, done early to store the bytes.
        response.accepted_renderer = request.accepted_renderer
        response.accepted_media_type = request.accepted_media_type
        response.renderer_context = self.get_renderer_context()
        response.render()

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            response = HttpResponse(
                bytes(record.response_content), status=record.status_code, content_type=record.content_type
            )
            response[REPLAYED_HEADER] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_record is not None:  # the handler did not complete it: it failed or never ran
            self._release_idempotency_key()
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
