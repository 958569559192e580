"""One error shape for the whole API: RFC 9457 problem details, ``application/problem+json``.

    {"type": "https://tongzhirong.cn/problems/<code>", "title": "...", "status": 409,
     "detail": "...", "code": "<code>", "instance": "/api/v1/...", "errors": {"field": ["..."]}}

``code`` is stable and snake_case; ``errors`` appears for field-level problems, ``rows`` for the rows of an
imported file (``rows_rejected``: ``[{"row": 3, "field": "identifier", "message": "..."}]``).
"""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tongzhirong.core.errors import DomainError

PROBLEM_BASE = "https://tongzhirong.cn/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

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
}


def problem(*, status_code: int, code: str, title: str, detail: str, instance: str = "", **extra) -> Response:
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
        "instance": instance,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc, context):
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, DomainError):
        return problem(
            status_code=exc.status,
            code=exc.code,
            title=str(exc.title),
            detail=str(exc.detail),
            instance=instance,
            **exc.extra,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        detail = "Some fields are not valid."
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
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


class RowProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row of the file as a spreadsheet numbers it; the header is row 1.")
    field = serializers.CharField(allow_null=True, help_text="The column, or null for the row as a whole.")
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """The documented error body (RFC 9457)."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    instance = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    rows = RowProblemSerializer(
        many=True, required=False, help_text="`rows_rejected`: every problem of an imported file, by row and column."
    )
