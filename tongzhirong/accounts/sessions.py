"""Browser sessions end after a spell without requests (``SESSION_IDLE_TIMEOUT``) and a while after signing in
whatever the activity (``SESSION_ABSOLUTE_LIFETIME``); a password, role or account change ends them at once
(``User.get_session_auth_hash``). Covers the pages, the admin and the API's session authentication."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

SIGNED_IN_AT = "tzr_signed_in_at"
LAST_SEEN_AT = "tzr_last_seen_at"
# Writing the last-seen time on every request would save the session on every request; a minute's drift in an
# idle timeout of many minutes costs nothing.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def start_session_clock(sender, request, user, **kwargs) -> None:
    """On ``user_logged_in``. The JWT sign-in sends it too, with DRF's request and no session sign-in behind it:
    that starts nothing (nor resets the clock of a browser session the caller may also hold)."""
    if isinstance(request, HttpRequest) and auth.SESSION_KEY in request.session:
        session = request.session
        session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = timezone.now().timestamp()


class SessionLimitsMiddleware:
    """After SessionMiddleware, AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = timezone.now().timestamp()
        if auth.SESSION_KEY in request.session:
            self._check(request, now)
        return self.get_response(request)

    def _check(self, request, now: float) -> None:
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if signed_in_at is None or last_seen_at is None:
            # Signed in before these limits existed: count from now.
            session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now
            return
        if now - signed_in_at >= settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
            self._sign_out(request, _("You have been signed in too long: sign in again."))
        elif now - last_seen_at >= settings.SESSION_IDLE_TIMEOUT.total_seconds():
            self._sign_out(request, _("You were signed out after a while without activity: sign in again."))
        elif now - last_seen_at >= LAST_SEEN_RESOLUTION.total_seconds():
            session[LAST_SEEN_AT] = now

    @staticmethod
    def _sign_out(request, message: str) -> None:
        auth.logout(request)
        # The sign-in page says why; the API's session callers just get 401/403 as any anonymous caller.
        messages.info(request, message, fail_silently=True)
