"""Limits count real clients: a forged X-Forwarded-For buys nothing when no proxy is trusted; behind trusted
proxies each client has its own budget and lockout; the sign-in page shares the API's sign-in rate; and a cache
(Redis) outage leaves the API answering, counting in local memory, with a warning in the log."""

import logging
import uuid

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, EnterpriseFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core import throttling
from tongzhirong.core.throttling import client_ip

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
PROXY = "127.0.0.1"
# A port nothing listens on: the cache's server is down.
DEAD_REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/5"}


def sign_in(username, password=TEST_PASSWORD, *, forwarded=None, remote=PROXY):
    client = APIClient(REMOTE_ADDR=remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def stranger():
    """A username nobody has: a failure that django-axes does not lock (each one is new)."""
    return f"nobody-{uuid.uuid4().hex[:8]}"


def request_from(remote, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


# --- The client address ------------------------------------------------------------------------------------


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request_from("203.0.113.9", "10.9.9.9")) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(request_from(PROXY, "10.9.9.9, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from(PROXY)) == PROXY


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(request_from(PROXY, "10.9.9.9, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"
    assert client_ip(request_from(PROXY, "203.0.113.9")) == "203.0.113.9"


# --- Throttles ---------------------------------------------------------------------------------------------


def test_a_forged_forwarded_header_does_not_reset_the_sign_in_rate(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    codes = [sign_in(stranger(), "x", forwarded=f"10.0.0.{n}", remote="203.0.113.9").status_code for n in range(10)]

    response = sign_in(stranger(), "x", forwarded="10.0.0.99", remote="203.0.113.9")

    assert set(codes) == {401}
    assert (response.status_code, response.json()["code"]) == (429, "throttled")


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_rate(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(10):
        sign_in(stranger(), "x", forwarded="203.0.113.9")

    assert sign_in(stranger(), "x", forwarded="203.0.113.9").status_code == 429
    assert sign_in(stranger(), "x", forwarded="198.51.100.7").status_code == 401


# --- Lockouts (django-axes) --------------------------------------------------------------------------------


def test_behind_a_proxy_failures_from_one_client_do_not_lock_the_owner_out(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    victim = UserFactory()
    attempts = [sign_in(victim.username, "wrong", forwarded="203.0.113.66").status_code for _ in range(5)]

    assert attempts[-1] == 429  # the attacker's address is locked out of this username
    assert sign_in(victim.username, forwarded="203.0.113.66").json()["code"] == "locked_out"
    assert sign_in(victim.username, forwarded="198.51.100.7").status_code == 200  # the owner, elsewhere


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lockout(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    victim = UserFactory()
    for n in range(5):
        sign_in(victim.username, "wrong", forwarded=f"10.0.0.{n}", remote="203.0.113.66")

    response = sign_in(victim.username, forwarded="10.0.0.200", remote="203.0.113.66")

    assert (response.status_code, response.json()["code"]) == (429, "locked_out")


# --- The sign-in page --------------------------------------------------------------------------------------


def post_login(client, username, password="x"):  # noqa: S107 - a wrong password on purpose
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_the_sign_in_page_is_rate_limited_like_the_api(client):
    codes = [post_login(client, stranger()).status_code for _ in range(10)]

    response = post_login(client, "someone")

    assert set(codes) == {200}  # the form again, with its error
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many sign-in attempts from your address" in response.content.decode()
    assert response.context["form"]["username"].value() == "someone"  # kept for the next try


def test_the_sign_in_page_and_the_token_endpoint_share_one_budget(client):
    for _ in range(10):
        sign_in(stranger(), "x", remote="127.0.0.1")

    assert post_login(client, stranger()).status_code == 429


def test_a_refused_page_sign_in_does_not_count_as_a_password_failure(client):
    """The page refuses before checking anything: the throttle, not the password, answered."""
    user = UserFactory()
    for _ in range(10):
        post_login(client, stranger())

    post_login(client, user.username, "wrong")

    assert not AccessAttempt.objects.filter(username=user.username).exists()


# --- Cache outage ------------------------------------------------------------------------------------------


@pytest.fixture
def redis_down(settings, monkeypatch):
    monkeypatch.setattr(throttling, "_last_warning", float("-inf"))
    settings.CACHES = {**settings.CACHES, "default": DEAD_REDIS}
    yield
    throttling.caches[throttling.FALLBACK_CACHE].clear()


def test_with_the_cache_down_the_api_still_reads_and_writes_and_warns(redis_down, caplog):
    enterprise = EnterpriseFactory()
    owner = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    client = APIClient()
    client.force_authenticate(owner)

    with caplog.at_level(logging.WARNING, logger="tongzhirong.core.throttling"):
        read = client.get("/api/v1/me/")
        token = sign_in(owner.username)

    assert read.status_code == 200
    assert token.status_code == 200
    assert "Throttle cache unreachable" in caplog.text


def test_with_the_cache_down_the_limits_still_hold_in_local_memory(redis_down):
    for _ in range(10):
        sign_in(stranger(), "x", remote="203.0.113.9")

    assert sign_in(stranger(), "x", remote="203.0.113.9").status_code == 429


def test_with_the_cache_down_the_sign_in_page_still_signs_in(redis_down, client):
    user = UserFactory()

    response = post_login(client, user.username, TEST_PASSWORD)

    assert response.status_code == 302
