"""The API keeps the contract its schema states, checked by a schema-driven fuzzer (schemathesis) on every
operation, as an SME and as a bank officer: no 5xx, every status documented, every content type and header as
documented, every body valid against its schema. In-process over WSGI; derandomised, so a run is repeatable.

    CONTRACT_EXAMPLES=50 .venv/bin/pytest tests/contract/test_schemathesis.py   # a deeper run than CI's
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tongzhirong.wsgi import application

from .conftest import openapi_document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "6"))

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.mark.parametrize("role", ["sme", "bank_officer"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, role, bearer):
    response = case.call(app=application, headers=bearer(role))

    case.validate_response(response, checks=CHECKS)
