"""The one error vocabulary. Every business rule that refuses raises a ``DomainError`` subclass with a
stable snake_case ``code``; the API renders them as RFC 9457 problem details with ``status``."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 400
    title = "The request breaks a business rule."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    """Input was well-formed but wrong: ``errors`` maps field → list of messages."""

    code = "validation_failed"
    status = 400
    title = "Some fields are not valid."

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


class RowsRejected(DomainError):
    """A file of records (an import) has problems, so nothing of it was written. ``rows`` lists every problem
    as ``{"row": 3, "field": "identifier", "message": "..."}``: ``row`` as the spreadsheet numbers it (the
    header is row 1), ``field`` the column or ``None`` for the row as a whole."""

    code = "rows_rejected"
    status = 422
    title = "Some rows of the file are not valid; nothing was written."

    def __init__(self, rows: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(detail, rows=rows)
        self.rows = rows


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "No such object, or it is not yours to see."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    title = "Your role may not do this."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "The object's current state does not allow this."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "This status change is not allowed from the current status."


class DuplicateObject(Conflict):
    code = "duplicate"
    title = "An object with the same identity already exists."


class ObjectLocked(Conflict):
    code = "locked"
    title = "The object is in use and can no longer change."


def from_django_validation(exc) -> ValidationFailed:
    """Turn Django's ``ValidationError`` (from ``full_clean``) into our ``ValidationFailed``."""
    if hasattr(exc, "error_dict"):
        return ValidationFailed(
            {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
        )
    return ValidationFailed({"non_field_errors": [str(m) for m in exc.messages]})
