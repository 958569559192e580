"""Reporting reads from a replica: the city's figures (aggregates over every loan, read-only, fine a second
behind) are read from ``settings.REPORTING_DATABASE`` — the replica when ``DATABASE_REPLICA_URL`` is set — while
everything else, and every write, stays on the primary. A bank officer reads what they just wrote from the primary.

Views that serve only figures wrap their work in ``reporting_reads()`` (or the ``reads_reporting`` decorator);
the router sends reads made inside it to the reporting database."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from functools import wraps

from django.conf import settings

_reporting = contextvars.ContextVar("reporting_reads", default=False)


@contextmanager
def reporting_reads():
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reads_reporting(view):
    """A view (function or method) whose reads go to the reporting database."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reporting_reads():
            return view(*args, **kwargs)

    return wrapped


class ReportingReplicaRouter:
    """Reads inside ``reporting_reads()`` go to ``REPORTING_DATABASE``; writes and migrations to the primary only."""

    def db_for_read(self, model, **hints):
        return settings.REPORTING_DATABASE if _reporting.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
