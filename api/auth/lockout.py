"""What a locked-out sign-in attempt answers (django-axes' ``AXES_LOCKOUT_CALLABLE``).

429 Too Many Requests with ``Retry-After``: the caller may try again once the cool-off has passed. Because a
failed attempt during the lockout restarts the cool-off (axes' ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``
default), the whole cool-off is exactly the wait. API callers get the problem shape with code ``locked_out``;
the admin's login form gets axes' plain message."""

from __future__ import annotations

from http import HTTPStatus

from axes.helpers import get_cool_off, get_lockout_message
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.renderers import JSONRenderer

from api.errors import problem

API_PATH_PREFIX = "/api/"
LOCKED_OUT_STATUS = HTTPStatus.TOO_MANY_REQUESTS


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Axes calls this with the response it replaces and the credentials tried; neither changes the answer."""
    cool_off = get_cool_off(request)
    retry_after = int(cool_off.total_seconds()) if cool_off else None
    if request.path.startswith(API_PATH_PREFIX):
        response = _rendered(
            problem(
                status_code=LOCKED_OUT_STATUS,
                code="locked_out",
                title=LOCKED_OUT_STATUS.phrase,
                detail=_locked_out_detail(retry_after),
                instance=request.get_full_path(),
            )
        )
    else:
        response = HttpResponse(
            get_lockout_message(), status=LOCKED_OUT_STATUS, content_type="text/plain; charset=utf-8"
        )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _locked_out_detail(retry_after: int | None) -> str:
    if retry_after is None:
        return _("Too many failed sign-in attempts. Ask an administrator to unlock the account.")
    minutes = max(1, round(retry_after / 60))
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _rendered(response):
    """Render the problem here: when axes' middleware sends it, no DRF view is left to render it."""
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = JSONRenderer.media_type
    response.renderer_context = {}
    return response.render()
