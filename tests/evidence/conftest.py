"""The evidence tests reuse the API tests' cast (a bank, its officer, an SME with assets, an application under
review) to drive the real flows, and sign checkpoints with a key made for the test."""

import pytest

from tests.api.conftest import assets, bank, checker, officer, product, sme, submitted, under_review  # noqa: F401
from tongzhirong.evidence import keys


@pytest.fixture
def signing_key(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "keys" / "evidence-ed25519.pem"
    return keys.generate(settings.EVIDENCE_SIGNING_KEY)
