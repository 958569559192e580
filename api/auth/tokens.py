"""Revocable API tokens (simplejwt).

Every token carries two claims besides simplejwt's: ``auth_epoch``, the user's sign-in epoch when they signed in
(``accounts.User.auth_epoch``, raised by a password, role, organisation or active-flag change), and ``auth_time``,
when they signed in with their password. A token whose epoch is not the user's current one is refused, access and
refresh alike, so a change ends every sign-in at once; the check reads the user that authentication loads anyway.
``auth_time`` survives rotation, so a refresh token cannot be kept alive by rotating it: past
``JWT_REFRESH_ABSOLUTE_LIFETIME`` after the sign-in the caller must sign in again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
    TokenRefreshSerializerExtension,
)
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

EPOCH_CLAIM = "auth_epoch"
AUTH_TIME_CLAIM = "auth_time"

REVOKED = _("This sign-in has ended (password, role or account changed, or signed in too long ago): sign in again.")


class SignInRefreshToken(RefreshToken):
    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[EPOCH_CLAIM] = user.auth_epoch
        token[AUTH_TIME_CLAIM] = token["iat"]
        return token


def sign_in_deadline(token) -> datetime | None:
    """When the sign-in behind ``token`` ends whatever the rotations; None for a token without ``auth_time``."""
    auth_time = token.get(AUTH_TIME_CLAIM)
    if not isinstance(auth_time, int):
        return None
    return datetime.fromtimestamp(auth_time, tz=UTC) + settings.JWT_REFRESH_ABSOLUTE_LIFETIME


def _current(token, user) -> bool:
    return user is not None and user.is_active and token.get(EPOCH_CLAIM) == user.auth_epoch


class JWTSignInAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing an access token issued before the user's sign-in epoch moved on."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not _current(validated_token, user):
            raise AuthenticationFailed(REVOKED, code="token_revoked")
        return user


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    token_class = SignInRefreshToken


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh with rotation, refusing a revoked sign-in and one older than the absolute lifetime; the
    new tokens expire no later than the sign-in does."""

    token_class = SignInRefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.get(api_settings.USER_ID_CLAIM)
        user = get_user_model()._default_manager.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        deadline = sign_in_deadline(refresh)
        now = timezone.now()
        if not _current(refresh, user) or deadline is None or now >= deadline:
            raise AuthenticationFailed(REVOKED, code="token_revoked")

        access = refresh.access_token
        _cap_expiry(access, deadline)
        data = {"access": str(access)}
        if api_settings.ROTATE_REFRESH_TOKENS:
            if api_settings.BLACKLIST_AFTER_ROTATION:
                refresh.blacklist()
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            _cap_expiry(refresh, deadline)
            refresh.outstand()
            data["refresh"] = str(refresh)
        return data


def _cap_expiry(token, deadline: datetime) -> None:
    token["exp"] = min(token["exp"], int(deadline.timestamp()))


# drf-spectacular matches its simplejwt extensions by exact class: the same scheme and shapes for these subclasses.
class JWTSignInScheme(SimpleJWTScheme):
    target_class = JWTSignInAuthentication


class SignInTokenObtainExtension(TokenObtainPairSerializerExtension):
    target_class = TokenObtainPairSerializer


class SignInTokenRefreshExtension(TokenRefreshSerializerExtension):
    target_class = TokenRefreshSerializer
