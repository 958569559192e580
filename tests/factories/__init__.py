"""factory_boy factories producing valid objects (valid USCCs, patent numbers with check characters), one module
per app; the one way to build each object. Tests import them from here."""

from tests.factories.accounts import (
    TEST_PASSWORD,
    BankFactory,
    BankOfficerFactory,
    CityAnalystFactory,
    CityOfficeFactory,
    GuarantorFactory,
    InsurerFactory,
    OrganisationFactory,
    PlatformAdminFactory,
    PlatformFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.factories.assets import CoOwnerFactory, IPAssetFactory
from tests.factories.enterprises import EnterpriseFactory
from tests.factories.financing import (
    ApplicationFactory,
    LoanFactory,
    PledgedApplicationFactory,
    at,
    cover_accepted,
    loan_for,
    pay_instalments,
    repaid_loan,
)
from tests.factories.monitoring import open_flag
from tests.factories.products import GuaranteeProductFactory, InsuranceProductFactory, LoanProductFactory
from tests.factories.subsidies import SubsidyPolicyFactory, submitted_claim
from tongzhirong.core.identifiers import make_patent_number, make_uscc

__all__ = [
    "TEST_PASSWORD",
    "ApplicationFactory",
    "BankFactory",
    "BankOfficerFactory",
    "CityAnalystFactory",
    "CityOfficeFactory",
    "CoOwnerFactory",
    "EnterpriseFactory",
    "GuaranteeProductFactory",
    "GuarantorFactory",
    "IPAssetFactory",
    "InsuranceProductFactory",
    "InsurerFactory",
    "LoanFactory",
    "LoanProductFactory",
    "OrganisationFactory",
    "PlatformAdminFactory",
    "PlatformFactory",
    "PledgedApplicationFactory",
    "SubsidyPolicyFactory",
    "SuperuserFactory",
    "UserFactory",
    "at",
    "cover_accepted",
    "loan_for",
    "make_patent_number",
    "make_uscc",
    "open_flag",
    "pay_instalments",
    "repaid_loan",
    "submitted_claim",
]
