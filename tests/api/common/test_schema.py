"""Every endpoint is in a valid OpenAPI document, with its problem-details errors."""

import hashlib
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


# --- The contract a generated client trusts (issue 19) --------------------------------------------------------

UPLOADS = {
    ("/api/v1/ip-assets/import/", "post"),
    ("/api/v1/applications/{id}/documents/", "post"),
    ("/api/v1/reporting/reported-loans/import/", "post"),
    ("/api/v1/fee-receipts/", "post"),
    ("/api/v1/bank-model-trainings/", "post"),
}
METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema):
    return [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items() if method in METHODS
    ]


def test_the_schema_is_the_same_bytes_in_every_language(client):
    chinese = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en")

    assert chinese.status_code == english.status_code == 200
    assert chinese.content == english.content


def test_the_title_is_ascii_so_a_client_package_can_be_named_from_it(schema):
    assert schema["info"]["title"] == "Tongzhirong API"
    assert schema["info"]["title"].isascii()


def test_request_bodies_are_json_and_only_uploads_are_multipart(schema):
    for path, method, op in operations(schema):
        if "requestBody" not in op:
            continue
        expected = ["multipart/form-data"] if (path, method) in UPLOADS else ["application/json"]
        assert list(op["requestBody"]["content"]) == expected, (method, path)


def test_every_property_of_every_component_has_a_type(schema):
    typed = ("type", "$ref", "allOf", "oneOf", "anyOf", "enum")
    untyped = []

    def walk(name, node):
        for key, prop in node.get("properties", {}).items():
            if not any(k in prop for k in typed):
                untyped.append(f"{name}.{key}")
            walk(f"{name}.{key}", prop)
        if isinstance(node.get("items"), dict):
            walk(name + "[]", node["items"])
        if isinstance(node.get("additionalProperties"), dict):
            walk(name + "{}", node["additionalProperties"])

    for name, component in schema["components"]["schemas"].items():
        walk(name, component)
    assert untyped == []


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("ApplicationOutput", {"status", "assets", "pd", "approved_amount", "submitted_at"}),
        ("LoanOutput", {"status", "schedule", "pledges", "collateral_health"}),
        ("IPAssetOutput", {"ipc_classes", "nice_classes", "grant_date", "co_owners", "archived_at"}),
        ("PaginatedApplicationOutputList", {"count", "next", "previous", "results"}),
    ],
)
def test_fields_always_present_in_an_answer_are_required(schema, component, fields):
    assert fields <= set(schema["components"]["schemas"][component]["required"])


def test_a_field_present_only_sometimes_stays_optional(schema):
    assert "inclusive" not in schema["components"]["schemas"]["BreakdownRowOutput"]["required"]


def test_one_concept_one_type_probability_of_default_is_a_decimal_string(schema):
    components = schema["components"]["schemas"]
    for name in ("ApplicationOutput", "ApplicationScoreOutput", "MatchOutput"):
        assert (components[name]["properties"]["pd"]["type"], components[name]["properties"]["pd"]["format"]) == (
            "string",
            "decimal",
        ), name


def test_the_signed_package_content_is_documented_field_by_field(schema):
    content = schema["components"]["schemas"]["FilingContentOutput"]

    assert {"version", "application", "form", "contract_items", "attachments"} <= set(content["required"])


@pytest.mark.parametrize(
    "path", ["/api/v1/applications/{id}/documents/", "/api/v1/applications/{id}/timeline/", "/api/v1/loans/"]
)
def test_every_list_is_paginated(schema, path):
    ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert ok["$ref"].split("/")[-1].startswith("Paginated")


def test_every_operation_reading_a_query_documents_400_and_every_list_404(schema):
    for path, method, op in operations(schema):
        names = {(p["in"], p["name"]) for p in op.get("parameters", [])}
        if any(where == "query" for where, _name in names):
            assert "400" in op["responses"], (method, path)
        if ("query", "page") in names or "{" in path:
            assert "404" in op["responses"], (method, path)


def test_every_operation_documents_throttling_and_outages_with_retry_after(schema):
    for path, method, op in operations(schema):
        for status in ("429", "503"):
            response = op["responses"][status]
            assert list(response["content"]) == ["application/problem+json"], (method, path)
            assert response["headers"]["Retry-After"]["schema"]["type"] == "integer", (method, path)


def test_writes_that_take_an_idempotency_key_declare_the_replay_header(schema):
    approve = schema["paths"]["/api/v1/applications/{id}/approve/"]["post"]

    assert "Idempotency-Key" in {p["name"] for p in approve["parameters"]}
    assert "Idempotent-Replayed" in approve["responses"]["200"]["headers"]


def test_downloads_are_binary_in_their_media_types(schema):
    template = schema["paths"]["/api/v1/ip-assets/import-template/"]["get"]["responses"]["200"]["content"]
    document = schema["paths"]["/api/v1/applications/{id}/documents/{document_id}/"]["get"]["responses"]["200"]

    assert list(template) == ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"]
    assert set(document["content"]) == {"application/pdf", "image/png", "image/jpeg"}
    assert all(media["schema"] == {"type": "string", "format": "binary"} for media in template.values())


def test_problem_errors_are_documented_one_level_deep(schema):
    errors = schema["components"]["schemas"]["Problem"]["properties"]["errors"]

    assert errors["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert "co_owners/0/name" in errors["description"]


def test_ordering_values_carry_enum_member_names(schema):
    (ordering,) = [p for p in schema["paths"]["/api/v1/applications/"]["get"]["parameters"] if p["name"] == "ordering"]
    names = dict(zip(ordering["schema"]["enum"], ordering["schema"]["x-enum-varnames"], strict=True))

    assert names["-submitted_at"] == "SUBMITTED_AT_DESC"
    assert names["pd"] == "PD"


def test_the_hash_rules_worked_example_is_right_in_the_code_the_schema_and_the_readme(schema):
    from pathlib import Path

    from api.schema import HASH_EXAMPLE_CANONICAL, HASH_EXAMPLE_CONTENT, HASH_EXAMPLE_SHA256
    from tongzhirong.financing.filing import canonical_sha256

    canonical = json.dumps(HASH_EXAMPLE_CONTENT, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert canonical == HASH_EXAMPLE_CANONICAL
    assert canonical_sha256(HASH_EXAMPLE_CONTENT) == HASH_EXAMPLE_SHA256
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == HASH_EXAMPLE_SHA256
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for text in (schema["info"]["description"], readme):
        assert HASH_EXAMPLE_CANONICAL in text
        assert HASH_EXAMPLE_SHA256 in text
