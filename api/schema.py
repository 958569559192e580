"""The OpenAPI document a client is generated from: one language, every status, every header, typed throughout.

- ``EnglishSchemaGenerator`` builds it in English whatever the caller's ``Accept-Language`` or the project's
  language (titles, descriptions, enum descriptions), so the document is the same bytes for every caller.
- ``ProblemAutoSchema`` documents on every operation the problem-details answers it can give: 401, 403, 406,
  429 (with ``Retry-After``), 500 and 503 (with ``Retry-After``) everywhere; 400 wherever a body, a query
  parameter or a header is read; 404 on a path with an id and on a paginated list (a page past the end); 409
  and 422 on writes; 413 and 415 where a body is sent. A write that takes ``Idempotency-Key`` declares
  ``Idempotent-Replayed`` on its success. In responses every field is required (DRF writes every field of
  an output serializer) unless the serializer declares it ``required=False`` (present only sometimes).
- ``postprocess`` names enum members a generated client can use (``x-enum-varnames``).
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema

from .errors import PROBLEM_CONTENT_TYPE, ProblemSerializer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"

PROBLEM_DESCRIPTIONS = {
    400: "The body, a query parameter or a header is not valid (`validation_failed`, `errors` names each field) "
    "or not well-formed (`malformed_request`).",
    401: "Not signed in, or the token has expired or been revoked.",
    403: "Your organisation or role may not do this.",
    404: "No such object, or not yours to see; on a list, a page past the end.",
    406: "The `Accept` header asks for a media type this operation does not answer in.",
    409: "The object's current state does not allow this (`invalid_transition`, `duplicate`, `locked`, …).",
    413: "The body is larger than the API accepts.",
    415: "The body's media type is not the one this operation takes (`application/json`, or "
    "`multipart/form-data` on an upload).",
    422: "Well-formed but refused by a business rule (`not_eligible`, `rows_rejected`, `idempotency_key_reused`, …).",
    429: "Too many requests (`throttled`) or too many failed sign-ins (`locked_out`): wait `Retry-After` seconds.",
    500: "An unexpected error; it has been logged.",
    503: "A service the platform depends on is unavailable (`service_unavailable`); nothing was changed. Retry "
    "after `Retry-After` seconds.",
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same "
        "`Idempotency-Key`: the write did not run again.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


# The filing package hash rule's worked example (README "API" repeats it; tests/api/common/test_schema.py checks both).
HASH_EXAMPLE_CONTENT = {
    "version": 1,
    "application": "APP-2026-00001",
    "no_forfeiture_clause": True,
    "form": {"pledgor": {"name": "南通示例科技有限公司", "uscc": "91320600MA1XXXXXX0"}, "patent_count": 2},
    "attachments": [],
}
HASH_EXAMPLE_CANONICAL = (
    '{"application":"APP-2026-00001","attachments":[],"form":{"patent_count":2,"pledgor":'
    '{"name":"南通示例科技有限公司","uscc":"91320600MA1XXXXXX0"}},"no_forfeiture_clause":true,"version":1}'
)
HASH_EXAMPLE_SHA256 = "d3c58d7157758808e95464507aab68e7963bd421cda6781eedc8d33957e892c7"
PDF_HASH_RULE = (
    "`sha256` is the SHA-256 (lower-case hex) of the package's PDF, the document both parties read and sign, "
    "exactly as `GET /api/v1/applications/{id}/filing-package/pdf/` hands it over (rendered once, when the "
    "package is generated). Download it, read it, hash its bytes and sign only a `sha256` you computed yourself."
)
CANONICAL_HASH = (
    "the SHA-256 (lower-case hex) of `content` written as canonical JSON: object keys sorted "
    "(by code point), no whitespace (separators `,` and `:`), non-ASCII characters as themselves (not `\\u` "
    "escapes), encoded as UTF-8. In Python: `hashlib.sha256(json.dumps(content, sort_keys=True, "
    "ensure_ascii=False, separators=(',', ':')).encode('utf-8')).hexdigest()`."
)
HASH_RULE = f"`sha256` is {CANONICAL_HASH} Sign only a `sha256` you computed yourself from the `content` you read."
CONTENT_HASH_RULE = (
    f"`content_sha256` is {CANONICAL_HASH} The PDF prints it: recompute it from the `content` you read to know the "
    "PDF renders that data."
)

CONTRACT = f"""

## Conventions

