"""Helpers for tests that pin what the database itself refuses."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction


@contextmanager
def refused_by_database(*names: str):
    """Expect the block to raise ``IntegrityError`` naming one of ``names`` (constraint or columns).

    The block runs in its own savepoint, so the test's transaction stays usable afterwards."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        yield
    if names:
        message = str(refused.value)
        assert any(name in message for name in names), message
