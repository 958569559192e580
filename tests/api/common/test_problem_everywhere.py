"""Every answer under /api/ that is an error is one problem+json document, whoever answered it and whatever
DEBUG says: unknown routes, methods, media types, oversized bodies, crashes and outages (503 + Retry-After)."""

import pytest
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from api.errors import OUTAGE_RETRY_AFTER_SECONDS, PROBLEM_BASE
from tests.api.helpers import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


def assert_problem(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert (body["status"], body["code"], body["type"]) == (status, code, PROBLEM_BASE + code)
    return body


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def signed_in():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(UserFactory())
    return client


@pytest.mark.parametrize(
    "path", ["/api/v1/applications/0.5/collateral/", "/api/v1/no-such-thing/", "/api/v2/", "/api/"]
)
def test_an_unknown_api_route_is_a_404_problem(debug, signed_in, path):
    body = assert_problem(signed_in.get(path), 404, "not_found")

    assert body["instance"] == path


def test_an_unknown_route_outside_the_api_stays_a_page(settings, client):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith(PROBLEM)


def test_a_method_the_endpoint_lacks_is_a_405_problem_with_allow(debug, signed_in):
    response = signed_in.delete("/api/v1/me/")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_an_answer_the_caller_cannot_accept_is_a_406_problem(debug, signed_in):
    assert_problem(signed_in.get("/api/v1/me/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


def test_a_form_body_is_refused_with_415_json_is_the_only_body(signed_in):
    response = signed_in.post("/api/v1/applications/", {"product": "1"}, format="multipart")

    assert_problem(response, 415, "unsupported_media_type")


def test_a_urlencoded_body_is_refused_with_415(signed_in):
    response = signed_in.generic(
        "POST", "/api/v1/applications/", "product=1", content_type="application/x-www-form-urlencoded"
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_a_json_body_over_the_limit_is_a_413_problem(settings, signed_in):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = signed_in.post("/api/v1/applications/", {"purpose": "x" * 2000}, format="json")

    assert_problem(response, 413, "payload_too_large")


def test_malformed_json_is_a_400_problem(signed_in):
    response = signed_in.generic("POST", "/api/v1/applications/", "{not json", content_type="application/json")

    assert_problem(response, 400, "malformed_request")


def test_a_crash_in_a_view_is_a_500_problem_whatever_debug_says(debug, signed_in, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.catalogue.views.loan_product_list", crash)

    body = assert_problem(signed_in.get("/api/v1/products/"), 500, "server_error")

    assert "a bug" not in str(body)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("could not connect to server"),
        InterfaceError("connection already closed"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        BrokerError("[Errno 111] Connection refused"),
    ],
    ids=["database", "database-interface", "redis", "broker"],
)
def test_an_outage_in_a_read_is_a_503_problem_with_retry_after(debug, signed_in, monkeypatch, error):
    def down(**kwargs):
        raise error

    monkeypatch.setattr("api.catalogue.views.loan_product_list", down)

    response = signed_in.get("/api/v1/products/")

    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)


def test_a_broker_outage_in_a_write_is_a_503_problem(signed_in, monkeypatch):
    from tongzhirong.financing.models import Application

    def down(**kwargs):
        raise BrokerError("[Errno 111] Connection refused")

    monkeypatch.setattr("api.applications.views.application_submit", down)
    monkeypatch.setattr("api.applications.views.ApplicationViewSet.get_object", lambda self: Application())

    response = signed_in.post("/api/v1/applications/1/submit/")

    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)


def test_an_outage_outside_any_view_is_a_503_problem_under_debug_too(debug, signed_in, monkeypatch):
    """Django answers a crash in middleware itself (technical page under DEBUG, handler500 without)."""

    def down(self, request):
        raise OperationalError("the database is gone")

    monkeypatch.setattr("django.contrib.messages.middleware.MessageMiddleware.process_request", down)

    response = signed_in.get("/api/v1/me/")

    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)


def test_an_outage_on_a_page_is_a_plain_chinese_first_503_page(settings, monkeypatch):
    settings.DEBUG = False

    def down(*args, **kwargs):
        raise OperationalError("the database is gone")

    monkeypatch.setattr("tongzhirong.web.views.render", down)
    client = APIClient(raise_request_exception=False)

    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert page.index("服务暂时不可用") < page.index("Service temporarily unavailable")


def test_a_crash_on_a_page_is_a_plain_chinese_first_500_page(settings, monkeypatch):
    settings.DEBUG = False

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("tongzhirong.web.views.render", crash)
    client = APIClient(raise_request_exception=False)

    response = client.get("/")

    assert response.status_code == 500
    page = response.content.decode()
    assert page.index("服务器出错了") < page.index("Server error")
    assert "a bug" not in page


def test_nested_field_errors_are_keyed_by_their_path(monkeypatch):
    """``errors`` is one level deep: a list item's or a nested object's problem under ``field/index/name``."""
    sme = UserFactory(organisation__kind="sme")
    from tests.factories import EnterpriseFactory

    EnterpriseFactory(organisation=sme.organisation)
    body = {
        "ip_type": "invention_patent",
        "ipc_classes": ["G06F 17/00", "x" * 41],
        "co_owners": [{"name": "南通甲公司", "share_percent": "10"}, {"share_percent": "10"}],
    }

    response = client_for(sme).post("/api/v1/ip-assets/", body, format="json")

    errors = assert_problem(response, 400, "validation_failed")["errors"]
    assert "ipc_classes/1" in errors
    assert "co_owners/1/name" in errors
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in errors.values())
    assert not any(key.startswith("co_owners/0") for key in errors)


def test_the_plain_error_pages_carry_nothing_the_content_security_policy_refuses():
    from api.middleware import ERROR_PAGE, OUTAGE_PAGE

    for page in (ERROR_PAGE, OUTAGE_PAGE):
        assert "style=" not in page
        assert "<script" not in page
