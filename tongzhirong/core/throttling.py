"""Who is calling, and how often: the client address behind our proxies, and request-rate limits that survive a
cache outage.

**The client address.** ``REMOTE_ADDR`` is the last hop: behind a load balancer or nginx it is the proxy's
address, the same for every caller. The real address is then the one the outermost *trusted* proxy wrote into
``X-Forwarded-For``; anything further left in that header was written by the caller and proves nothing. So
the number of proxies in front of the application is configuration (``TRUSTED_PROXY_COUNT``, default 0: the
header is ignored entirely, as it must be when clients connect directly). ``client_ip`` is the one rule: the
DRF throttles, django-axes' lockouts (``AXES_CLIENT_IP_CALLABLE``) and the sign-in page's limit all count by it,
which is DRF's own ``NUM_PROXIES`` reading.

**Cache outages.** The throttle counters live in the default cache (Redis in production). When it cannot be
reached, a throttle would raise and every API call, reads included, would answer 500. These throttles instead
count in the process's own memory (the ``throttle-fallback`` local-memory cache) while the cache is down and log
a warning: limits keep holding per process, the API keeps answering, and sign-in lockouts, which live in the
database (django-axes), are untouched."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework import throttling

log = logging.getLogger(__name__)

FALLBACK_CACHE = "throttle-fallback"
# What a cache backend raises when its server is down or slow: redis-py's errors, and the socket's own.
CACHE_ERRORS = (RedisError, OSError)
# One warning a minute per process is enough to page someone without flooding the log during an outage.
_WARN_EVERY_SECONDS = 60.0
_last_warning = float("-inf")


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: with ``TRUSTED_PROXY_COUNT`` = n > 0, the n-th ``X-Forwarded-For`` entry from the
    right (the one the outermost trusted proxy appended); otherwise, or without the header, ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if proxies <= 0 or not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


def _cache_down(throttle: throttling.SimpleRateThrottle, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        log.warning(
            "Throttle cache unreachable (%s: %s); counting %s in this process's memory until it is back",
            type(error).__name__,
            error,
            type(throttle).__name__,
        )
    throttle.cache = caches[FALLBACK_CACHE]


class _CountsTheClientAndSurvivesTheCache:
    def get_ident(self, request) -> str | None:
        return client_ip(request)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            _cache_down(self, error)
            return super().allow_request(request, view)


class AnonRateThrottle(_CountsTheClientAndSurvivesTheCache, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_CountsTheClientAndSurvivesTheCache, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_CountsTheClientAndSurvivesTheCache, throttling.ScopedRateThrottle):
    """Views that set ``throttle_scope``: the API's sign-in endpoints and the sign-in page share the "auth" one."""
