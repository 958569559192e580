"""The bank's workbench in a real browser (issue 18, items 4-7): the checker finds the terms waiting from a
notification and confirms them; the insurer decides a claim seeing the amount, the cap and the history."""

from decimal import Decimal

import pytest

from scoring.models import Appraisal, AppraisalStatus
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tests.risksharing.helpers import bank_officer, defaulted_loan, registered_application
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus
from tongzhirong.risksharing.models import Claim, ClaimStatus
from tongzhirong.risksharing.services import claim_submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_checker_finds_its_work_from_a_notification_and_confirms(person):
    bank = BankFactory(name="南通测试银行", maker_checker_threshold=Decimal("100000.00"))
    product = LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"))
    application = ApplicationFactory(
        enterprise=EnterpriseFactory(legal_name="南通海韵声学科技有限公司"),
        product=product,
        status=ApplicationStatus.UNDER_REVIEW,
        requested_amount=Decimal("150000.00"),
    )
    for _ in range(2):
        ApplicationAsset.objects.create(
            application=application,
            asset=IPAssetFactory(owner=application.enterprise, forward_citations=30, family_size=5),
        )
    maker = UserFactory(organisation=bank, role=Role.BANK_OFFICER, first_name="王")
    checker_user = UserFactory(organisation=bank, role=Role.BANK_CHECKER, first_name="李")

    officer = person(maker)
    officer.go(f"/bank/applications/{application.pk}/")
    officer.page.fill("#id_amount", "150000")
    with officer.page.expect_navigation():
        officer.page.click("form:has(input[name=action][value='approve']) button[type=submit]")
    assert "已通知本行复核员" in officer.page.content() or "checkers" in officer.page.content()
    assert officer.page.locator("button[name=action][value=confirm]").count() == 0  # never to the maker
    officer.shot("bank-application-awaiting-checker")

    checker = person(checker_user)
    checker.go("/bank/")
    assert checker.page.locator("a.chip[href='?awaiting_checker=1'] .badge").inner_text() == "1"
    checker.go("/notifications/")
    checker.shot("checker-notifications")
    with checker.page.expect_navigation():
        checker.page.click(f"a:has-text('{application.reference}')")
    assert f"/bank/applications/{application.pk}/" in checker.page.url
    with checker.page.expect_navigation():
        checker.page.click("button[name=action][value=confirm]")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED
    checker.shot("bank-application-confirmed")


def test_the_insurer_decides_a_claim_seeing_its_amount_and_cap(person):
    insurer_user = UserFactory(
        organisation=BankFactory(kind=OrganisationKind.INSURER, name="人保财险南通分公司"), role=Role.UNDERWRITER
    )
    officer = bank_officer()
    application = registered_application(
        officer, insurance_product=InsuranceProductFactory(insurer=insurer_user.organisation)
    )
    claim = defaulted_loan(officer, application).claims.get()
    claim_submit(actor=officer, claim=claim, claimed_amount=Decimal("50000.00"), comment="", documents=[])

    insurer = person(insurer_user)
    insurer.go("/cover/")
    row = insurer.page.locator("tr", has_text=claim.reference)
    assert "50,000.00" in row.inner_text()
    row.locator("summary").click()  # the claim's history
    insurer.shot("insurer-claim-to-decide")
    row.locator("input[name=amount]").fill("40000")
    with insurer.page.expect_navigation():
        row.locator("form:has(input[value=approve]) button[type=submit]").click()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED


def test_the_appraiser_appraises_on_the_banks_request(person):
    bank = BankFactory(name="南通测试银行")
    application = ApplicationFactory(
        product=LoanProductFactory(bank=bank),
        status=ApplicationStatus.UNDER_REVIEW,
        requested_amount=Decimal("3000000"),
    )
    ApplicationAsset.objects.create(
        application=application, asset=IPAssetFactory(owner=application.enterprise, forward_citations=30, family_size=5)
    )
    firm = BankFactory(kind=OrganisationKind.APPRAISER, name="江苏中企华资产评估")
    appraiser_user = UserFactory(organisation=firm, role=Role.APPRAISER, first_name="周")
    officer_user = UserFactory(organisation=bank, role=Role.BANK_OFFICER, first_name="王")

    officer = person(officer_user)
    officer.go(f"/bank/applications/{application.pk}/")
    officer.page.select_option("#id_appraiser", str(firm.pk))
    with officer.page.expect_navigation():
        officer.page.click("form:has(input[name=action][value='engage-appraiser']) button[type=submit]")

    appraiser = person(appraiser_user)
    appraiser.go("/notifications/")
    assert application.reference in appraiser.page.content()
    appraiser.go("/appraiser/")
    form = appraiser.page.locator("form:has(input[name=action][value='file-appraisal'])")
    form.locator("input[name$=-value]").fill("3200000")
    form.locator("select[name$=-method]").select_option("income")
    form.locator("input[name$=-fee]").fill("48000")
    form.locator("input[name$=-report]").set_input_files(
        {"name": "评估报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% report\n"}
    )
    appraiser.shot("appraiser-request-to-file")
    with appraiser.page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert Appraisal.objects.get(application=application).status == AppraisalStatus.FILED

    officer.go(f"/bank/applications/{application.pk}/")
    assert "320万元" in officer.page.inner_text("#appraisal")
    officer.shot("bank-application-with-appraisal")
