"""The people of 通知融 in a real browser: an SME registers a patent and applies; the bank's officer approves
a large loan that a checker confirms, both sides sign the filing package, the pledge is registered and the
loan disbursed; the city office sees it in its figures. Each journey saves screenshots of its key pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import BankFactory, EnterpriseFactory, LoanProductFactory, UserFactory, make_patent_number
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import Application, ApplicationStatus, Loan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cast():
    bank = BankFactory(name="南通测试银行", maker_checker_threshold=Decimal("100000.00"))
    product = LoanProductFactory(bank=bank, name="知识产权质押贷", min_amount=Decimal("10000.00"))
    enterprise = EnterpriseFactory(legal_name="南通海工焊接科技有限公司")
    return {
        "product": product,
        "sme": UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER, first_name="海"),
        "officer": UserFactory(organisation=bank, role=Role.BANK_OFFICER, first_name="王"),
        "checker": UserFactory(organisation=bank, role=Role.BANK_CHECKER, first_name="李"),
        "insurer": UserFactory(
            organisation=BankFactory(kind=OrganisationKind.INSURER, name="人保财险南通分公司"), role=Role.UNDERWRITER
        ),
        "city": UserFactory(
            organisation=BankFactory(kind=OrganisationKind.CITY_OFFICE, name="南通市金融办"), role=Role.ANALYST
        ),
    }


def submit_form(page, action: str) -> None:
    with page.expect_navigation():
        page.click(f"form:has(input[name=action][value='{action}']) button[type=submit]")


def press(page, action: str) -> None:
    with page.expect_navigation():
        page.click(f"button[name=action][value='{action}']")


def test_from_a_registered_patent_to_a_disbursed_loan(person, cast):
    today = timezone.localdate()
    patent = make_patent_number(5150, year=2018)

    # The SME registers a patent, sees its value and applies.
    sme = person(cast["sme"])
    page = sme.page
    sme.shot("sme-overview")
    sme.go("/sme/assets/")
    page.select_option("#id_asset-ip_type", "invention_patent")
    page.fill("#id_asset-identifier", patent)
    page.fill("#id_asset-title", "一种高强度海工装备焊接方法")
    page.fill("#id_asset-filing_date", "2018-04-12")
    page.fill("#id_asset-grant_date", "2020-09-01")
    page.select_option("#id_asset-legal_status", "valid")
    page.fill("#id_asset-annual_fee_paid_through", (today + dt.timedelta(days=300)).isoformat())
    page.fill("#id_asset-claims_count", "18")
    page.fill("#id_asset-forward_citations", "40")
    page.fill("#id_asset-family_size", "6")
    page.fill("#id_asset-licence_count", "2")
    page.fill("#id_asset-licence_revenue", "800000")
    with page.expect_navigation():
        page.click("form:has(#id_asset-identifier) button[type=submit]")
    assert "P50" in page.content()
    sme.shot("sme-valuation-card")

    sme.go("/sme/apply/")
    page.select_option("#id_product", str(cast["product"].pk))
    page.check("input[name=assets]")
    page.fill("#id_amount", "300000")
    page.fill("#id_term_months", "12")
    page.select_option("#id_repayment_method", "equal_principal")
    with page.expect_navigation():
        page.click("button[name=submit]")
    application = Application.objects.get(enterprise__organisation=cast["sme"].organisation)
    assert application.status == ApplicationStatus.SUBMITTED
    sme.shot("sme-application-submitted")

    # The officer reviews and proposes terms above the bank's threshold; a checker confirms.
    officer = person(cast["officer"])
    officer.shot("bank-queue")
    officer.go(f"/bank/applications/{application.pk}/")
    press(officer.page, "start-review")
    officer.shot("bank-application-review")
    submit_form(officer.page, "approve")
    assert Application.objects.get(pk=application.pk).approval_proposed_by_id == cast["officer"].pk
    checker = person(cast["checker"])
    checker.go(f"/bank/applications/{application.pk}/")
    press(checker.page, "confirm")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED

    # The SME accepts; the bank prepares the package; both sign; the pledge is filed and registered.
    sme.go(f"/sme/applications/{application.pk}/")
    press(page, "accept-offer")
    officer.go(f"/bank/applications/{application.pk}/")
    press(officer.page, "package")
    press(officer.page, "sign")
    sme.go(f"/sme/applications/{application.pk}/")
    press(page, "sign")
    sme.shot("sme-package-signed")
    officer.go(f"/bank/applications/{application.pk}/")
    press(officer.page, "file-pledge")
    officer.page.fill("#id_registration_number", "Y2026320088888")
    officer.page.fill("#id_registered_on", today.isoformat())
    submit_form(officer.page, "record-registration")
    officer.page.fill("#id_contract_number", "NTCS-2026-0001")
    submit_form(officer.page, "disburse")
    loan = Loan.objects.get(application=application)
    assert loan.contract_number == "NTCS-2026-0001"
    officer.go("/bank/loans/")
    assert "NTCS-2026-0001" in officer.page.content()
    officer.shot("bank-loan-book")
    sme.go(f"/sme/loans/{loan.pk}/")
    assert "NTCS-2026-0001" in page.content()
    sme.shot("sme-loan-schedule")

    # The city office sees the new loan in its figures, under both readings of the target.
    city = person(cast["city"])
    city.page.wait_for_selector("#volume-chart canvas")
    for reading in ("annual", "cumulative"):
        assert city.page.get_attribute(f"[data-testid=reached-{reading}]", "data-yuan") == f"{loan.principal:.2f}"
    city.shot("city-dashboard")

    insurer = person(cast["insurer"])
    assert "/cover/" in insurer.page.url
    insurer.shot("insurer-policies-and-claims")


def test_a_bank_officer_disposes_of_the_patent_of_a_defaulted_loan(person):
    from tests.risksharing.helpers import bank_officer, defaulted_loan, registered_application
    from tongzhirong.risksharing.models import DisposalCase, DisposalStatus

    officer_user = bank_officer()
    loan = defaulted_loan(officer_user, registered_application(officer_user, amount="300000.00"))
    officer = person(officer_user)
    page = officer.page
    officer.go("/bank/disposal/")
    with page.expect_navigation():
        page.click(f"form:has(input[name=loan][value='{loan.pk}']) button[type=submit]")
    case = DisposalCase.objects.get(loan=loan)
    with page.expect_navigation():
        page.click(f"a:has-text('{case.reference}')")
    officer.shot("bank-disposal-routes")
    page.select_option("#id_route", "agreed_transfer")
    page.fill("#id_counterparty", "南通江海新材料有限公司")
    page.fill("#id_price", "180000")
    page.fill("#id_costs", "6000")
    submit_form(page, "sale")
    case.refresh_from_db()
    assert (case.status, case.counterparty) == (DisposalStatus.COMPLETED, "南通江海新材料有限公司")
    assert "174,000.00" in page.content()  # the net recovery, shown on the case to the fen
    officer.shot("bank-disposal-case")


def test_an_enterprise_bids_in_the_auction_of_a_pledged_patent(person):
    from tests.risksharing.helpers import disposal_case, put_up_for_auction, sme_buyer
    from tongzhirong.risksharing.models import Bid

    case = put_up_for_auction(disposal_case(), days=3)
    buyer = person(sme_buyer())
    page = buyer.page
    buyer.go("/sme/auctions/")
    page.fill(f"#amount-{case.pk}", "90000")
    with page.expect_navigation():
        page.click(f"form:has(#amount-{case.pk}) button[type=submit]")
    assert page.is_visible(f"#amount-{case.pk}-errors")  # under the reserve: said on the row, nothing placed
    assert not Bid.objects.exists()
    page.fill(f"#amount-{case.pk}", "125000")
    with page.expect_navigation():
        page.click(f"form:has(#amount-{case.pk}) button[type=submit]")
    assert Bid.objects.get().amount == Decimal("125000.00")
    buyer.shot("sme-auctions")


def test_an_appraisal_firm_sees_its_share_of_a_defaulted_loans_loss(person):
    from tests.factories import OrganisationFactory
    from tests.risksharing.helpers import bank_officer, city_user, defaulted_loan, pool_for, registered_application
    from tongzhirong.risksharing.services import pool_file

    firm = OrganisationFactory(kind=OrganisationKind.APPRAISER, name="南通江海知识产权资产评估有限公司")
    appraiser = UserFactory(organisation=firm, role=Role.APPRAISER)
    pool = pool_for(city_user(), fund="1000000.00", share_fund=Decimal(54), share_bank=Decimal(26),
                    share_appraiser=Decimal(4), appraiser_cap=Decimal(5000))  # fmt: skip
    officer = bank_officer()
    application = registered_application(officer)
    pool_file(actor=officer, pool=pool, application=application, appraiser=firm)
    defaulted_loan(officer, application)
    firm_side = person(appraiser)
    page = firm_side.page
    assert page.url.endswith("/appraiser/")
    assert application.enterprise.legal_name in page.content()
    assert page.text_content("[data-testid=appraiser-exposure]") != "0.00"
    firm_side.shot("appraiser-loans")


def test_the_city_office_sets_a_subsidy_policy(person, cast):
    from tongzhirong.subsidies.models import SubsidyPolicy

    city = person(cast["city"])
    page = city.page
    city.go("/city/subsidies/policies/new/")
    page.fill("#id_name", "知识产权质押贷款贴息（2027）")
    page.select_option("#id_kind", "interest")
    page.select_option("#id_interest_basis", "interest_paid")
    page.fill("#id_share", "50")  # percentages, as the office types them
    page.fill("#id_covered_share", "60")
    page.fill("#id_annual_cap", "500000")
    page.check("input[name=eligible_districts][value='320613']")
    page.fill("#id_first_year", "2027")
    city.shot("city-policy-form")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('保存政策')")
    policy = SubsidyPolicy.objects.get(name="知识产权质押贷款贴息（2027）")
    assert (policy.share, policy.eligible_districts) == (Decimal("0.5000"), ["320613"])
    assert "知识产权质押贷款贴息（2027）" in page.content()
