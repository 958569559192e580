"""Fee receipts through the API: the owner uploads (multipart), the pledgee bank confirms, and the asset reads
the new paid-through day; a bank that holds no pledge on it does not even see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import BankOfficerFactory

from .test_fee_receipts import PDF, pledge  # noqa: F401

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_owner_uploads_and_the_pledgee_bank_confirms_through_the_api(pledge):  # noqa: F811
    _, asset, owner, officer = pledge
    paid = timezone.localdate() + dt.timedelta(days=360)

    uploaded = client_for(owner).post(
        "/api/v1/fee-receipts/",
        {"asset": asset.pk, "paid_through": paid.isoformat(), "file": SimpleUploadedFile("收据.pdf", PDF)},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.content
    receipt = uploaded.json()
    assert (receipt["status"], receipt["asset_identifier"], receipt["fact"]) == ("submitted", asset.identifier, None)

    assert client_for(BankOfficerFactory()).post(f"/api/v1/fee-receipts/{receipt['id']}/confirm/").status_code == 404
    confirmed = client_for(officer).post(f"/api/v1/fee-receipts/{receipt['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["fact"] is not None
    asset.refresh_from_db()
    assert asset.annual_fee_paid_through == paid
    download = client_for(officer).get(f"/api/v1/fee-receipts/{receipt['id']}/file/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"


def test_an_asset_that_is_not_yours_is_a_problem_not_a_receipt(pledge):  # noqa: F811
    _, _, owner, officer = pledge
    refused = client_for(owner).post(
        "/api/v1/fee-receipts/",
        {"asset": 999999, "paid_through": "2030-01-01", "file": SimpleUploadedFile("r.pdf", PDF)},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "asset" in refused.json()["errors"]
    assert client_for(officer).post("/api/v1/fee-receipts/", {}, format="multipart").status_code == 403
