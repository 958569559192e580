"""A portfolio mixing patents and a software copyright, through the API: the pledge is filed at CNIPA and at
the copyright centre, each filing with its own package, signatures, registration notice and release."""

from decimal import Decimal

import pytest

from scoring.services import assets_valuate
from tests.api.helpers import accepted_offer, client_for
from tests.factories import BankFactory, EnterpriseFactory, IPAssetFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.core.reference import IPType
from tongzhirong.financing.models import ApplicationAsset, PledgeRegistration
from tongzhirong.products.models import PledgeRateCap

pytestmark = pytest.mark.django_db

SOFTWARE = "2023SR0123456"


@pytest.fixture
def mixed(under_review, officer, sme, product):
    """The three patents under review plus a software copyright; the offer accepted. Returns the URL."""
    PledgeRateCap.objects.update_or_create(
        product=product, ip_type=IPType.SOFTWARE_COPYRIGHT, defaults={"max_pledge_rate": Decimal("0.20")}
    )
    software = IPAssetFactory(
        owner=under_review.enterprise,
        ip_type=IPType.SOFTWARE_COPYRIGHT,
        identifier=SOFTWARE,
        expiry_date=None,
        annual_fee_paid_through=None,
        ipc_classes=[],
    )
    assets_valuate(assets=[software])
    ApplicationAsset.objects.create(application=under_review, asset=software)
    return accepted_offer(under_review, officer, sme)


def sign(url, signer, package, **extra):
    response = client_for(signer).post(url + "filing-package/sign/", {"sha256": package["sha256"], **extra})
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_mixed_portfolio_files_registers_and_is_released_once_per_registry(mixed, officer, sme):
    url, bank, firm = mixed, client_for(officer), client_for(sme)
    before = firm.get(url + "filings/").json()["results"]
    assert [(f["registry"], f["package"], f["registration"]) for f in before] == [
        ("cnipa", None, None),
        ("copyright_centre", None, None),
    ]
    assert before[1]["rights"] == [SOFTWARE]

    # One package per registry, each listing only its own rights.
    assert bank.post(url + "filing-package/").status_code == 400  # which registry?
    generated = bank.post(url + "filings/")
    assert generated.status_code == 201, generated.json()
    cnipa, centre = (f["package"] for f in generated.json()["results"])
    assert cnipa["registry"] == "cnipa"
    assert centre["registry"] == "copyright_centre"
    cnipa_rights = [r["identifier"] for r in cnipa["content"]["form"]["rights"]]
    assert len(cnipa_rights) == 3
    assert SOFTWARE not in cnipa_rights
    assert [r["identifier"] for r in centre["content"]["form"]["rights"]] == [SOFTWARE]
    assert centre["content"]["registry"]["name_zh"] == "中国版权保护中心"
    assert (cnipa["version"], centre["version"]) == (1, 1)
    assert cnipa["sha256"] != centre["sha256"]

    # Each package is signed by both parties on its own; filing waits for all four signatures.
    sign(url, sme, cnipa)
    sign(url, officer, cnipa)
    refused = bank.post(url + "file-pledge/")
    assert refused.status_code == 400
    assert refused.json()["errors"]["filing_package"] == [
        "Copyright Protection Center 中国版权保护中心: still to sign version 1: pledgor, pledgee."
    ]
    sign(url, sme, centre, registry="copyright_centre")
    signed = sign(url, officer, centre)
    assert signed["registry"] == "copyright_centre"
    assert signed["fully_signed"]

    filed = bank.post(url + "file-pledge/")
    assert filed.status_code == 200, filed.json()
    assert filed.json()["status"] == "pledge_registration"
    assert sorted(PledgeRegistration.objects.values_list("registry", flat=True)) == ["cnipa", "copyright_centre"]

    # Each registry's notice is recorded; the loan waits for both.
    notice = {"registration_number": "Y2026320000001", "registered_on": "2026-11-20"}
    assert bank.post(url + "record-registration/", notice).status_code == 400  # which registry?
    first = bank.post(url + "record-registration/", {**notice, "registry": "cnipa"})
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "pledge_registration"
    early = bank.post(url + "disburse/", {"contract_number": "NT-MIX-1"})
    assert early.status_code == 409
    assert "Copyright Protection Center" in early.json()["detail"]
    second = bank.post(
        url + "record-registration/",
        {"registry": "copyright_centre", "registration_number": "ZY2026000001", "registered_on": "2026-11-21"},
    )
    assert second.json()["status"] == "registered"
    shown = {
        f["registry"]: f["registration"]["registration_number"] for f in firm.get(url + "filings/").json()["results"]
    }
    assert shown == {"cnipa": "Y2026320000001", "copyright_centre": "ZY2026000001"}
    reasons = [e["reason"] for e in firm.get(url + "timeline/").json()["results"] if e["to_status"] == "registered"]
    assert reasons == ["registered Y2026320000001, ZY2026000001 [cnipa, copyright_centre]"]

    disbursed = bank.post(url + "disburse/", {"contract_number": "NT-MIX-1"})
    assert disbursed.status_code == 200, disbursed.json()
    loan = firm.get("/api/v1/loans/").json()["results"][0]
    assert [p["registry"] for p in loan["pledges"]] == ["cnipa", "copyright_centre"]

    # Payoff drafts one release per registry, each naming that registry's rights.
    loan_url = f"/api/v1/loans/{loan['id']}/"
    assert bank.post(loan_url + "payoff/", {}, format="json").status_code == 201
    releases = {p["registry"]: p["release_form"] for p in firm.get(loan_url).json()["pledges"]}
    assert releases["copyright_centre"]["rights"] == [SOFTWARE]
    assert releases["copyright_centre"]["registration_number"] == "ZY2026000001"
    assert SOFTWARE not in releases["cnipa"]["rights"]
    assert len(releases["cnipa"]["rights"]) == 3
    assert bank.post(loan_url + "record-release/", {"released_on": "2026-11-24"}).status_code == 400
    for registry in ("cnipa", "copyright_centre"):
        done = bank.post(loan_url + "record-release/", {"registry": registry, "released_on": "2026-11-24"})
        assert done.status_code == 200, done.json()
    assert all(p["released_on"] == "2026-11-24" for p in firm.get(loan_url).json()["pledges"])


