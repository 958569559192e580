"""One error shape for every ``/api/`` URL: RFC 9457 problem details, ``application/problem+json``.

    {"type": "https://tongzhirong.cn/problems/<code>", "title": "...", "status": 409,
     "detail": "...", "code": "<code>", "instance": "/api/v1/...", "errors": {"co_owners/0/name": ["..."]}}

``code`` is stable and snake_case; ``title`` is the HTTP status phrase or the error's own title. ``errors``
appears for field-level problems: each key is the path of the field at fault in the request body (or the query
string), its parts joined by ``/`` — a JSON pointer (RFC 6901) without its leading ``/``: ``uscc``,
``ipc_classes/1``, ``co_owners/0/name``; ``non_field_errors`` for the body as a whole. ``rows`` lists the rows
of an imported file (``rows_rejected``: ``[{"row": 3, "field": "identifier", "message": "..."}]``).

Views' errors go through ``problem_exception_handler`` (DRF's ``EXCEPTION_HANDLER``); everything else under
``/api/`` (unknown routes, errors outside a view, crashes whatever ``DEBUG`` says) through
``api.middleware.ProblemMiddleware``. An outage of a backing service (the database, Redis, the broker) is
503 ``service_unavailable`` with ``Retry-After``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from tongzhirong.core.errors import DomainError

from .parsers import PayloadTooLarge

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://tongzhirong.cn/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PATH_PREFIX = "/api/"

# A backing service is down or unreachable: the request may well succeed later, so 503 with Retry-After.
OUTAGE_ERRORS = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerError,
    ConnectionError,
)
# Long enough for a database failover or a Redis restart, short enough that a client's retry is soon useful.
OUTAGE_RETRY_AFTER_SECONDS = 30

_DRF_CODES = {
    exceptions.ValidationError: "validation_failed",
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    PayloadTooLarge: "payload_too_large",
}

# The code of a problem made from a bare status (an error that no view answered).
STATUS_CODES = {
    400: "malformed_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIX)


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def problem_body(*, status_code: int, code: str, title: str, detail: str, instance: str = "", **extra) -> dict:
    return {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
        "instance": instance,
        **{k: v for k, v in extra.items() if v is not None},
    }


def problem(*, status_code: int, code: str, title: str, detail: str, instance: str = "", **extra) -> Response:
    body = problem_body(status_code=status_code, code=code, title=title, detail=detail, instance=instance, **extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def outage_problem_body(instance: str) -> dict:
    return problem_body(
        status_code=HTTPStatus.SERVICE_UNAVAILABLE,
        code="service_unavailable",
        title=HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        detail=_("A service the platform depends on is unavailable. Nothing was changed; try again later."),
        instance=instance,
    )


def status_problem_body(status_code: int, instance: str) -> dict:
    """The problem for a bare status (Django answered without a view: no route, a crash, a refused body)."""
    phrase = HTTPStatus(status_code).phrase
    code = STATUS_CODES.get(status_code, "client_error" if status_code < 500 else "server_error")
    detail = _("No such resource.") if status_code == 404 else phrase + "."
    return problem_body(status_code=status_code, code=code, title=phrase, detail=detail, instance=instance)


def problem_exception_handler(exc, context):
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, DomainError):
        extra = dict(exc.extra)
        if "errors" in extra:
            extra["errors"] = flatten_errors(extra["errors"])
        return problem(
            status_code=exc.status,
            code=exc.code,
            title=str(exc.title),
            detail=str(exc.detail),
            instance=instance,
            **extra,
        )
    if is_outage(exc):
        set_rollback()
        logger.error("Outage answered 503 at %s", instance, exc_info=exc)
        return Response(
            outage_problem_body(instance),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            content_type=PROBLEM_CONTENT_TYPE,
            headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: logged by Django, answered by ProblemMiddleware
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        detail = _("Some fields are not valid.")  # above the fields' own messages, in the caller's language
        errors = flatten_errors(exc.detail)
    else:
        detail = getattr(exc, "detail", exc)
        if isinstance(detail, dict):  # simplejwt's InvalidToken: {"detail": ..., "code": ..., "messages": [...]}
            detail = detail.get("detail", "")
        detail = str(detail)
    result = problem(
        status_code=response.status_code,
        code=code,
        title=_title(response.status_code),
        detail=detail,
        instance=instance,
        errors=errors,
    )
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            result[header] = response[header]
    return result


def _title(status_code: int) -> str:
    return HTTPStatus(status_code).phrase


def flatten_errors(detail) -> dict[str, list[str]]:
    """``{"co_owners": [{}, {"name": ["..."]}], "ipc_classes": {1: ["..."]}}`` →
    ``{"co_owners/1/name": ["..."], "ipc_classes/1": ["..."]}``: one level, every value a list of messages."""
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    flat: dict[str, list[str]] = {}
    _flatten(detail, (), flat)
    return flat


def _flatten(value, path: tuple[str, ...], flat: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, (*path, _pointer_part(key)), flat)
    elif isinstance(value, (list, tuple)) and any(isinstance(item, (dict, list, tuple)) for item in value):
        for index, item in enumerate(value):
            if item:  # a many=True serializer reports a valid item as {}
                _flatten(item, (*path, str(index)), flat)
    else:
        messages = value if isinstance(value, (list, tuple)) else [value]
        flat.setdefault("/".join(path) or "non_field_errors", []).extend(str(m) for m in messages)


def _pointer_part(key) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")  # RFC 6901 escaping


class RowProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row of the file as a spreadsheet numbers it; the header is row 1.")
    field = serializers.CharField(allow_null=True, help_text="The column, or null for the row as a whole.")
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """The documented error body (RFC 9457)."""

    type = serializers.URLField(help_text="`https://tongzhirong.cn/problems/` followed by `code`.")
    title = serializers.CharField(help_text="The HTTP status phrase, or the kind of refusal.")
    status = serializers.IntegerField(help_text="The HTTP status code, as in the response's status line.")
    detail = serializers.CharField(help_text="What went wrong here, in the caller's language.")
    code = serializers.CharField(
        help_text="Stable snake_case code to branch on: `validation_failed`, `not_found`, `invalid_transition`, "
        "`duplicate`, `locked`, `throttled`, `service_unavailable`, …"
    )
    instance = serializers.CharField(help_text="The request's path and query.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field problems (`validation_failed`): each key is the path of the field at fault in the body "
        "or query, its parts joined by `/` (a JSON pointer without its leading `/`): `uscc`, `ipc_classes/1`, "
        "`co_owners/0/name`; `non_field_errors` for the body as a whole. Each value lists the messages.",
    )
    rows = RowProblemSerializer(
        many=True, required=False, help_text="`rows_rejected`: every problem of an imported file, by row and column."
    )
