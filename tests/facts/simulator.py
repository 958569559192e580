"""The register simulator on a free port for one test, with the HTTP provider pointed at it (short timeouts,
two attempts, a circuit that opens after three failures)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongzhirong.demo.simulator import RegisterSimulator, start_in_thread
from tongzhirong.facts.sources.http import reset_circuits

TOKEN = "test-provider-token"


@pytest.fixture
def simulator(settings):
    app = RegisterSimulator(token=TOKEN)
    server = start_in_thread(app)
    settings.FACTS_HTTP_URL = f"http://127.0.0.1:{server.server_port}"
    settings.FACTS_HTTP_TOKEN = TOKEN
    settings.FACTS_HTTP_TIMEOUT = 0.3
    settings.FACTS_HTTP_ATTEMPTS = 2
    settings.FACTS_HTTP_BREAKER_FAILURES = 3
    settings.FACT_SOURCES = dict.fromkeys(("enterprise_register", "court_enforcement", "ip_register"), "http")
    reset_circuits()
    yield app
    server.shutdown()
    server.server_close()


def at(days_ago: float = 1) -> str:
    return (timezone.now() - dt.timedelta(days=days_ago)).isoformat()


def register_record(asset, **facts) -> dict:
    """What the IP register says about ``asset``: each keyword a fact, observed a day ago."""
    return {
        "source": "ip_register",
        "uscc": asset.owner.uscc,
        "ip_type": asset.ip_type,
        "identifier": asset.identifier,
        "facts": [
            {"name": name, "value": value, "reference": f"CNIPA-{asset.identifier}-{name}", "observed_at": at()}
            for name, value in facts.items()
        ],
    }


def enterprise_record(enterprise, source="enterprise_register", **facts) -> dict:
    return {
        "source": source,
        "uscc": enterprise.uscc,
        "facts": [
            {"name": name, "value": value, "reference": f"GSXT-{enterprise.uscc}", "observed_at": at()}
            for name, value in facts.items()
        ],
    }
