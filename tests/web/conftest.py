"""Fixtures of the subsidy pages, shared by the claim and the policy page tests. Loans are interest-only at 6%
disbursed 2024-12-01, so all their interest is paid in 2025 (see tests/subsidies)."""

import pytest

from tests.factories import EnterpriseFactory, UserFactory
from tests.subsidies.factories import CityAnalystFactory, SubsidyPolicyFactory, loan_for, pay_instalments
from tongzhirong.accounts.models import Role
from tongzhirong.subsidies.services import subsidy_claim_submit


@pytest.fixture
def firm():
    return EnterpriseFactory()


@pytest.fixture
def owner(firm):
    return UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)


@pytest.fixture
def city():
    return CityAnalystFactory()


@pytest.fixture
def policy():
    """50% of the interest paid, at most 3% of the principal per loan, 50,000 per firm a year."""
    return SubsidyPolicyFactory()


@pytest.fixture
def repaid(firm):
    """1,200,000 at 6%: 72,000 of interest paid in 2025, so it earns 36,000 (also 3% of the principal)."""
    loan = loan_for(firm, principal="1200000.00")
    pay_instalments(loan)
    return loan


@pytest.fixture
def claim(owner, policy, repaid):
    return subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid])