- **Requests** carry `application/json` bodies (UTF-8). Only the uploads (`POST /api/v1/ip-assets/import/`,
  `POST /api/v1/applications/{{id}}/documents/`, `POST /api/v1/reporting/reported-loans/import/`) take
  `multipart/form-data`. Any other media type is refused with 415.
- **Answers** are `application/json`; files are CSV or XLSX (`?format=csv|xlsx`) or the uploaded document's own
  type. Every error under `/api/` is an RFC 9457 problem (`application/problem+json`) with a stable `code`;
  `errors` keys are field paths (`uscc`, `ipc_classes/1`, `co_owners/0/name`).
- **Lists** are paginated everywhere: `?page=` (from 1) and `?page_size=` (at most 200) give
  `{{count, next, previous, results}}`; a page past the end is 404.
- **Money** is a decimal string in yuan (`"2000000.00"`); rates, shares and probabilities of default are
  decimal strings of fractions (`"0.045000"` is 4.5 %).
- **Retries**: a write may carry `Idempotency-Key`; 429 and 503 carry `Retry-After` (seconds).
- This document is English whatever `Accept-Language` says; `detail` and field messages follow it.

## Filing package hash

{PDF_HASH_RULE}

{CONTENT_HASH_RULE}

Worked example: the content `{json.dumps(HASH_EXAMPLE_CONTENT, ensure_ascii=False)}` is written
`{HASH_EXAMPLE_CANONICAL}`, whose SHA-256 is `{HASH_EXAMPLE_SHA256}`.
"""


class EnglishSchemaGenerator(SchemaGenerator):
    def get_schema(self, request=None, public=False):
        with translation.override("en"):
            return super().get_schema(request=request, public=public)


class ProblemAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = {401, 403, 406, 429, 500, 503}
        if "requestBody" in operation:
            codes |= {400, 413, 415}
        if self.method in WRITE_METHODS:
            codes |= {400, 409, 422}
        if any(p["in"] in ("query", "header") for p in parameters):
            codes.add(400)
        if "{" in path or any(p["in"] == "query" and p["name"] == "page" for p in parameters):
            codes.add(404)
        responses = operation["responses"]
        for code in codes:
            if str(code) not in responses:
                response = self._get_response_for_code(ProblemSerializer, str(code), [PROBLEM_CONTENT_TYPE])
                response["description"] = PROBLEM_DESCRIPTIONS[code]
                responses[str(code)] = response
        for code in ("429", "503"):
            responses[code]["headers"] = {
                name: {**header, "required": code == "503"} for name, header in RETRY_AFTER_HEADER.items()
            }
        if any(p["in"] == "header" and p["name"] == IDEMPOTENCY_HEADER for p in parameters):
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(REPLAYED_HEADER)
        for code, response in responses.items():
            if not response.get("description"):
                response["description"] = HTTPStatus(int(code)).phrase
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _resolve_path_parameters(self, variables):
        """An id in a path is matched as digits (``api.urls.Router``, ``[0-9]+`` in actions): an integer."""
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("pattern") == "^[0-9]+$":
                parameter["schema"] = {"type": "integer", "minimum": 0}
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            declared = getattr(type(serializer), "_declared_fields", {})
            optional = {name for name, field in declared.items() if field._kwargs.get("required") is False}
            required = [name for name in schema.get("properties", {}) if name not in optional]
            if required:
                schema["required"] = required
        return schema


def postprocess(result, generator, request, public):
    """drf-spectacular postprocessing hook (after its own enum hook): the contract's rules in the description,
    and a name for every enum member a generated client could not name from its value."""
    result["info"]["description"] = result["info"].get("description", "") + CONTRACT
    _name_enum_members(result)
    return result


def _name_enum_members(node) -> None:
    if isinstance(node, dict):
        values = node.get("enum")
        if values and all(isinstance(v, str) for v in values) and not all(_plain(v) for v in values if v):
            node["x-enum-varnames"] = [_varname(v) for v in values]
        for value in node.values():
            _name_enum_members(value)
    elif isinstance(node, list):
        for value in node:
            _name_enum_members(value)


def _plain(value: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", value))


def _varname(value: str) -> str:
    """``-submitted_at`` → ``SUBMITTED_AT_DESC``, ``1-30`` → ``N_1_30``, ``90+`` → ``N_90_PLUS``."""
    if value == "":
        return "BLANK"
    descending = value.startswith("-")
    name = value.lstrip("-").replace("+", "_plus")
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    if name[:1].isdigit():
        name = "N_" + name
    return name + ("_DESC" if descending else "")
