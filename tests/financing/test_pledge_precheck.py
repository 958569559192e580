import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import ApplicationFactory, BankOfficerFactory, CoOwnerFactory, IPAssetFactory, LoanFactory
from tongzhirong.assets.models import LegalStatus
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.reference import IPType
from tongzhirong.financing.filing import filing_package_generate
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, LoanStatus, PledgeRegistration
from tongzhirong.financing.pledge import application_precheck, precheck_require_pass

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def precheck(application_kwargs=None, **asset_kwargs):
    terms = {"approved_amount": Decimal("2000000.00"), "approved_term_months": 12, **(application_kwargs or {})}
    application = ApplicationFactory(**terms)
    asset = IPAssetFactory(
        owner=application.enterprise, **{"annual_fee_paid_through": dt.date(2027, 5, 10), **asset_kwargs}
    )
    ApplicationAsset.objects.create(application=application, asset=asset)
    result = application_precheck(application, today=TODAY)
    return result, {c["code"]: c["result"] for c in result["assets"][0]["checks"]}


def test_a_clean_granted_patent_passes_every_ground():
    result, checks = precheck()
    assert result["result"] == "pass"
    assert len(checks) == 13  # the 12 grounds of the register and the platform's filing-flag check


@pytest.mark.parametrize(
    ("asset_kwargs", "code"),
    [
        ({"legal_status": LegalStatus.INVALIDATED}, "in_force"),
        ({"legal_status": LegalStatus.PENDING, "grant_date": None}, "granted"),
        ({"annual_fee_paid_through": dt.date(2026, 5, 1)}, "annual_fee_paid"),
        ({"court_preservation": True}, "no_dispute_or_preservation"),
        ({"expiry_date": dt.date(2027, 3, 1), "filing_date": dt.date(2019, 5, 10)}, "debt_within_term"),
    ],
)
def test_each_refusal_ground_fails_with_its_code(asset_kwargs, code):
    result, checks = precheck(**asset_kwargs)
    assert checks[code] == "fail"
    assert result["result"] == "fail"


def test_a_co_owner_without_consent_fails():
    application = ApplicationFactory(approved_amount=Decimal("2000000.00"), approved_term_months=12)
    asset = IPAssetFactory(owner=application.enterprise)
    CoOwnerFactory(asset=asset, consent_given=False)
    ApplicationAsset.objects.create(application=application, asset=asset)
    checks = {c["code"]: c["result"] for c in application_precheck(application, today=TODAY)["assets"][0]["checks"]}
    assert checks["co_owners_consent"] == "fail"


def test_an_asset_pledged_under_another_application_fails():
    first = ApplicationFactory(status=ApplicationStatus.REGISTERED)
    asset = IPAssetFactory(owner=first.enterprise)
    ApplicationAsset.objects.create(application=first, asset=asset)
    second = ApplicationFactory(
        enterprise=first.enterprise, approved_amount=Decimal("1000000"), approved_term_months=12
    )
    ApplicationAsset.objects.create(application=second, asset=asset)
    checks = {c["code"]: c["result"] for c in application_precheck(second, today=TODAY)["assets"][0]["checks"]}
    assert checks["not_already_pledged"] == "fail"


def test_pending_invalidation_needs_the_parties_confirmation():
    result, checks = precheck(invalidation_pending=True)
    assert checks["no_invalidation_pending"] == "needs_confirmation"
    assert result["result"] == "needs_confirmation"


def test_before_the_bank_sets_terms_the_contract_awaits_them_rather_than_failing():
    result, checks = precheck(application_kwargs={"approved_amount": None, "approved_term_months": None})
    assert checks["contract_complete"] == "awaiting_terms"
    assert result["result"] == "awaiting_terms"
    assert result["result_label"] == "awaiting terms"


def test_a_contract_awaiting_terms_is_not_filed():
    application = ApplicationFactory()
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    with pytest.raises(ValidationFailed) as refused:
        precheck_require_pass(application)
    assert "not set the terms" in refused.value.errors["pledge_precheck"][0]


def test_with_terms_set_a_missing_item_still_fails_the_contract():
    application = ApplicationFactory(approved_amount=Decimal("2000000.00"), approved_term_months=12)
    bank = application.product.bank
    bank.address = ""
    bank.save()
    asset = IPAssetFactory(owner=application.enterprise, annual_fee_paid_through=dt.date(2027, 5, 10))
    ApplicationAsset.objects.create(application=application, asset=asset)
    result = application_precheck(application, today=TODAY)
    [check] = [c for c in result["assets"][0]["checks"] if c["code"] == "contract_complete"]
    assert check["result"] == "fail"
    assert "pledgee address" in check["reason_en"]


def test_without_terms_a_missing_party_item_fails_rather_than_awaits():
    application = ApplicationFactory()
    bank = application.product.bank
    bank.address = ""
    bank.save()
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    result = application_precheck(application, today=TODAY)
    assert result["result"] == "fail"


# --- Ground 6 on the statutory term ----------------------------------------------------------------------


