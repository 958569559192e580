"""The HTTP provider: one JSON contract for every source (docs/fact-sources.md), asked in batches.

httpx keeps the connections (one client per process and base URL); tenacity retries what may pass (a timeout,
a refused or reset connection, a 5xx or 429) with jittered exponential backoff; pybreaker opens the circuit
after ``FACTS_HTTP_BREAKER_FAILURES`` failed requests in a row, so a provider that is down costs one fast
refusal per refresh instead of timeouts times retries, until ``FACTS_HTTP_BREAKER_RESET`` seconds pass and one
trial request is let through. The circuits' state lives in Redis when ``FACTS_HTTP_BREAKER_REDIS_URL`` names one
(the cache's or the broker's by default), so every worker and process sees a circuit another one opened; without
Redis (the embedded default) each process keeps its own in memory. The token comes from the environment
(``FACTS_HTTP_TOKEN``), never the database."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import pybreaker
import redis
from django.conf import settings
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from . import Observation, SourceMalformed, SourceUnavailable, Subject

CONTRACT_PATH = "/v1/facts/query"
CONTRACT_VERSION = "1"


class _Retryable(Exception):
    """A failure worth another attempt: transport errors, 5xx and 429."""


_clients: dict[str, httpx.Client] = {}
_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_local_fallback: dict[str, pybreaker.CircuitBreaker] = {}  # while Redis does not answer
BREAKER_NAMESPACE = "tongzhirong:facts-http"
logger = logging.getLogger(__name__)
_lock = threading.Lock()


def _client(base_url: str) -> httpx.Client:
    with _lock:
        client = _clients.get(base_url)
        if client is None:
            client = _clients[base_url] = httpx.Client(base_url=base_url)
        return client


def breaker(base_url: str) -> pybreaker.CircuitBreaker:
    """The circuit of one provider: one object per process, its state shared through Redis when configured.
    While Redis cannot be reached the process uses a circuit of its own, and asks Redis again next time."""
    with _lock:
        found = _breakers.get(base_url)
        if found is None:
            try:
                found = _breakers[base_url] = circuit(base_url, storage=circuit_storage(base_url))
            except redis.RedisError:
                logger.warning("circuit storage on Redis unavailable; %s keeps its circuit in memory", base_url)
                found = _local_fallback.get(base_url)
                if found is None:
                    found = _local_fallback[base_url] = circuit(base_url)
        return found


def circuit(base_url: str, *, storage: pybreaker.CircuitBreakerStorage | None = None) -> pybreaker.CircuitBreaker:
    """A breaker for ``base_url`` on ``storage`` (its own memory when None). Two breakers on one storage are one
    circuit: what one records, the other acts on."""
    return pybreaker.CircuitBreaker(
        fail_max=settings.FACTS_HTTP_BREAKER_FAILURES,
        reset_timeout=settings.FACTS_HTTP_BREAKER_RESET,
        exclude=[SourceMalformed],
        state_storage=storage,
        name=base_url,
    )


def circuit_storage(base_url: str) -> pybreaker.CircuitBreakerStorage | None:
    """Where the circuit of ``base_url`` keeps its state: Redis (``FACTS_HTTP_BREAKER_REDIS_URL``), one set of keys
    per provider, or None (the breaker's own memory). Raises ``redis.RedisError`` when Redis does not answer."""
    url = settings.FACTS_HTTP_BREAKER_REDIS_URL
    if not url:
        return None
    # Short timeouts: every call reads the circuit's state, and a Redis that hangs must not hold the fetch. Once
    # built, the storage treats a Redis error as a closed circuit (the provider's own timeouts then apply).
    connection = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return pybreaker.CircuitRedisStorage(
        pybreaker.STATE_CLOSED, connection, namespace=f"{BREAKER_NAMESPACE}:{base_url}"
    )


def reset_circuits() -> None:
    """Close every circuit this process knows (on Redis, for every process): tests; an operator after fixing a
    provider."""
    with _lock:
        for found in (*_breakers.values(), *_local_fallback.values()):
            found.close()


class HttpProvider:
    def __init__(
        self, source: str, *, base_url: str | None = None, token: str | None = None, attempts: int | None = None
    ):
        self.source = source
        self.base_url = (base_url or settings.FACTS_HTTP_URL).rstrip("/")
        self.token = settings.FACTS_HTTP_TOKEN if token is None else token
        # Fewer on a person's request (a decision) than in a task: waiting is what a person notices.
        self.attempts = attempts

    def fetch(self, subjects: Sequence[Subject]) -> dict[Subject, list[Observation] | None]:
        found: dict[Subject, list[Observation] | None] = {}
        size = max(1, settings.FACTS_HTTP_BATCH)
        for start in range(0, len(subjects), size):
            found |= self._fetch_batch(subjects[start : start + size])
        return found

    def _fetch_batch(self, subjects: Sequence[Subject]) -> dict[Subject, list[Observation] | None]:
        body = {"contract": CONTRACT_VERSION, "source": self.source, "subjects": [s.as_json() for s in subjects]}
        try:
            answer = breaker(self.base_url).call(self._post, body)
        except pybreaker.CircuitBreakerError as exc:
            raise SourceUnavailable(f"circuit open after repeated failures of {self.base_url}") from exc
        return parse_answer(answer, source=self.source, subjects=subjects)

    def _post(self, body: dict) -> Any:
        try:
            return self._post_with_retries(body)
        except _Retryable as exc:
            raise SourceUnavailable(str(exc)) from exc

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @retry(
        retry=retry_if_exception_type(_Retryable),
        stop=lambda state: stop_after_attempt(state.args[0].attempts or settings.FACTS_HTTP_ATTEMPTS)(state),
        wait=wait_random_exponential(multiplier=0.2, max=2),
        reraise=True,
    )
    def _post_with_retries(self, body: dict) -> Any:
        try:
            response = _client(self.base_url).post(
                CONTRACT_PATH, json=body, headers=self._headers(), timeout=settings.FACTS_HTTP_TIMEOUT
            )
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out after {settings.FACTS_HTTP_TIMEOUT:g} s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"could not reach the provider ({exc.__class__.__name__})") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(f"the provider answered HTTP {response.status_code}")
        if response.status_code in (401, 403):
            raise SourceUnavailable(f"the provider refused our credentials (HTTP {response.status_code})")
        if response.status_code != 200:
            raise SourceUnavailable(f"the provider refused the request (HTTP {response.status_code})")
        try:
            return response.json()
        except ValueError as exc:
            raise SourceMalformed("the answer is not JSON") from exc


