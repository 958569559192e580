"""The insurer decides a claim seeing what it decides on (issue 18, item 7): the loss, the amount claimed (the most
it may approve), what it approved and paid, and the claim's history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import BankFactory, InsuranceProductFactory, UserFactory
from tests.risksharing.helpers import bank_officer, defaulted_loan, registered_application
from tongzhirong.accounts.models import Role
from tongzhirong.risksharing.services import claim_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def insurer():
    return UserFactory(organisation=BankFactory(kind="insurer", name="人保财险"), role=Role.UNDERWRITER)


@pytest.fixture
def claim(insurer):
    officer = bank_officer()
    application = registered_application(
        officer, insurance_product=InsuranceProductFactory(insurer=insurer.organisation)
    )
    claim = defaulted_loan(officer, application).claims.get()
    return claim_submit(actor=officer, claim=claim, claimed_amount=Decimal("50000.00"), comment="", documents=[])


def test_a_claim_shows_its_amount_cap_and_history_to_the_insurer(client, insurer, claim):
    client.force_login(insurer)
    page = client.get(reverse("web:provider")).content.decode()
    row = page[page.index(claim.reference) :]
    row = row[: row.index("</tr>")]
    assert "50,000.00" in row  # the amount claimed, the most the insurer may approve
    assert 'value="50000.00"' in row
    assert "At most 50,000.00 yuan." in row
    assert "History" in row
    assert claim.bank.name in row  # who moved it, on the history
