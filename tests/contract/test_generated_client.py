"""A client generated from the schema by openapi-python-client (as a bank's integration team would make one)
imports whole and carries a lending journey end to end through its own code only: sign in, register an asset,
apply, approve, sign and file the pledge, disburse, read the loan. Against a live server over HTTP."""

import datetime as dt
import importlib
import json
import pkgutil
import subprocess
import sys
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import (
    TEST_PASSWORD,
    BankFactory,
    LoanProductFactory,
    OrganisationFactory,
    UserFactory,
    make_patent_number,
    make_uscc,
)
from tongzhirong.accounts.models import OrganisationKind, Role

from .conftest import openapi_document

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "tongzhirong_client"


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The client package, generated once per run from the schema the app serves, on sys.path."""
    where = tmp_path_factory.mktemp("client")
    document = where / "openapi.json"
    document.write_text(json.dumps(openapi_document(), ensure_ascii=False), encoding="utf-8")
    command = [str(GENERATOR), "generate", "--path", str(document), "--meta", "none"]
    command += ["--output-path", str(where / PACKAGE), "--config", str(ROOT / "api" / "client-config.yml")]
    run = subprocess.run(  # noqa: S603 - our own virtualenv's generator on the schema we just wrote
        command,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE), run.stdout + run.stderr
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generator_leaves_nothing_out(generated):
    _package, output = generated

    assert "WARNING" not in output, output


def test_every_generated_module_imports(generated):
    package, _output = generated
    failures, modules = {}, 0
    for info in pkgutil.walk_packages(package.__path__, PACKAGE + "."):
        modules += 1
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            failures[info.name] = repr(exc)

    assert failures == {}
    assert modules > 200  # one module per operation and per model


def ok(response, status=200):
    assert response.status_code == status, response.content[:500]
    return response.parsed


@pytest.mark.django_db(transaction=True)
def test_a_lending_journey_through_the_generated_client_only(generated, live_server, raised_throttles):
    api = importlib.import_module(PACKAGE + ".api.v1")
    models = importlib.import_module(PACKAGE + ".models")
    client_module = importlib.import_module(PACKAGE + ".client")

    def call(operation: str):
        return importlib.import_module(f"{api.__name__}.{operation}").sync_detailed

    bank = BankFactory(maker_checker_threshold=Decimal("100000000.00"))
    officer = UserFactory(organisation=bank, role=Role.BANK_OFFICER)
    product = LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"), max_amount=Decimal("30000000.00"))
    owner = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.SME), role=Role.SME_OWNER)
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def signed_in(user):
        body = models.TokenObtainPairRequest(username=user.username, password=TEST_PASSWORD)
        tokens = ok(call("v1_auth_token_create")(client=anonymous, body=body))
        return client_module.AuthenticatedClient(base_url=live_server.url, token=tokens.access)

    sme, bank_client = signed_in(owner), signed_in(officer)

    profile = models.EnterpriseCreateInputRequest.from_dict(
        {
            "legal_name": "南通海工焊接科技有限公司",
            "uscc": make_uscc(4343),
            "district": "320612",
            "cluster": "shipbuilding_marine",
            "chain": "high_tech_ships",
            "founded_on": "2012-06-01",
            "registered_capital": "10000000.00",
            "employees": 120,
            "annual_revenue": "86000000.00",
            "is_high_tech": True,
            "is_tech_sme": True,
        }
    )
    ok(call("v1_enterprise_create")(client=sme, body=profile), 201)
    asset = models.IPAssetCreateInputRequest.from_dict(
        {
            "ip_type": "invention_patent",
            "identifier": make_patent_number(4343, year=2018),
            "title": "一种高强度海工装备焊接方法",
            "filing_date": "2018-04-12",
            "grant_date": "2020-09-01",
            "legal_status": "valid",
            "annual_fee_paid_through": (timezone.localdate() + dt.timedelta(days=300)).isoformat(),
            "claims_count": 18,
            "forward_citations": 25,
            "family_size": 5,
            "overseas_family_members": 2,
            "licence_count": 1,
            "licence_revenue": "300000.00",
            "ipc_classes": ["B23K 9/00", "B23K 31/02"],
        }
    )
    registered = ok(call("v1_ip_assets_create")(client=sme, body=asset), 201)
    assert registered.ipc_classes == ["B23K 9/00", "B23K 31/02"]  # sent once each, as JSON

    application = ok(
        call("v1_applications_create")(
            client=sme,
            body=models.ApplicationCreateInputRequest.from_dict(
                {
                    "product": product.pk,
                    "assets": [registered.id],
                    "requested_amount": "1000000.00",
                    "requested_term_months": 12,
                    "repayment_method": "equal_principal",
                    "purpose": "海工焊接产线扩产",
                    "insurance_product": None,
                }
            ),
        ),
        201,
    )
    assert ok(call("v1_applications_submit_create")(id=application.id, client=sme)).status.value == "submitted"

    ok(call("v1_applications_start_review_create")(id=application.id, client=bank_client))
    limit = Decimal(ok(call("v1_applications_collateral_retrieve")(id=application.id, client=bank_client)).limit)
    terms = models.ApproveInputRequest.from_dict(
        {
            "amount": str(min(Decimal("1000000.00"), limit * Decimal("0.9")).quantize(Decimal("1"), ROUND_DOWN)),
            "rate": str(product.min_rate),
            "term_months": 12,
        }
    )
    approved = ok(call("v1_applications_approve_create")(id=application.id, client=bank_client, body=terms))
    assert approved.status.value == "approved"
    ok(call("v1_applications_accept_offer_create")(id=application.id, client=sme))

    package = ok(call("v1_applications_filing_package_create")(id=application.id, client=bank_client), 201)
    for signer in (sme, bank_client):
        body = models.SignInputRequest(sha256=package.sha256)
        ok(call("v1_applications_filing_package_sign_create")(id=application.id, client=signer, body=body))
    ok(call("v1_applications_file_pledge_create")(id=application.id, client=bank_client))
    registration = models.RegistrationInputRequest.from_dict(
        {"registration_number": "Y2026320043434", "registered_on": timezone.localdate().isoformat()}
    )
    ok(call("v1_applications_record_registration_create")(id=application.id, client=bank_client, body=registration))
    disbursed = ok(
        call("v1_applications_disburse_create")(
            id=application.id, client=bank_client, body=models.DisburseInputRequest(contract_number="NTHG-2026-043")
        )
    )
    assert disbursed.status.value == "disbursed"

    (loan,) = ok(call("v1_loans_list")(client=sme)).results
    read = ok(call("v1_loans_retrieve")(id=loan.id, client=sme))
    assert read.contract_number == "NTHG-2026-043"
    assert read.status.value == "active"
    assert Decimal(read.principal) == Decimal(terms.amount)
    assert len(read.schedule) == 12
