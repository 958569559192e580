"""factory_boy factories producing valid objects: valid USCCs, patent numbers with check characters."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from tongzhirong.accounts.models import Organisation, OrganisationKind, Role, User
from tongzhirong.assets.models import CoOwner, IPAsset, LegalStatus
from tongzhirong.core.identifiers import make_patent_number, make_uscc  # tests import them from here too
from tongzhirong.core.reference import Chain, Cluster, District, IPType, RepaymentMethod
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus, Loan
from tongzhirong.financing.schedule import add_months
from tongzhirong.products.models import GuaranteeProduct, InsuranceProduct, LoanProduct, PledgeRateCap

TEST_PASSWORD = "pw-for-tests-1"  # every factory-made user's password, for sign-in tests


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.SME
    name = factory.Sequence(lambda n: f"Organisation {n}")
    address = factory.Sequence(lambda n: f"江苏省南通市崇川区工农路{n}号")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.SME_OWNER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class BankFactory(OrganisationFactory):
    kind = OrganisationKind.BANK
    name = factory.Sequence(lambda n: f"Bank {n}")


class BankOfficerFactory(UserFactory):
    organisation = factory.SubFactory(BankFactory)
    role = Role.BANK_OFFICER


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    organisation = factory.SubFactory(OrganisationFactory)
    legal_name = factory.Sequence(lambda n: f"南通测试科技有限公司{n}")
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    district = District.CHONGCHUAN
    cluster = Cluster.NEXT_GEN_IT
    chain = Chain.SOFTWARE
    founded_on = dt.date(2015, 3, 1)
    registered_capital = Decimal("5000000.00")
    employees = 80
    annual_revenue = Decimal("30000000.00")
    is_high_tech = True


class IPAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPAsset

    owner = factory.SubFactory(EnterpriseFactory)
    ip_type = IPType.INVENTION_PATENT
    identifier = factory.Sequence(lambda n: make_patent_number(n + 1))
    title = factory.Sequence(lambda n: f"一种智能纺织设备 {n}")
    filing_date = dt.date(2019, 5, 10)
    grant_date = dt.date(2021, 8, 20)
    expiry_date = dt.date(2039, 5, 10)
    legal_status = LegalStatus.VALID
    # Paid ahead of whatever today is: a fixed date falls overdue as the calendar moves, and an overdue patent
    # cannot be pledged (financing.eligibility).
    annual_fee_paid_through = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=180))
    claims_count = 10
    ipc_classes = factory.LazyFunction(lambda: ["D06B 1/02"])


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


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    reference = factory.Sequence(lambda n: f"APP{n:08d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    product = factory.SubFactory(LoanProductFactory)
    requested_amount = Decimal("3000000.00")
    requested_term_months = 12
    repayment_method = RepaymentMethod.EQUAL_INSTALMENT


# --- Additions for the behaviour tests -----------------------------------------------------------


class InsurerFactory(OrganisationFactory):
    kind = OrganisationKind.INSURER
    name = factory.Sequence(lambda n: f"Insurer {n}")


class GuarantorFactory(OrganisationFactory):
    kind = OrganisationKind.GUARANTOR
    name = factory.Sequence(lambda n: f"Guarantor {n}")


class PlatformFactory(OrganisationFactory):
    kind = OrganisationKind.PLATFORM
    name = factory.Sequence(lambda n: f"Platform {n}")


class PlatformAdminFactory(UserFactory):
    organisation = factory.SubFactory(PlatformFactory)
    role = Role.PLATFORM_ADMIN


class SuperuserFactory(UserFactory):
    organisation = None
    role = ""
    is_superuser = True
    is_staff = True


class CoOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoOwner

    asset = factory.SubFactory(IPAssetFactory)
    name = factory.Sequence(lambda n: f"共有人 {n}")
    share_percent = Decimal("30.00")


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


class LoanFactory(factory.django.DjangoModelFactory):
    """A loan written straight to the database (no schedule); use ``loan_disburse`` for a real one."""

    class Meta:
        model = Loan

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.DISBURSED)
    bank = factory.SelfAttribute("application.product.bank")
    borrower = factory.SelfAttribute("application.enterprise")
    contract_number = factory.Sequence(lambda n: f"JK{n:08d}")
    principal = Decimal("3000000.00")
    annual_rate = Decimal("0.045000")
    term_months = 12
    repayment_method = RepaymentMethod.EQUAL_INSTALMENT
    disbursed_at = factory.LazyFunction(timezone.now)
    maturity_date = factory.LazyAttribute(lambda o: add_months(timezone.localdate(o.disbursed_at), o.term_months))
    outstanding_principal = factory.SelfAttribute("principal")


class PledgedApplicationFactory(ApplicationFactory):
    """An application as ``application_create`` makes it: with one of the enterprise's patents pledged."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def pledged(obj, create, extracted, **kwargs):
        if create:
            ApplicationAsset.objects.create(application=obj, asset=IPAssetFactory(owner=obj.enterprise))