def test_with_no_expiry_recorded_ground_6_counts_the_statutory_term():
    # A utility model filed 2017-01-10 runs 10 years: to 2027-01-10, before a 12-month debt from TODAY ends.
    result, checks = precheck(ip_type=IPType.UTILITY_MODEL, filing_date=dt.date(2017, 1, 10), expiry_date=None)
    assert checks["debt_within_term"] == "fail"
    [check] = [c for c in result["assets"][0]["checks"] if c["code"] == "debt_within_term"]
    assert "statutory term on 2027-01-10" in check["reason_en"]
    assert "法定期限" in check["reason_zh"]


def test_a_trademark_with_no_expiry_recorded_runs_ten_years_from_registration():
    _result, checks = precheck(
        ip_type=IPType.TRADEMARK,
        identifier="30123456",
        filing_date=dt.date(2016, 3, 1),
        grant_date=dt.date(2017, 5, 7),
        expiry_date=None,
        nice_classes=[9],
    )
    assert checks["debt_within_term"] == "fail"


def test_a_copyright_has_no_term_a_loan_could_outlive():
    _, checks = precheck(ip_type=IPType.SOFTWARE_COPYRIGHT, identifier="2023SR0123456", expiry_date=None)
    assert checks["debt_within_term"] == "not_applicable"


# --- Ground 7 reads the contract ----------------------------------------------------------------------


def test_the_platform_contract_alone_has_no_forfeiture_clause():
    _, checks = precheck()
    assert checks["no_forfeiture_clause"] == "pass"


@pytest.mark.parametrize(
    "condition",
    [
        "放款前补充担保。借款人到期不能清偿的，质押专利归质权人所有。",
        "逾期未还款的，质押商标直接转让给银行。",
        "On default the pledged patent passes to the pledgee.",
        "The patent becomes the property of the bank if the loan is not repaid.",
    ],
)
def test_a_condition_that_makes_the_right_pass_to_the_pledgee_fails_ground_7_quoting_it(condition):
    result, checks = precheck(application_kwargs={"decision_comment": condition})
    assert checks["no_forfeiture_clause"] == "fail"
    [check] = [c for c in result["assets"][0]["checks"] if c["code"] == "no_forfeiture_clause"]
    assert "放款前补充担保" not in check["reason_zh"]  # the offending sentence is quoted, not the whole text
    assert result["result"] == "fail"


@pytest.mark.parametrize(
    "condition",
    [
        "违约后双方可协议以质押专利折价，或就拍卖、变卖所得价款优先受偿。",
        "借款人应按月归还银行贷款本息。",
        "Approved subject to the insurer's confirmation.",
    ],
)
def test_lawful_enforcement_and_ordinary_conditions_pass_ground_7(condition):
    _, checks = precheck(application_kwargs={"decision_comment": condition})
    assert checks["no_forfeiture_clause"] == "pass"


# --- Ground 10: a pledge the register still holds -----------------------------------------------------------


def test_a_registered_pledge_not_yet_released_fails_ground_10_after_its_loan_is_repaid():
    loan = LoanFactory(status=LoanStatus.REPAID)
    asset = IPAssetFactory(owner=loan.borrower)
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    PledgeRegistration.objects.create(
        application=loan.application,
        registry="cnipa",
        filed_at=timezone.now(),
        filed_by=BankOfficerFactory(),
        registration_number="Y2025980009999",
        registered_on=dt.date(2025, 6, 1),
    )
    second = ApplicationFactory(enterprise=loan.borrower, approved_amount=Decimal("1000000"), approved_term_months=12)
    ApplicationAsset.objects.create(application=second, asset=asset)
    checks = {c["code"]: c["result"] for c in application_precheck(second, today=TODAY)["assets"][0]["checks"]}
    assert checks["not_already_pledged"] == "fail"


def test_the_package_states_ground_7_as_read_and_a_forfeiture_condition_stops_it():
    terms = {
        "status": ApplicationStatus.OFFER_ACCEPTED,
        "approved_amount": Decimal("1000000.00"),
        "approved_rate": Decimal("0.045"),
        "approved_term_months": 12,
    }
    clean = ApplicationFactory(**terms)
    ApplicationAsset.objects.create(application=clean, asset=IPAssetFactory(owner=clean.enterprise))
    officer = BankOfficerFactory(organisation=clean.product.bank)
    assert filing_package_generate(actor=officer, application=clean).content["no_forfeiture_clause"] is True

    forfeit = ApplicationFactory(
        product=clean.product, decision_comment="到期未还款的，质押专利归质权人所有。", **terms
    )
    ApplicationAsset.objects.create(application=forfeit, asset=IPAssetFactory(owner=forfeit.enterprise))
    with pytest.raises(ValidationFailed) as refused:
        filing_package_generate(actor=officer, application=forfeit)
    assert any("forfeiture clause" in line for line in refused.value.errors["pledge_precheck"])
    assert not forfeit.filing_packages.exists()
