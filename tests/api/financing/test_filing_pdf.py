"""The filing package as the PDF both parties read and sign: downloaded by the pledgor and the pledgee alone, the
very bytes whose SHA-256 each signs."""

import hashlib
import json

import pytest

from tests.api.helpers import accepted_offer, client_for
from tests.factories import BankOfficerFactory, EnterpriseFactory, PlatformAdminFactory, UserFactory
from tests.financing.pdf import pdf_fonts, pdf_text
from tongzhirong.accounts.models import Role

pytestmark = pytest.mark.django_db

PDF = "filing-package/pdf/"


@pytest.fixture
def offer(under_review, officer, sme):
    return accepted_offer(under_review, officer, sme)


def flat(text: str) -> str:
    """Without the spaces and line breaks a cell's wrapping puts in."""
    return "".join(text.split())


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if hasattr(response, "streaming_content") else response.content


def test_the_signed_hash_is_the_hash_of_the_pdf_each_party_downloads(offer, officer, sme, under_review):
    package = client_for(officer).post(offer + "filing-package/").json()
    for party in (sme, officer):
        response = client_for(party).get(offer + PDF)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{under_review.reference}-{package["registry"]}-v1.pdf"'
        )
        assert hashlib.sha256(body_of(response)).hexdigest() == package["sha256"]
    for party in (sme, officer):
        signed = client_for(party).post(offer + "filing-package/sign/", {"sha256": package["sha256"]})
        assert signed.status_code == 200, signed.json()
    assert signed.json()["fully_signed"]
    assert {s["party"]: s["document_sha256"] for s in signed.json()["signatures"]} == {
        "pledgor": package["sha256"],
        "pledgee": package["sha256"],
    }


def test_the_pdf_names_the_parties_and_the_pledged_rights_in_chinese(offer, officer, sme, under_review):
    client_for(officer).post(offer + "filing-package/")
    data = body_of(client_for(sme).get(offer + PDF))
    text = flat(pdf_text(data))
    assert flat(under_review.enterprise.legal_name) in text
    assert flat(under_review.product.bank.name) in text
    for asset in under_review.assets.all():
        assert asset.identifier in text
        assert flat(asset.title) in text
    assert ("NotoSansCJKSC", True) in pdf_fonts(data)


def test_the_pdf_prints_the_hash_of_the_content_it_renders(offer, officer, sme):
    package = client_for(officer).post(offer + "filing-package/").json()
    canonical = json.dumps(package["content"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert package["content_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert package["content_sha256"] in flat(pdf_text(body_of(client_for(sme).get(offer + PDF))))


def test_the_pdf_is_the_one_stored_at_generation_not_rendered_again(offer, officer, sme, settings):
    package = client_for(officer).post(offer + "filing-package/").json()
    settings.FILING_PDF_FONT = "/nonexistent/font.ttc"  # a download that rendered would fail now
    response = client_for(sme).get(offer + PDF)
    assert response.status_code == 200
    assert hashlib.sha256(body_of(response)).hexdigest() == package["sha256"]


def test_an_earlier_version_stays_downloadable(offer, officer, sme):
    first = client_for(officer).post(offer + "filing-package/").json()
    second = client_for(officer).post(offer + "filing-package/").json()
    assert second["sha256"] != first["sha256"]  # the version number is printed in the document
    earlier = client_for(sme).get(offer + PDF + "?version=1")
    assert hashlib.sha256(body_of(earlier)).hexdigest() == first["sha256"]
    missing = client_for(sme).get(offer + PDF + "?version=9")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


def test_only_the_pledgor_and_the_pledgee_download_it(offer, officer, sme):
    client_for(officer).post(offer + "filing-package/")
    other_bank = client_for(BankOfficerFactory()).get(offer + PDF)
    other_firm = client_for(UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER))
    platform = client_for(PlatformAdminFactory()).get(offer + PDF)
    assert other_bank.status_code == 404
    assert other_firm.get(offer + PDF).status_code == 404
    assert platform.status_code == 403
    assert platform.json()["code"] == "permission_denied"
    assert platform["Content-Type"] == "application/problem+json"
    assert client_for(None).get(offer + PDF).status_code == 401


def test_before_a_package_is_generated_there_is_no_pdf(offer, sme):
    response = client_for(sme).get(offer + PDF)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_schema_documents_the_pdf(client):
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    operation = schema["paths"]["/api/v1/applications/{id}/filing-package/pdf/"]["get"]
    assert operation["responses"]["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}
    }
    assert {"403", "404"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"id", "registry", "version"}
