"""The cast of the API tests: a bank with an officer and a checker, its product, an SME with three assets,
and an application at the stages most tests start from."""

from decimal import Decimal

import pytest

from scoring.services import assets_valuate
from tests.api.helpers import apply, client_for
from tests.factories import BankFactory, EnterpriseFactory, IPAssetFactory, LoanProductFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import Application


@pytest.fixture
def bank():
    return BankFactory(maker_checker_threshold=Decimal("50000000.00"))


@pytest.fixture
def officer(bank):
    return UserFactory(organisation=bank, role=Role.BANK_OFFICER)


@pytest.fixture
def checker(bank):
    return UserFactory(organisation=bank, role=Role.BANK_CHECKER)


@pytest.fixture
def product(bank):
    return LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"), max_amount=Decimal("30000000.00"))


@pytest.fixture
def sme():
    enterprise = EnterpriseFactory()
    return UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)


@pytest.fixture
def assets(sme):
    enterprise = sme.organisation.enterprise
    made = [
        IPAssetFactory(
            owner=enterprise, forward_citations=30, family_size=6, overseas_family_members=3, claims_count=20
        )
        for _ in range(3)
    ]
    assets_valuate(assets=made)  # registration values an asset after commit; these are valued as it would
    return made


@pytest.fixture
def submitted(sme, product, assets, django_capture_on_commit_callbacks):
    application_id = apply(sme, product, assets).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):  # scoring is enqueued on commit
        response = client_for(sme).post(f"/api/v1/applications/{application_id}/submit/")
    assert response.status_code == 200, response.json()
    return Application.objects.get(pk=application_id)


@pytest.fixture
def under_review(submitted, officer):
    assert client_for(officer).post(f"/api/v1/applications/{submitted.pk}/start-review/").status_code == 200
    return submitted
