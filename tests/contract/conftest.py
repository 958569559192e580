"""The cast of the contract tests: an SME with a profile, two assets and a draft application, and a bank officer
whose bank publishes the product applied for; each signs in through the API and calls with its bearer token.
The throttles are raised for these runs: thousands of generated requests are not an attack."""

import json

import pytest
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import spectacular_settings
from rest_framework import throttling
from werkzeug.test import Client

from tests.factories import (
    TEST_PASSWORD,
    ApplicationFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.wsgi import application

RAISED_RATES = {"anon": "100000/min", "user": "100000/min", "auth": "100000/min"}


def openapi_document() -> dict:
    """The document /api/schema/ serves, as plain JSON."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    return json.loads(OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)))


@pytest.fixture
def raised_throttles(monkeypatch):
    monkeypatch.setattr(throttling.SimpleRateThrottle, "THROTTLE_RATES", RAISED_RATES)


def sign_in(user) -> str:
    """Through the WSGI application, as the fuzzer's requests go (Django's test client would reconnect the
    connection-closing signal that ``in_process_requests`` disconnects)."""
    response = Client(application).post(
        "/api/v1/auth/token/", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.get_data()
    return response.get_json()["access"]


@pytest.fixture
def in_process_requests():
    """Requests sent straight to the WSGI application run inside the test's transaction, as Django's test client
    does: the connection is not closed at the end of each request (on PostgreSQL that would end the test's
    transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def cast(db, raised_throttles, in_process_requests):
    officer = BankOfficerFactory()
    product = LoanProductFactory(bank=officer.organisation)
    enterprise = EnterpriseFactory()
    sme = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    assets = [IPAssetFactory(owner=enterprise) for _ in range(2)]
    application = ApplicationFactory(enterprise=enterprise, product=product)
    application.assets.set(assets[:1])
    return {"sme": sme, "bank_officer": officer}


@pytest.fixture
def bearer(cast):
    tokens = {}

    def headers(role: str) -> dict[str, str]:
        if role not in tokens:
            tokens[role] = sign_in(cast[role])
        return {"Authorization": f"Bearer {tokens[role]}"}

    return headers
