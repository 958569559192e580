"""Loan, insurance and guarantee products."""

from decimal import Decimal

import factory

from tests.factories.accounts import BankFactory, GuarantorFactory, InsurerFactory
from tongzhirong.core.reference import IPType, RepaymentMethod
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap


class LoanProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanProduct
        skip_postgeneration_save = True

    bank = factory.SubFactory(BankFactory)
    name = factory.Sequence(lambda n: f"知识产权质押贷 {n}")
    min_amount = Decimal("1000000.00")
    max_amount = Decimal("10000000.00")
    min_term_months = 6
    max_term_months = 36
    min_rate = Decimal("0.035000")
    max_rate = Decimal("0.055000")
    repayment_methods = factory.LazyFunction(lambda: list(RepaymentMethod.values))

    @factory.post_generation
    def caps(obj, create, extracted, **kwargs):
        if create:
            PledgeRateCap.objects.create(product=obj, ip_type=IPType.INVENTION_PATENT, max_pledge_rate=Decimal("0.25"))


class InsuranceProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsuranceProduct

    insurer = factory.SubFactory(InsurerFactory)
    name = factory.Sequence(lambda n: f"知识产权质押融资保证保险 {n}")
    premium_rate = Decimal("0.012000")
    coverage_ratio = Decimal("0.7000")
    coverage_cap = Decimal("5000000.00")


class GuaranteeProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuaranteeProduct

    guarantor = factory.SubFactory(GuarantorFactory)
    name = factory.Sequence(lambda n: f"知识产权融资担保 {n}")
    fee_rate = Decimal("0.010000")
    coverage_ratio = Decimal("0.8000")
