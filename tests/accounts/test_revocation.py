"""Sign-ins end when they should: a password change, a deactivation or a role change (made by the platform in the
admin) ends the person's API tokens and browser sessions at once; a refresh token cannot be rotated past the
absolute lifetime of the sign-in; a browser session ends after a spell without activity and some hours after
signing in."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from api.auth.tokens import REVOKED
from tests.factories import TEST_PASSWORD, BankFactory, SuperuserFactory, UserFactory
from tongzhirong.accounts.models import Role, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-pw-for-tests-2"


@pytest.fixture
def bank():
    return BankFactory()


@pytest.fixture
def officer(bank):
    return UserFactory(organisation=bank, role=Role.BANK_OFFICER)


@pytest.fixture
def platform():
    client = Client()
    client.force_login(SuperuserFactory())
    return client


def sign_in(user, password=TEST_PASSWORD):
    response = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def me(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/me/")


def refresh(token):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def browser(user):
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content
    return client


def signed_in(client) -> bool:
    """What the person meets on their start page: their page, or the sign-in."""
    response = client.get("/bank/")
    return response.status_code == 200


# --- What the platform does in the admin -----------------------------------------------------------


def change_password_in_admin(platform, user):
    response = platform.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content


def edit_in_admin(platform, user, **changes):
    """The admin's change form posted with the person's current values and ``changes``."""
    user = User.objects.get(pk=user.pk)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "organisation": user.organisation_id,
        "role": user.role,
        "phone": user.phone,
        "date_joined_0": timezone.localtime(user.date_joined).strftime("%Y-%m-%d"),
        "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M:%S"),
        **changes,
    }
    data = {key: value for key, value in data.items() if value not in ("", None, False)}
    response = platform.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content


CHANGES = {
    "password": lambda platform, user: change_password_in_admin(platform, user),
    "deactivation": lambda platform, user: edit_in_admin(platform, user, is_active=False),
    "role": lambda platform, user: edit_in_admin(platform, user, role=Role.BANK_CHECKER),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_ends_the_access_token(platform, officer, change):
    tokens = sign_in(officer)
    assert me(tokens["access"]).status_code == 200

    CHANGES[change](platform, officer)

    response = me(tokens["access"])
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_ends_the_refresh_token(platform, officer, change):
    tokens = sign_in(officer)

    CHANGES[change](platform, officer)

    response = refresh(tokens["refresh"])
    assert response.status_code == 401
    assert response.json()["detail"] == REVOKED


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_ends_the_browser_session(platform, officer, change):
    client = browser(officer)
    assert signed_in(client)

    CHANGES[change](platform, officer)

    assert client.get("/bank/").url.startswith("/login/")


def test_tokens_issued_after_a_password_change_work(platform, officer):
    change_password_in_admin(platform, officer)

    tokens = sign_in(officer, NEW_PASSWORD)

    assert me(tokens["access"]).status_code == 200
    assert refresh(tokens["refresh"]).status_code == 200


def test_an_edit_that_changes_no_access_keeps_the_sign_in(platform, officer):
    tokens = sign_in(officer)
    client = browser(officer)

    edit_in_admin(platform, officer, phone="13800000000")

    assert me(tokens["access"]).status_code == 200
    assert refresh(tokens["refresh"]).status_code == 200
    assert signed_in(client)


def test_a_copy_saved_after_a_revocation_does_not_revive_the_tokens(platform, officer):
    """A copy of the person loaded before the change (another request, a task) and saved after it."""
    stale = User.objects.get(pk=officer.pk)
    tokens = sign_in(officer)
    change_password_in_admin(platform, officer)

    stale.phone = "13800000000"
    stale.save()

    assert me(tokens["access"]).status_code == 401


def test_a_password_rehashed_at_sign_in_is_not_a_change(officer, settings):
    """Django re-hashes a stored password under a newer hasher when it is checked: not a new password."""
    tokens = sign_in(officer)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    sign_in(officer)

    assert User.objects.get(pk=officer.pk).password.startswith("pbkdf2_sha1$")
    assert me(tokens["access"]).status_code == 200


def test_the_person_changing_their_own_password_in_the_admin_stays_signed_in_there():
    admin = SuperuserFactory()
    client = Client()
    client.post("/admin/login/", {"username": admin.username, "password": TEST_PASSWORD})
    other = Client()
    other.post("/admin/login/", {"username": admin.username, "password": TEST_PASSWORD})

    response = client.post(
        "/admin/password_change/",
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


def test_a_token_from_before_revocable_tokens_is_refused(officer):
    """Issued by plain simplejwt (no epoch claim), as before this release: sign in again."""
    old = RefreshToken.for_user(officer)

    assert me(str(old.access_token)).status_code == 401
    assert refresh(str(old)).status_code == 401


# --- Absolute lifetime of a sign-in over refresh-token rotation -----------------------------------------


def test_rotation_keeps_a_sign_in_alive_within_its_absolute_lifetime(officer):
    start = timezone.now() - settings.JWT_REFRESH_ABSOLUTE_LIFETIME
    with time_machine.travel(start, tick=False) as clock:
        token = sign_in(officer)["refresh"]
        for _ in range(6):  # every 23 hours, within the refresh token's own day
            clock.shift(timedelta(hours=23))
            response = refresh(token)
            assert response.status_code == 200
            token = response.json()["refresh"]

        assert me(response.json()["access"]).status_code == 200


def test_a_rotated_refresh_token_is_refused_past_the_absolute_lifetime(officer):
    lifetime = settings.JWT_REFRESH_ABSOLUTE_LIFETIME
    start = timezone.now() - lifetime - timedelta(hours=2)
    with time_machine.travel(start, tick=False) as clock:
        token = sign_in(officer)["refresh"]
        elapsed = timedelta(0)
        while elapsed + timedelta(hours=23) < lifetime:
            clock.shift(timedelta(hours=23))
            elapsed += timedelta(hours=23)
            token = refresh(token).json()["refresh"]
        # The last rotation's token expires with the sign-in, not a day after it.
        assert RefreshToken(token, verify=False)["exp"] <= int((start + lifetime).timestamp())

        clock.shift(lifetime - elapsed + timedelta(minutes=1))
        response = refresh(token)

    assert response.status_code == 401


def test_a_refresh_past_the_absolute_lifetime_is_refused_even_if_the_token_has_not_expired(officer, settings):
    """With a refresh lifetime longer than the sign-in's, the sign-in's wins."""
    settings.JWT_REFRESH_ABSOLUTE_LIFETIME = timedelta(hours=1)
    start = timezone.now() - timedelta(hours=2)
    with time_machine.travel(start, tick=False) as clock:
        token = sign_in(officer)["refresh"]
        clock.shift(timedelta(hours=1, minutes=1))
        response = refresh(token)

    assert response.status_code == 401


# --- Browser sessions ---------------------------------------------------------------------------------------


def test_a_browser_session_ends_after_the_idle_timeout(officer):
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False) as clock:
        client = browser(officer)
        assert signed_in(client)

        clock.shift(settings.SESSION_IDLE_TIMEOUT + timedelta(seconds=1))
        response = client.get("/bank/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "signed out after a while without activity" in response.content.decode()


def test_activity_keeps_a_browser_session_alive(officer):
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False) as clock:
        client = browser(officer)
        for _ in range(5):
            clock.shift(settings.SESSION_IDLE_TIMEOUT - timedelta(minutes=2))
            assert signed_in(client)


def test_a_browser_session_ends_after_its_absolute_lifetime_however_active(officer):
    step = settings.SESSION_IDLE_TIMEOUT - timedelta(minutes=2)
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False) as clock:
        client = browser(officer)
        elapsed = timedelta(0)
        while elapsed + step < settings.SESSION_ABSOLUTE_LIFETIME:
            clock.shift(step)
            elapsed += step
            assert signed_in(client)

        clock.shift(step)
        response = client.get("/bank/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "signed in too long" in response.content.decode()


def test_the_admin_session_ends_after_the_idle_timeout():
    admin = SuperuserFactory()
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False) as clock:
        client = Client()
        client.post("/admin/login/", {"username": admin.username, "password": TEST_PASSWORD})
        assert client.get("/admin/").status_code == 200

        clock.shift(settings.SESSION_IDLE_TIMEOUT + timedelta(seconds=1))

        assert client.get("/admin/").status_code == 302
