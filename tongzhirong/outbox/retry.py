"""The one retry policy of the project's tasks: what is worth trying again, and how patiently.

A task fails on a database or broker error when PostgreSQL restarts, fails over or runs out of connections, or
Redis restarts; those pass, so the task is tried again with exponential backoff (jittered so a hundred tasks
that failed together do not return together). Any other error is a bug or bad data: trying again changes
nothing, so it fails at once and leaves a dead letter (``receivers``)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,  # connection refused or lost, server shutting down, deadlock, serialization
    InterfaceError,  # a connection the server closed under us
    BrokerOperationalError,  # kombu's connection errors, e.g. a retry that could not be published
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,  # the standard library's (refused, reset, aborted)
    TimeoutError,
)


def durable_task(*args, **options):
    """``shared_task`` with the project's retry policy: retried on ``TRANSIENT_ERRORS`` up to
    ``TASK_MAX_RETRIES`` times, waiting 1, 2, 4 … seconds (at most ``TASK_RETRY_BACKOFF_MAX``, jittered).
    With the defaults (10 retries, at most 60 s) a task outlasts an outage of about five minutes."""
    policy = {
        "autoretry_for": TRANSIENT_ERRORS,
        "retry_backoff": True,
        "retry_backoff_max": settings.TASK_RETRY_BACKOFF_MAX,
        "retry_jitter": True,
        "max_retries": settings.TASK_MAX_RETRIES,
    }
    return shared_task(*args, **{**policy, **options})
