"""The HTTP provider's circuit is one circuit for the whole deployment when its state is on Redis: a breaker
another process opened (here, a second breaker object on the same storage) refuses at once. Without Redis the
circuit is the process's own, and a Redis that does not answer leaves each process its own circuit rather than
none. Runs on Redis when one answers at REDIS_TEST_URL (default db 7 on 127.0.0.1), skips that part otherwise."""

from __future__ import annotations

import os
import uuid

import pybreaker
import pytest
import redis

from tongzhirong.facts.sources import SourceUnavailable
from tongzhirong.facts.sources import http as provider

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/7")


def failing():
    raise SourceUnavailable("the provider answered HTTP 503")


def trip(breaker: pybreaker.CircuitBreaker) -> None:
    for _ in range(breaker.fail_max):
        with pytest.raises((SourceUnavailable, pybreaker.CircuitBreakerError)):
            breaker.call(failing)


@pytest.fixture
def base_url():
    return f"http://provider-{uuid.uuid4().hex[:8]}.test"


@pytest.fixture
def on_redis(settings, base_url):
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings.FACTS_HTTP_BREAKER_REDIS_URL = REDIS_URL
    settings.FACTS_HTTP_BREAKER_FAILURES = 3
    yield connection
    for key in connection.scan_iter(f"{provider.BREAKER_NAMESPACE}:{base_url}:*"):
        connection.delete(key)


def test_a_circuit_opened_by_one_process_is_open_in_another(on_redis, base_url):
    this_process = provider.circuit(base_url, storage=provider.circuit_storage(base_url))
    other_process = provider.circuit(base_url, storage=provider.circuit_storage(base_url))
    calls = []

    trip(this_process)

    assert other_process.current_state == pybreaker.STATE_OPEN
    with pytest.raises(pybreaker.CircuitBreakerError):
        other_process.call(lambda: calls.append("asked the provider"))
    assert calls == []


def test_closing_the_circuit_closes_it_for_every_process(on_redis, base_url):
    this_process = provider.circuit(base_url, storage=provider.circuit_storage(base_url))
    other_process = provider.circuit(base_url, storage=provider.circuit_storage(base_url))
    trip(this_process)

    other_process.close()

    assert this_process.current_state == pybreaker.STATE_CLOSED
    assert this_process.call(lambda: "answered") == "answered"


def test_the_provider_s_breaker_is_on_redis_when_configured(on_redis, base_url):
    assert isinstance(provider.breaker(base_url)._state_storage, pybreaker.CircuitRedisStorage)


def test_without_redis_the_circuit_is_the_process_s_own(settings, base_url):
    settings.FACTS_HTTP_BREAKER_REDIS_URL = ""
    settings.FACTS_HTTP_BREAKER_FAILURES = 3
    shared = provider.breaker(base_url)
    assert provider.circuit_storage(base_url) is None
    assert isinstance(shared._state_storage, pybreaker.CircuitMemoryStorage)
    assert provider.breaker(base_url) is shared  # every fetch in this process uses the one circuit

    trip(shared)

    # Another breaker object on the same storage (the same process's circuit) sees it open.
    same_circuit = pybreaker.CircuitBreaker(fail_max=3, state_storage=shared._state_storage)
    assert same_circuit.current_state == pybreaker.STATE_OPEN
    with pytest.raises(pybreaker.CircuitBreakerError):
        same_circuit.call(lambda: "asked the provider")


def test_a_redis_that_does_not_answer_leaves_the_process_its_own_circuit(settings, base_url):
    settings.FACTS_HTTP_BREAKER_REDIS_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    settings.FACTS_HTTP_BREAKER_FAILURES = 3

    fallback = provider.breaker(base_url)
    trip(fallback)

    assert isinstance(fallback._state_storage, pybreaker.CircuitMemoryStorage)
    assert provider.breaker(base_url) is fallback
    with pytest.raises(pybreaker.CircuitBreakerError):
        fallback.call(lambda: "asked the provider")
