"""Eligibility up front: an asset that cannot secure the loan is refused when it is chosen — by creating,
editing or submitting an application and by the bank's approval — each reason named with its asset."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    ApplicationFactory,
    BankOfficerFactory,
    CoOwnerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import LegalStatus
from tongzhirong.core.errors import ValidationFailed
from tongzhirong.core.reference import IPType
from tongzhirong.financing import services
from tongzhirong.financing.eligibility import (
    EXPIRY_MARGIN_MONTHS,
    Facts,
    asset_reasons,
    assets_eligibility,
    expiry_of,
)
from tongzhirong.financing.filing import application_registries
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, LoanStatus, PledgeRegistration, Registry
from tongzhirong.financing.schedule import add_months
from tongzhirong.lending.applications import application_approve
from tongzhirong.products.models import PledgeRateCap

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    return EnterpriseFactory()


@pytest.fixture
def owner(firm):
    return UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)


@pytest.fixture
def product():
    product = LoanProductFactory(min_amount=Decimal("10000.00"))
    PledgeRateCap.objects.create(product=product, ip_type=IPType.TRADEMARK, max_pledge_rate=Decimal("0.50"))
    return product


def codes(asset, product, term_months=12, **kwargs):
    return [r.code for r in reasons_of(asset, product, term_months)]


def reasons_of(asset, product, term_months=12):
    return assets_eligibility(assets=[asset], product=product, enterprise_id=asset.owner_id, term_months=term_months)[
        asset.pk
    ]


def create(owner, product, assets, term_months=12):
    return services.application_create(
        actor=owner,
        enterprise=owner.organisation.enterprise,
        product=product,
        assets=assets,
        requested_amount=Decimal("1000000"),
        requested_term_months=term_months,
        repayment_method="equal_instalment",
    )


def trademark(firm, **fields):
    return IPAssetFactory(
        owner=firm,
        ip_type=IPType.TRADEMARK,
        identifier=fields.pop("identifier", "30123456"),
        filing_date=dt.date(2016, 3, 1),
        expiry_date=None,
        annual_fee_paid_through=None,
        ipc_classes=[],
        nice_classes=[9],
        **fields,
    )


# --- The rule, asset by asset ----------------------------------------------------------------------------


def test_a_clean_granted_patent_with_fees_paid_is_eligible(firm, product):
    assert reasons_of(IPAssetFactory(owner=firm), product) == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"legal_status": LegalStatus.PENDING, "grant_date": None}, "not_granted"),
        ({"legal_status": LegalStatus.LAPSED}, "not_in_force"),
        ({"legal_status": LegalStatus.INVALIDATED}, "not_in_force"),
        ({"annual_fee_paid_through": dt.date(2026, 1, 1)}, "annual_fee_overdue"),
        ({"annual_fee_paid_through": None}, "annual_fee_overdue"),
        ({"court_preservation": True}, "dispute_or_preservation"),
        ({"ownership_dispute": True}, "dispute_or_preservation"),
    ],
)
def test_each_defect_of_the_asset_is_a_reason_with_its_code(firm, product, fields, code):
    asset = IPAssetFactory(owner=firm, **fields)
    assert code in [r.code for r in reasons_of(asset, product)]


def test_an_asset_of_another_enterprise_or_archived_is_not_a_live_asset_of_the_applicant(firm, product):
    foreign = IPAssetFactory()
    archived = IPAssetFactory(owner=firm, archived_at=timezone.now())
    found = assets_eligibility(assets=[foreign, archived], product=product, enterprise_id=firm.pk, term_months=12)
    assert [r.code for r in found[foreign.pk]] == ["not_owned"]
    assert [r.code for r in found[archived.pk]] == ["not_owned"]


def test_a_co_owner_who_has_not_consented_is_named(firm, product):
    asset = IPAssetFactory(owner=firm)
    CoOwnerFactory(asset=asset, name="南通纺织研究院", consent_given=False)
    CoOwnerFactory(asset=asset, name="张三", consent_given=True)
    [reason] = reasons_of(asset, product)
    assert reason.code == "co_owner_consent_missing"
    assert "南通纺织研究院" in reason.message
    assert "张三" not in reason.message


def test_a_type_the_product_does_not_lend_against_is_a_reason(firm, product):
    design = IPAssetFactory(
        owner=firm, ip_type=IPType.DESIGN_PATENT, identifier="202130000001.3", filing_date=dt.date(2021, 7, 1)
    )
    [reason] = reasons_of(design, product)
    assert reason.code == "no_pledge_rate"
    assert "Design patent" in reason.message


def test_an_asset_held_by_another_live_application_is_already_pledged(firm, product):
    asset = IPAssetFactory(owner=firm)
    other = ApplicationFactory(enterprise=firm, status=ApplicationStatus.UNDER_REVIEW)
    ApplicationAsset.objects.create(application=other, asset=asset)
    [reason] = reasons_of(asset, product)
    assert reason.code == "already_pledged"
    assert other.reference in reason.message


def test_a_repaid_loan_whose_pledge_is_released_frees_the_asset_but_an_unreleased_registration_holds_it(firm, product):
    asset = IPAssetFactory(owner=firm)
    loan = LoanFactory(application__enterprise=firm, borrower=firm, status=LoanStatus.REPAID)
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    registration = PledgeRegistration.objects.create(
        application=loan.application,
        registry="cnipa",
        filed_at=timezone.now(),
        filed_by=BankOfficerFactory(),
        registration_number="Y2025980001234",
        registered_on=dt.date(2025, 6, 1),
    )
    [reason] = reasons_of(asset, product)
    assert (reason.code, "Y2025980001234" in reason.message) == ("already_pledged", True)
    registration.released_on = dt.date(2026, 10, 1)
    registration.save()
    assert reasons_of(asset, product) == []


def test_a_live_loan_holds_its_assets(firm, product):
    asset = IPAssetFactory(owner=firm)
    loan = LoanFactory(application__enterprise=firm, borrower=firm, status=LoanStatus.OVERDUE)
    ApplicationAsset.objects.create(application=loan.application, asset=asset)
    assert [r.code for r in reasons_of(asset, product)] == ["already_pledged"]


def test_the_asking_application_does_not_hold_its_own_assets_against_itself(firm, product):
    asset = IPAssetFactory(owner=firm)
    application = ApplicationFactory(enterprise=firm, product=product)
    ApplicationAsset.objects.create(application=application, asset=asset)
    found = assets_eligibility(
        assets=[asset], product=product, enterprise_id=firm.pk, term_months=12, application=application
    )
    assert found[asset.pk] == []


# --- Expiry: recorded, else statutory; the term plus a margin ---------------------------------------------


def test_a_right_expiring_before_the_term_plus_the_margin_is_refused_and_one_just_after_is_not(firm, product):
    today = timezone.localdate()
    needed = add_months(today, 12 + EXPIRY_MARGIN_MONTHS)
    short = IPAssetFactory(owner=firm, expiry_date=needed - dt.timedelta(days=1))
    enough = IPAssetFactory(owner=firm, expiry_date=needed)
    assert [r.code for r in reasons_of(short, product)] == ["expires_before_term"]
    assert reasons_of(enough, product) == []


@pytest.mark.parametrize(
    ("ip_type", "filing", "grant", "renewals", "expected"),
    [
        (IPType.INVENTION_PATENT, dt.date(2010, 3, 1), dt.date(2013, 1, 1), 0, dt.date(2030, 3, 1)),
        (IPType.UTILITY_MODEL, dt.date(2018, 3, 1), dt.date(2018, 9, 1), 0, dt.date(2028, 3, 1)),
        (IPType.DESIGN_PATENT, dt.date(2020, 3, 1), dt.date(2020, 9, 1), 0, dt.date(2030, 3, 1)),
        (IPType.DESIGN_PATENT, dt.date(2021, 6, 1), dt.date(2021, 12, 1), 0, dt.date(2036, 6, 1)),
        (IPType.TRADEMARK, dt.date(2016, 3, 1), dt.date(2017, 5, 7), 0, dt.date(2027, 5, 7)),
        (IPType.TRADEMARK, dt.date(2005, 3, 1), dt.date(2006, 5, 7), 2, dt.date(2036, 5, 7)),
        (IPType.GEOGRAPHICAL_INDICATION, dt.date(2016, 3, 1), dt.date(2017, 5, 7), 0, dt.date(2027, 5, 7)),
        (IPType.IC_LAYOUT, dt.date(2020, 2, 29), dt.date(2020, 8, 1), 0, dt.date(2030, 2, 28)),
        (IPType.SOFTWARE_COPYRIGHT, dt.date(2020, 3, 1), dt.date(2020, 4, 1), 0, None),
    ],
)
def test_with_no_expiry_recorded_the_statutory_term_counts(ip_type, filing, grant, renewals, expected):
    asset = IPAssetFactory.build(
        ip_type=ip_type, filing_date=filing, grant_date=grant, renewals=renewals, expiry_date=None
    )
    expiry = expiry_of(asset)
    assert (expiry.on if expiry else None) == expected
    assert expiry is None or expiry.statutory


def test_a_recorded_expiry_date_wins_over_the_statutory_term():
    asset = IPAssetFactory.build(filing_date=dt.date(2010, 3, 1), expiry_date=dt.date(2026, 3, 1))
    assert (expiry_of(asset).on, expiry_of(asset).statutory) == (dt.date(2026, 3, 1), False)


def test_a_trademark_expiring_before_the_debt_ends_is_refused_on_its_statutory_term(firm, product):
    mark = trademark(firm, grant_date=dt.date(2017, 5, 7))  # 10 years: 2027-05-07, no expiry date recorded
    [reason] = reasons_of(mark, product)
    assert reason.code == "expires_before_term"
    assert "2027-05-07" in reason.message
    assert "statutory" in reason.message


def test_the_rule_is_pure_given_its_facts(firm, product):
    asset = IPAssetFactory(owner=firm)
    reasons = asset_reasons(
        asset,
        enterprise_id=firm.pk,
        caps={IPType.INVENTION_PATENT: Decimal("0.25")},
        term_months=12,
        facts=Facts(pledged_in=("APP-X",)),
        today=timezone.localdate(),
    )
    assert [r.code for r in reasons] == ["already_pledged"]


def test_reasons_read_in_chinese_on_zh_hans(firm, product):
    asset = IPAssetFactory(owner=firm, court_preservation=True)
    [reason] = reasons_of(asset, product)
    bilingual = reason.bilingual()
    assert bilingual["code"] == "dispute_or_preservation"
    assert "权属纠纷" in bilingual["zh"]
    assert asset.identifier in bilingual["zh"]
    assert "ownership dispute" in bilingual["en"]


# --- Applying, editing, submitting, approving -----------------------------------------------------------


def test_creating_an_application_refuses_an_ineligible_asset_naming_it_and_why(firm, owner, product):
    good = IPAssetFactory(owner=firm)
    lapsed = IPAssetFactory(owner=firm, legal_status=LegalStatus.LAPSED)
    with pytest.raises(ValidationFailed) as refused:
        create(owner, product, [good, lapsed])
    [message] = refused.value.errors["assets"]
    assert lapsed.identifier in message
    assert "no longer in force" in message
    assert not firm.applications.exists()


def test_the_same_asset_cannot_be_collateral_of_two_live_applications(firm, owner, product):
    asset = IPAssetFactory(owner=firm)
    first = create(owner, product, [asset])
    with pytest.raises(ValidationFailed) as refused:
        create(owner, product, [asset])
    assert first.reference in refused.value.errors["assets"][0]
    services.application_withdraw(actor=owner, application=first)
    assert create(owner, product, [asset]).status == ApplicationStatus.DRAFT


def test_a_mixed_portfolio_is_accepted_and_files_once_per_registry(firm, owner, product):
    PledgeRateCap.objects.create(product=product, ip_type=IPType.SOFTWARE_COPYRIGHT, max_pledge_rate=Decimal("0.20"))
    patent = IPAssetFactory(owner=firm)
    software = IPAssetFactory(
        owner=firm,
        ip_type=IPType.SOFTWARE_COPYRIGHT,
        identifier="2023SR0123456",
        expiry_date=None,
        annual_fee_paid_through=None,
        ipc_classes=[],
    )
    application = create(owner, product, [patent, software])
    assert set(application.assets.all()) == {patent, software}
    assert application_registries(application) == [Registry.CNIPA, Registry.COPYRIGHT_CENTRE]


def test_lengthening_a_drafts_term_past_an_assets_expiry_is_refused(firm, owner, product):
    today = timezone.localdate()
    asset = IPAssetFactory(owner=firm, expiry_date=add_months(today, 12 + EXPIRY_MARGIN_MONTHS + 1))
    draft = create(owner, product, [asset], term_months=12)
    with pytest.raises(ValidationFailed) as refused:
        services.application_update(actor=owner, application=draft, requested_term_months=24)
    assert refused.value.errors["assets"][0].startswith(asset.identifier)
    draft.refresh_from_db()
    assert draft.requested_term_months == 12


def test_submitting_checks_again_what_changed_since_the_draft(firm, owner, product):
    asset = IPAssetFactory(owner=firm)
    draft = create(owner, product, [asset])
    type(asset).objects.filter(pk=asset.pk).update(annual_fee_paid_through=dt.date(2026, 1, 1))
    with pytest.raises(ValidationFailed) as refused:
        services.application_submit(actor=owner, application=draft)
    assert "annual fees are overdue" in refused.value.errors["assets"][0]
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT


def test_the_bank_cannot_approve_against_an_asset_that_became_ineligible_and_may_reject(firm, owner, product):
    asset = IPAssetFactory(owner=firm)
    application = create(owner, product, [asset])
    services.application_submit(actor=owner, application=application)
    officer = UserFactory(organisation=product.bank, role=Role.BANK_OFFICER)
    services.application_start_review(actor=officer, application=application)
    type(asset).objects.filter(pk=asset.pk).update(court_preservation=True)
    with pytest.raises(ValidationFailed) as refused:
        application_approve(
            actor=officer, application=application, amount=Decimal("100000"), rate=product.min_rate, term_months=12
        )
    assert "court preservation" in refused.value.errors["assets"][0]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.approved_amount is None
    services.application_reject(actor=officer, application=application, reason_code="ip_legal_defect")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
