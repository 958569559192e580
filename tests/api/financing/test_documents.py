"""Application documents: PDF or image, checked by content and size; only the parties see them."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.helpers import client_for
from tests.factories import BankOfficerFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationDocument

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(user, application, name, content, kind="financial_statement"):
    return client_for(user).post(
        f"/api/v1/applications/{application.pk}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_the_applicant_attaches_a_pdf_and_the_bank_downloads_the_same_bytes(submitted, sme, officer):
    response = upload(sme, submitted, "2025年财务报表.pdf", PDF)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mime_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["original_name"] == "2025年财务报表.pdf"
    listed = client_for(officer).get(f"/api/v1/applications/{submitted.pk}/documents/").json()["results"]
    assert [d["id"] for d in listed] == [body["id"]]
    download = client_for(officer).get(f"/api/v1/applications/{submitted.pk}/documents/{body['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_the_bank_attaches_an_image(submitted, officer):
    assert upload(officer, submitted, "site-visit.png", PNG, kind="other").status_code == 201


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", PNG, "its name"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "Only PDF, PNG or JPEG"),
        ("empty.pdf", b"", "empty"),
        ("scan.pdf", PDF + b"\x00" * 2048, "at most 1024"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(submitted, sme, settings, tmp_path, name, content, message):
    settings.DOCUMENT_MAX_BYTES = 1024
    response = upload(sme, submitted, name, content)
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["file"])
    assert not ApplicationDocument.objects.exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_an_unknown_kind_is_refused(submitted, sme):
    response = upload(sme, submitted, "a.pdf", PDF, kind="selfie")
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_outsiders_see_nothing(submitted, sme):
    document = upload(sme, submitted, "a.pdf", PDF).json()
    other_bank = BankOfficerFactory()
    assert upload(other_bank, submitted, "b.pdf", PDF).status_code == 404
    url = f"/api/v1/applications/{submitted.pk}/documents/{document['id']}/"
    assert client_for(other_bank).get(url).status_code == 404
    other_sme = UserFactory(role=Role.SME_OWNER)
    assert client_for(other_sme).get(url).status_code == 404


def test_a_withdrawn_application_takes_no_documents(submitted, sme):
    client_for(sme).post(f"/api/v1/applications/{submitted.pk}/withdraw/")
    response = upload(sme, submitted, "late.pdf", PDF)
    assert response.status_code == 409
