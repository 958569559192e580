"""Subsidy policies and claims."""

from decimal import Decimal

import factory

from tests.factories.accounts import CityAnalystFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import Loan
from tongzhirong.subsidies.models import (
    InterestBasis,
    RepaymentCondition,
    SubsidyAllowance,
    SubsidyClaim,
    SubsidyClaimLine,
    SubsidyKind,
    SubsidyPolicy,
)


class SubsidyPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubsidyPolicy

    name = factory.Sequence(lambda n: f"知识产权质押贷款贴息 {n}")
    kind = SubsidyKind.INTEREST
    interest_basis = InterestBasis.INTEREST_PAID
    share = Decimal("0.5000")
    loan_cap_rate = Decimal("0.0300")
    annual_cap = Decimal("50000.00")
    repayment_condition = RepaymentCondition.NONE
    first_year = 2024
    created_by = factory.SubFactory(CityAnalystFactory)


def submitted_claim(policy: SubsidyPolicy, loan: Loan, *, amount: str = "1000.00", year: int = 2025) -> SubsidyClaim:
    """A submitted claim written straight to the database, holding ``amount`` of the firm's allowance."""
    enterprise = loan.borrower
    owner = UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER)
    claim = SubsidyClaim.objects.create(
        reference=f"BT{year}{loan.pk:07d}",
        policy=policy,
        enterprise=enterprise,
        year=year,
        computed_amount=Decimal(amount),
        amount=Decimal(amount),
        submitted_by=owner,
    )
    SubsidyClaimLine.objects.create(
        claim=claim, loan=loan, policy=policy, year=year, base=Decimal(amount) * 2, share="0.5", amount=Decimal(amount)
    )
    SubsidyAllowance.objects.create(
        enterprise=enterprise, policy=policy, year=year, cap=policy.annual_cap, committed=Decimal(amount)
    )
    return claim