def parse_answer(answer: Any, *, source: str, subjects: Sequence[Subject]) -> dict[Subject, list[Observation] | None]:
    """The contract's answer as observations, or ``SourceMalformed`` naming what is wrong. Each subject asked
    must be answered, and nothing else."""
    if not isinstance(answer, dict) or answer.get("source") != source or not isinstance(answer.get("results"), list):
        raise SourceMalformed("the answer lacks its source or results")
    asked = set(subjects)
    found: dict[Subject, list[Observation] | None] = {}
    for n, result in enumerate(answer["results"]):
        if not isinstance(result, dict):
            raise SourceMalformed(f"result {n} is not an object")
        subject = Subject(
            uscc=str(result.get("uscc") or ""),
            ip_type=str(result.get("ip_type") or ""),
            identifier=str(result.get("identifier") or ""),
        )
        if subject not in asked:
            raise SourceMalformed(f"result {n} answers a subject that was not asked about")
        if result.get("found") is False:
            found[subject] = None
            continue
        facts = result.get("facts")
        if result.get("found") is not True or not isinstance(facts, list):
            raise SourceMalformed(f"result {n} has no found flag or facts")
        found[subject] = [_observation(subject, n, item) for item in facts]
    missing = asked - set(found)
    if missing:
        raise SourceMalformed(f"{len(missing)} subject(s) not answered")
    return found


def _observation(subject: Subject, n: int, item: Any) -> Observation:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or "value" not in item:
        raise SourceMalformed(f"result {n} has a fact without a name or value")
    try:
        observed_at = dt.datetime.fromisoformat(str(item.get("observed_at")))
    except ValueError as exc:
        raise SourceMalformed(f"result {n}: observed_at is not an ISO 8601 time") from exc
    if observed_at.tzinfo is None:
        raise SourceMalformed(f"result {n}: observed_at has no time zone")
    return Observation(
        subject=subject,
        name=item["name"],
        value=item["value"],
        reference=str(item.get("reference") or "")[:100],
        observed_at=observed_at,
    )
