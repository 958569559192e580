"""Liveness and readiness probes for load balancers and docker-compose health checks.

``/health/ready`` reports each dependency with a status. Only the database is needed to serve: without it the
probe answers 503 and the instance is taken out of service. Without the cache (throttles fail open), the broker
(writes still commit; the outbox publishes their tasks when it returns) or with a backlog of unfinished tasks
the instance still serves, so the probe answers 200 with ``"status": "degraded"`` and says which dependency.

Apps above core add their own checks with ``register`` (the outbox reports its backlog) rather than core
importing them."""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.utils.crypto import get_random_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

Check = Callable[[], dict]
_REGISTERED: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add a non-critical check: a callable returning ``{"status": "ok" | "degraded" | "error", ...}``."""
    _REGISTERED[name] = check


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    database = _check_database()
    checks = {"database": database, "cache": _check_cache(), "broker": _check_broker()}
    for name, check in _REGISTERED.items():
        checks[name] = _guarded(check) if database["status"] == "ok" else {"status": "error", "error": "database"}
    if database["status"] != "ok":
        status, code = "unavailable", 503
    elif any(result["status"] != "ok" for result in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)


def _guarded(check: Check) -> dict:
    try:
        return check()
    except Exception as exc:  # a probe reports what failed; it never fails itself
        return _error(exc)


def _error(exc: BaseException) -> dict:
    return {"status": "error", "error": exc.__class__.__name__}


def _check_database() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        return _error(exc)
    return {"status": "ok"}


def _check_cache() -> dict:
    key = f"health:{get_random_string(8)}"
    try:
        cache.set(key, "1", timeout=5)
        answered = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:  # the cache backend's own connection errors
        return _error(exc)
    return {"status": "ok"} if answered else {"status": "error", "error": "no answer"}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return {"status": "ok", "detail": "tasks run inline"}  # there is no broker to reach
    try:
        with current_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises transport-specific errors
        return _error(exc)
    return {"status": "ok"}
