"""The paperless pledge filing as both parties meet it: the package, its signatures, the asset list and the
release at payoff."""

import hashlib
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.api.helpers import accepted_offer, client_for, signed_package
from tests.factories import BankOfficerFactory, IPAssetFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus, PledgeRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(under_review, officer, sme):
    return accepted_offer(under_review, officer, sme)


def test_the_package_carries_form_data_contract_items_and_a_hash_of_its_content(offer, officer, sme):
    package = client_for(officer).post(offer + "filing-package/").json()
    content = package["content"]
    assert content["form"]["pledgor"]["address"].startswith("江苏省南通市")
    assert content["form"]["secured_debt"]["amount_yuan"] == str(
        Application.objects.get(reference=content["application"]).approved_amount
    )
    assert [i["code"] for i in content["contract_items"]] == [
        "parties",
        "secured_debt",
        "debt_term",
        "pledged_rights",
        "guarantee_scope",
    ]
    assert all(i["present"] for i in content["contract_items"])
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert package["content_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert package["signatures"] == []
    assert not package["fully_signed"]
    # The SME sees the same package; three patents need no separate list.
    assert client_for(sme).get(offer + "filing-package/").json()["sha256"] == package["sha256"]
    assert client_for(sme).get(offer + "filing-package/asset-list/").status_code == 404


def test_over_ten_patents_go_as_an_xlsx_list_named_in_the_hash(under_review, officer, sme):
    for _ in range(8):
        ApplicationAsset.objects.create(
            application=under_review, asset=IPAssetFactory(owner=under_review.enterprise, forward_citations=30)
        )
    url = accepted_offer(under_review, officer, sme)
    package = client_for(officer).post(url + "filing-package/").json()
    response = client_for(sme).get(url + "filing-package/asset-list/")
    assert response.status_code == 200
    body = b"".join(response) if hasattr(response, "streaming_content") else response.content
    [attachment] = package["content"]["attachments"]
    assert attachment["sha256"] == hashlib.sha256(body).hexdigest()
    rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 11
    assert {r[1] for r in rows[1:]} == set(under_review.assets.values_list("identifier", flat=True))


def test_filing_needs_both_signatures_on_the_current_version(offer, officer, sme):
    first = client_for(officer).post(offer + "filing-package/").json()
    client_for(sme).post(offer + "filing-package/sign/", {"sha256": first["sha256"]})
    refused = client_for(officer).post(offer + "file-pledge/")
    assert refused.status_code == 400
    assert "pledgee" in refused.json()["errors"]["filing_package"][0]
    # A regenerated package supersedes the signed one: its signatures do not carry over.
    second = client_for(officer).post(offer + "filing-package/").json()
    assert second["version"] == 2
    assert second["signatures"] == []
    stale = client_for(officer).post(offer + "filing-package/sign/", {"sha256": first["sha256"]})
    assert stale.status_code == 409
    assert signed_package(offer, officer, sme)["fully_signed"]
    assert client_for(officer).post(offer + "file-pledge/").json()["status"] == "pledge_registration"


def test_who_may_sign(offer, officer, sme, bank):
    sha = client_for(officer).post(offer + "filing-package/").json()["sha256"]
    staff = UserFactory(organisation=sme.organisation, role=Role.SME_STAFF)
    assert client_for(staff).post(offer + "filing-package/sign/", {"sha256": sha}).status_code == 403
    assert client_for(BankOfficerFactory()).post(offer + "filing-package/sign/", {"sha256": sha}).status_code == 404
    assert client_for(sme).post(offer + "filing-package/sign/", {"sha256": sha}).status_code == 200
    again = client_for(sme).post(offer + "filing-package/sign/", {"sha256": sha})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate"
    assert client_for(sme).post(offer + "filing-package/sign/", {"sha256": "nothex"}).status_code == 400
    # Only the bank prepares the package.
    assert client_for(sme).post(offer + "filing-package/").status_code == 403


def test_a_missing_address_stops_the_package_and_fails_ground_8(offer, officer, bank):
    bank.address = ""
    bank.save()
    response = client_for(officer).post(offer + "filing-package/")
    assert response.status_code == 400
    assert "pledgee address" in response.json()["errors"]["pledge_precheck"][0]
    checks = client_for(officer).get(offer + "pledge-precheck/").json()["assets"][0]["checks"]
    assert next(c for c in checks if c["ground"] == 8)["result"] == "fail"


def test_no_package_before_the_offer_is_accepted(under_review, officer):
    url = f"/api/v1/applications/{under_review.pk}/"
    assert client_for(officer).post(url + "filing-package/").status_code == 409
    assert client_for(officer).get(url + "filing-package/").status_code == 404


@pytest.fixture
def disbursed_loan(offer, officer, sme):
    signed_package(offer, officer, sme)
    client_for(officer).post(offer + "file-pledge/")
    client_for(officer).post(
        offer + "record-registration/", {"registration_number": "Y2026320009999", "registered_on": "2026-11-20"}
    )
    response = client_for(officer).post(offer + "disburse/", {"contract_number": "NT-REL-1"})
    assert response.json()["status"] == ApplicationStatus.DISBURSED
    return client_for(sme).get("/api/v1/loans/").json()["results"][0]


def test_payoff_drafts_the_release_and_the_bank_records_it(disbursed_loan, officer, sme):
    url = f"/api/v1/loans/{disbursed_loan['id']}/"
    assert disbursed_loan["pledges"][0]["release_generated_at"] is None
    early = client_for(officer).post(url + "record-release/", {"released_on": "2026-11-24"})
    assert early.status_code == 409
    owed = sum(Decimal(line["principal_due"]) + Decimal(line["interest_due"]) for line in disbursed_loan["schedule"])
    assert client_for(officer).post(url + "repayments/", {"amount": str(owed)}).status_code == 201
    loan = client_for(sme).get(url).json()
    assert loan["status"] == "repaid"
    (release,) = loan["pledges"]
    assert release["release_form"]["registration_number"] == "Y2026320009999"
    assert release["release_form"]["loan_contract"] == "NT-REL-1"
    assert len(release["release_sha256"]) == 64
    assert client_for(sme).post(url + "record-release/", {"released_on": "2026-11-24"}).status_code == 403
    assert client_for(officer).post(url + "record-release/", {"released_on": "2099-01-01"}).status_code == 400
    done = client_for(officer).post(url + "record-release/", {"released_on": "2026-11-24"})
    assert done.status_code == 200, done.json()
    assert done.json()["pledges"][0]["released_on"] == "2026-11-24"
    assert client_for(officer).post(url + "record-release/", {"released_on": "2026-11-24"}).status_code == 409
    assert PledgeRegistration.objects.get(registration_number="Y2026320009999").released_on is not None
