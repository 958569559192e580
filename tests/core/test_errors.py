"""One error vocabulary: each refusal has a stable code and an HTTP status."""

import pytest
from django.core.exceptions import ValidationError

from tongzhirong.core import errors


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (errors.ValidationFailed, "validation_failed", 400),
        (errors.NotFound, "not_found", 404),
        (errors.PermissionDenied, "permission_denied", 403),
        (errors.Conflict, "conflict", 409),
        (errors.InvalidTransition, "invalid_transition", 409),
        (errors.DuplicateObject, "duplicate", 409),
        (errors.ObjectLocked, "locked", 409),
    ],
)
def test_each_refusal_has_a_stable_code_and_status(error, code, status):
    assert (error.code, error.status) == (code, status)
    assert issubclass(error, errors.DomainError)


def test_a_refusal_without_detail_explains_itself_with_its_title():
    assert str(errors.ObjectLocked()) == errors.ObjectLocked.title


def test_field_errors_from_model_validation_keep_their_fields():
    exc = ValidationError({"uscc": ["Bad.", "Worse."], "chain": "Wrong chain."})

    assert errors.from_django_validation(exc).errors == {"uscc": ["Bad.", "Worse."], "chain": ["Wrong chain."]}


def test_errors_without_a_field_are_non_field_errors():
    assert errors.from_django_validation(ValidationError("Nope.")).errors == {"non_field_errors": ["Nope."]}
