"""Every endpoint is in a valid OpenAPI document, with its problem-details errors."""

import json

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

OPENAPI_JSON = "application/vnd.oai.openapi+json"


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_served_without_signing_in(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_the_served_schema_is_a_valid_openapi_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_the_schema_command_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert target.read_text(encoding="utf-8").startswith("openapi: 3.")


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/products/", "/api/v1/ip-assets/"])
def test_every_read_documents_the_problem_shape_for_401_and_403(schema, path):
    responses = schema["paths"][path]["get"]["responses"]

    for status in ("401", "403"):
        assert list(responses[status]["content"]) == ["application/problem+json"]


@pytest.mark.parametrize("path", ["/api/v1/products/{id}/", "/api/v1/ip-assets/{id}/"])
def test_a_detail_endpoint_documents_404(schema, path):
    assert "application/problem+json" in schema["paths"][path]["get"]["responses"]["404"]["content"]


def test_the_problem_shape_is_a_documented_component(schema):
    problem = next(c for name, c in schema["components"]["schemas"].items() if name.startswith("Problem"))

    assert {"type", "title", "status", "detail", "code", "instance"} <= set(problem["required"])


def test_amounts_are_documented_as_decimal_strings(schema):
    product = schema["components"]["schemas"]["LoanProductOutput"]["properties"]

    assert product["max_amount"]["type"] == "string"
    assert product["max_amount"]["format"] == "decimal"
