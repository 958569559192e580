"""JWT sign-in, refresh and sign-out; login lockout (django-axes) and throttling, all answered as problems."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import TEST_PASSWORD, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = TEST_PASSWORD
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: each test starts, and leaves, with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user():
    return UserFactory()


def sign_in(username, password, client=None):
    return (client or APIClient()).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def refresh(token):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def fail_to_sign_in(user, times, client=None):
    return [sign_in(user.username, "not-the-password", client).status_code for _ in range(times)]


# --- Tokens -----------------------------------------------------------------------------------


def test_the_right_password_gets_an_access_and_a_refresh_token(user):
    response = sign_in(user.username, PASSWORD)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_the_access_token_signs_the_caller_in(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sign_in(user.username, PASSWORD).json()['access']}")

    assert client.get("/api/v1/me/").json()["username"] == user.username


def test_signing_in_records_the_last_login(user):
    sign_in(user.username, PASSWORD)

    user.refresh_from_db()
    assert user.last_login is not None


def test_an_access_token_lives_15_minutes(user):
    access = AccessToken(sign_in(user.username, PASSWORD).json()["access"])

    assert access["exp"] - access["iat"] == 15 * 60


def test_a_wrong_password_is_a_401_problem(user):
    response = sign_in(user.username, "not-the-password")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["instance"]) == ("authentication_failed", "/api/v1/auth/token/")


def test_a_refresh_token_gets_a_new_access_and_refresh_token(user):
    tokens = sign_in(user.username, PASSWORD).json()

    response = refresh(tokens["refresh"])

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response.json()["refresh"] != tokens["refresh"]


def test_a_refresh_token_works_only_once(user):
    token = sign_in(user.username, PASSWORD).json()["refresh"]
    refresh(token)

    response = refresh(token)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_logout_answers_204(user):
    token = sign_in(user.username, PASSWORD).json()["refresh"]

    assert APIClient().post("/api/v1/auth/logout/", {"refresh": token}, format="json").status_code == 204


def test_after_logout_the_refresh_token_is_a_401_problem(user):
    token = sign_in(user.username, PASSWORD).json()["refresh"]
    APIClient().post("/api/v1/auth/logout/", {"refresh": token}, format="json")

    response = refresh(token)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["detail"]) == ("authentication_failed", "Token is blacklisted")


def test_a_bad_access_token_is_a_401_problem_with_a_readable_detail():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Given token not valid for any token type"


# --- Lockout (django-axes) ------------------------------------------------------------------


def test_four_wrong_passwords_are_each_a_401(user):
    assert fail_to_sign_in(user, 4) == [401] * 4


def test_the_fifth_wrong_password_locks_the_account_out_with_a_429_problem(user):
    fail_to_sign_in(user, 4)

    response = sign_in(user.username, "not-the-password")

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response["Retry-After"] == str(15 * 60)
    body = response.json()
    assert (body["code"], body["status"], body["instance"]) == ("locked_out", 429, "/api/v1/auth/token/")
    assert "15 minutes" in body["detail"]


def test_the_right_password_is_refused_while_locked_out(user):
    fail_to_sign_in(user, 5)

    response = sign_in(user.username, PASSWORD)

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "access" not in response.json()


def test_the_lockout_is_per_address(user):
    fail_to_sign_in(user, 5)

    assert sign_in(user.username, PASSWORD, APIClient(REMOTE_ADDR="10.0.0.2")).status_code == 200


def test_the_lockout_ends_after_the_cool_off(user):
    fail_to_sign_in(user, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(user.username, PASSWORD).status_code == 200


def test_a_successful_sign_in_forgets_earlier_failures(user):
    fail_to_sign_in(user, 4)
    sign_in(user.username, PASSWORD)

    assert fail_to_sign_in(user, 4) == [401] * 4


def admin_sign_in(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_the_admin_login_locks_out_after_five_wrong_passwords(client):
    staff = SuperuserFactory()
    for _ in range(4):
        assert admin_sign_in(client, staff.username, "not-the-password").status_code == 200

    response = admin_sign_in(client, staff.username, "not-the-password")

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)


def test_the_admin_refuses_the_right_password_while_locked_out(client):
    staff = SuperuserFactory()
    for _ in range(5):
        admin_sign_in(client, staff.username, "not-the-password")

    response = admin_sign_in(client, staff.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_lockout_is_a_plain_message_not_the_login_page(client):
    staff = SuperuserFactory()
    for _ in range(5):
        response = admin_sign_in(client, staff.username, "not-the-password")

    assert response["Content-Type"].startswith("text/plain")
    assert b"<form" not in response.content


# --- Throttling -----------------------------------------------------------------------------


def test_the_eleventh_sign_in_within_a_minute_is_throttled_with_retry_after(user):
    assert {sign_in(user.username, PASSWORD).status_code for _ in range(10)} == {200}

    response = sign_in(user.username, PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_signed_in_caller_over_the_user_rate_is_throttled_with_retry_after(user, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "1/min")
    client = APIClient()
    client.force_authenticate(user)
    client.get("/api/v1/me/")

    response = client.get("/api/v1/me/")

    assert response.status_code == 429
    assert (response.json()["code"], response.json()["status"]) == ("throttled", 429)
    assert 0 < int(response["Retry-After"]) <= 60
