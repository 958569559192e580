"""Every API error is an RFC 9457 problem document with a stable code."""

import pytest
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from api.errors import PROBLEM_BASE, problem_exception_handler
from tests.factories import UserFactory
from tongzhirong.core.errors import InvalidTransition, ValidationFailed

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


def handled(exc, path="/api/v1/applications/7/approve/"):
    request = APIView().initialize_request(APIRequestFactory().post(path))
    return problem_exception_handler(exc, {"request": request, "view": None})


@pytest.mark.django_db
def test_an_anonymous_caller_gets_a_401_problem():
    response = APIClient().get("/api/v1/me/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["code"] == "not_authenticated"
    assert body["type"] == PROBLEM_BASE + "not_authenticated"
    assert (body["status"], body["title"], body["instance"]) == (401, "Unauthorized", "/api/v1/me/")
    assert body["detail"]


@pytest.mark.django_db
def test_a_401_says_how_to_authenticate():
    assert APIClient().get("/api/v1/me/")["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_signed_in_person_sees_themselves():
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)

    body = client.get("/api/v1/me/").json()

    assert (body["username"], body["organisation"]["id"], body["role"]) == (
        user.username,
        user.organisation_id,
        user.role,
    )


@pytest.mark.django_db
def test_a_method_the_endpoint_does_not_have_is_a_405_problem_with_allow():
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.post("/api/v1/me/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_domain_refusal_keeps_its_status_code_and_context():
    response = handled(InvalidTransition("draft cannot be approved.", from_status="draft", to_status="approved"))

    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response.data == {
        "type": PROBLEM_BASE + "invalid_transition",
        "title": InvalidTransition.title,
        "status": 409,
        "detail": "draft cannot be approved.",
        "code": "invalid_transition",
        "instance": "/api/v1/applications/7/approve/",
        "from_status": "draft",
        "to_status": "approved",
    }


def test_a_validation_refusal_lists_the_fields_at_fault():
    response = handled(ValidationFailed({"uscc": ["USCC check character should be 6, not 7."]}))

    assert response.status_code == 400
    assert response.data["code"] == "validation_failed"
    assert response.data["errors"] == {"uscc": ["USCC check character should be 6, not 7."]}


def test_an_unexpected_error_is_left_to_djangos_500_handling():
    assert handled(RuntimeError("boom")) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "invalid", "missing"),
    [("zh-hans", "部分字段无效。", "没有这个资源。"), ("en", "Some fields are not valid.", "No such resource.")],
)
def test_the_problems_own_words_speak_the_callers_language(language, invalid, missing):
    """The fields' messages came in Chinese (DRF's catalogue) under a detail that stayed English: 'Some fields are
    not valid.' above '该字段是必填项。'; an unknown route's detail likewise."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(UserFactory())

    refused = client.post("/api/v1/auth/token/", {}, format="json").json()
    assert (refused["code"], refused["detail"]) == ("validation_failed", invalid), refused
    unknown = client.get("/api/v1/no-such-thing/").json()
    assert (unknown["code"], unknown["detail"]) == ("not_found", missing), unknown
