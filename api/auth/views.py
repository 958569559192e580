"""JWT sign-in for API clients (the browser keeps its session). Tokens (by default access 15 min,
refresh 1 day) are rotated on refresh: the old refresh token is blacklisted, and so is the one handed to
``logout``. An access token stays valid until it expires, so clients should drop it on logout."""

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt

from .lockout import lockout_response


class TokenObtainView(jwt.TokenObtainPairView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Sign in: exchange username and password for an access and a refresh token",
        description="After repeated failures for one username from one address (5 by default) that pair is locked "
        "out for a cool-off (15 minutes by default): 429 with code `locked_out` and `Retry-After`, even for the "
        "right password.",
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except AuthenticationFailed:
            # django-axes marks the DRF request (not the Django one its middleware reads) when it locks out.
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            raise
        # A token sign-in is a sign-in: axes forgets the earlier failures and ``last_login`` is set.
        user_logged_in.send(sender=type(serializer.user), request=request, user=serializer.user)
        return Response(serializer.validated_data, status=status.HTTP_200_OK)


class TokenRefreshView(jwt.TokenRefreshView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Exchange a refresh token for a new access and refresh token",
        description="The refresh token sent is revoked: use the one in the response next time.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(jwt.TokenBlacklistView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Sign out: revoke the refresh token",
        description="The refresh token can no longer be used; drop the access token, which lives until it expires.",
        responses={204: None},
    )
    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_204_NO_CONTENT)
