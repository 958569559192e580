"""Fixtures of the subsidy tests, the services' and the pages': a firm and its owner, the city office, a policy,
a loan repaid in 2025 and a claim on it. Loans are interest-only at 6% disbursed 2024-12-01, so all their
interest is paid in 2025 (see ``factories``). Conftests import them."""

import pytest

from tests.factories import CityAnalystFactory, EnterpriseFactory, SubsidyPolicyFactory, UserFactory, repaid_loan
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
    return repaid_loan(firm)


@pytest.fixture
def claim(owner, policy, repaid):
    return subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid])
