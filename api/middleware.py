"""Every error under ``/api/`` in the one problem shape, whatever answered it and whatever ``DEBUG`` says.

DRF views answer their own errors (``api.errors.problem_exception_handler``). Django answers the rest before or
after any view: no route matched (404, which with ``DEBUG`` is the technical HTML page), a crash (500, the
technical page with ``DEBUG``), a request it refused (400). This middleware, first in ``MIDDLEWARE`` so it sees
every response, replaces such a response on an ``/api/`` path with its problem document; a crash caused by an
outage of the database, Redis or the broker becomes 503 ``service_unavailable`` with ``Retry-After``. Django has
already logged the crash (``django.request``) by then."""

from __future__ import annotations

import json
import sys

from django.http import HttpResponse
from django.template.loader import render_to_string

from .errors import (
    OUTAGE_RETRY_AFTER_SECONDS,
    PROBLEM_CONTENT_TYPE,
    is_api_path,
    is_outage,
    outage_problem_body,
    status_problem_body,
)

KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
_EXCEPTION_ATTRIBUTE = "_problem_exception"


def remember_exception(sender, request=None, **kwargs) -> None:
    """``got_request_exception`` receiver: note on the request what crashed it (the signal is sent inside the
    ``except`` block, so ``sys.exc_info`` holds it), for the middleware to tell an outage from a bug."""
    if request is not None:
        setattr(request, _EXCEPTION_ATTRIBUTE, sys.exc_info()[1])


class ProblemMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path_info):
            return response
        if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        return problem_response_for(
            request, response.status_code, getattr(request, _EXCEPTION_ATTRIBUTE, None), response
        )


def problem_response_for(request, status_code: int, exc: BaseException | None, original=None) -> HttpResponse:
    instance = request.get_full_path()
    if status_code >= 500 and is_outage(exc):
        body = outage_problem_body(instance)
    else:
        body = status_problem_body(status_code, instance)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=body["status"], content_type=PROBLEM_CONTENT_TYPE
    )
    for header in KEPT_HEADERS:
        if original is not None and original.has_header(header):
            response[header] = original[header]
    if body["status"] == 503:
        response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


def server_error(request, *args, **kwargs) -> HttpResponse:
    """``handler500``: the problem document under ``/api/``; elsewhere a plain page, Chinese first, that needs
    neither the database nor a session (either may be what failed). An outage is 503 with ``Retry-After``."""
    exc = sys.exc_info()[1]
    if is_api_path(request.path_info):
        return problem_response_for(request, 500, exc)
    outage = is_outage(exc)
    response = HttpResponse(
        _site_error_page(outage), status=503 if outage else 500, content_type="text/html; charset=utf-8"
    )
    if outage:
        response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


def _site_error_page(outage: bool) -> str:
    """``500.html`` in the site's layout, rendered without the request (no session, no database: either may be
    what failed); the plain page when even that fails."""
    try:
        return render_to_string("500.html", {"outage": outage})
    except Exception:  # the error page must answer whatever broke
        return OUTAGE_PAGE if outage else ERROR_PAGE


# No inline style: the Content-Security-Policy (issue 21) refuses it, and the page must not need static files.
_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{zh_title} · 通知融</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>{zh_title}</h1><p>{zh_text}</p>
<p lang="en">{en_title}. {en_text}</p>
<p><a href="/">返回首页 · Home</a></p>
</body></html>
"""
ERROR_PAGE = _PAGE.format(
    zh_title="服务器出错了",
    zh_text="我们已记录这个错误，请稍后再试。",
    en_title="Server error",
    en_text="The error has been logged; please try again later.",
)
OUTAGE_PAGE = _PAGE.format(
    zh_title="服务暂时不可用",
    zh_text="平台依赖的服务暂时无法连接，您的操作没有生效，请稍后再试。",
    en_title="Service temporarily unavailable",
    en_text="A service the platform depends on cannot be reached; nothing was changed. Please try again shortly.",
)