def test_a_superseded_package_cannot_be_signed(mixed, officer, sme):
    bank = client_for(officer)
    old = bank.post(mixed + "filings/").json()["results"][1]["package"]
    regenerated = bank.post(mixed + "filing-package/?registry=copyright_centre")
    assert regenerated.status_code == 201
    assert regenerated.json()["version"] == 2
    for extra in ({}, {"registry": "copyright_centre"}):
        stale = client_for(sme).post(mixed + "filing-package/sign/", {"sha256": old["sha256"], **extra})
        assert stale.status_code == 409, stale.json()
    # The other registry's package was not touched.
    assert bank.get(mixed + "filing-package/?registry=cnipa").json()["version"] == 1


def test_another_tenant_cannot_read_or_sign_the_packages(mixed, officer):
    packages = client_for(officer).post(mixed + "filings/").json()["results"]
    other_bank = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    other_firm = UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)
    for stranger in (other_bank, other_firm):
        assert client_for(stranger).get(mixed + "filings/").status_code == 404
        assert client_for(stranger).get(mixed + "filing-package/?registry=copyright_centre").status_code == 404
        signed = client_for(stranger).post(mixed + "filing-package/sign/", {"sha256": packages[1]["package"]["sha256"]})
        assert signed.status_code == 404


def test_an_unknown_or_unneeded_registry_is_a_clear_error(under_review, officer, sme):
    url = accepted_offer(under_review, officer, sme)  # patents only: CNIPA
    bank = client_for(officer)
    assert bank.post(url + "filing-package/?registry=copyright_centre").status_code == 400
    unknown = bank.get(url + "filing-package/?registry=moon")
    assert unknown.status_code == 400
    assert "registry" in unknown.json()["errors"]
    package = bank.post(url + "filing-package/")
    assert package.status_code == 201
    assert package.json()["registry"] == "cnipa"
