"""The insurer's job in a real browser (issue 18, item 7 and its Done-when): the insurer signs in, finds the cover
a bank asked for on its start page, underwrites it with a condition; the loan is disbursed on that cover, defaults,
and later the insurer decides the claim seeing the amount, the cap and the history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus
from tongzhirong.lending.loans import loan_disburse, loans_refresh_delinquency
from tongzhirong.risksharing.models import Claim, ClaimStatus, CoverRequest, CoverRequestStatus
from tongzhirong.risksharing.services import claim_submit, cover_request_open

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_insurer_underwrites_with_a_condition_and_later_decides_the_claim(person):
    insurance = InsuranceProductFactory(
        insurer=BankFactory(kind=OrganisationKind.INSURER, name="人保财险南通分公司"),
        premium_rate=Decimal("0.012"),
        coverage_ratio=Decimal("0.5"),
        coverage_cap=Decimal("100000"),
    )
    underwriter = UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER, first_name="周")
    officer = UserFactory(organisation=BankFactory(name="南通测试银行"), role=Role.BANK_OFFICER)
    enterprise = EnterpriseFactory(legal_name="南通海韵声学科技有限公司")
    application = ApplicationFactory(
        enterprise=enterprise,
        product=LoanProductFactory(bank=officer.organisation, min_amount=Decimal("10000")),
        status=ApplicationStatus.REGISTERED,
        approved_amount=Decimal("300000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
        insurance_product=insurance,
    )
    ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=enterprise))
    cover = cover_request_open(actor=officer, application=application, product=insurance)

    insurer = person(underwriter)
    insurer.go("/cover/")
    assert insurer.page.locator(".landing-counts .figure").first.inner_text() == "1"
    row = insurer.page.locator("#cover-requests tr", has_text=application.reference)
    assert "南通海韵声学科技有限公司" in row.inner_text()
    row.locator("summary", has_text="承保").first.click()
    row.locator(f"#id_accept-{cover.pk}-conditions").fill("借款企业按季度报送财务报表")
    row.locator(f"#id_accept-{cover.pk}-rate").fill("1.5")
    insurer.shot("insurer-cover-to-underwrite")
    with insurer.page.expect_navigation():
        row.locator("button", has_text="确认承保").click()
    assert "已承保" in insurer.page.inner_text("main")
    cover.refresh_from_db()
    assert (cover.status, cover.rate, cover.conditions) == (
        CoverRequestStatus.ACCEPTED,
        Decimal("0.015000"),
        "借款企业按季度报送财务报表",
    )
    assert not insurer.console_errors

    # The bank disburses on the accepted cover; nothing is repaid and the loan defaults; the bank claims.
    loan = loan_disburse(
        actor=officer,
        application=application,
        contract_number="JK-COVER-JOURNEY",
        disbursed_at=timezone.now() - dt.timedelta(days=400),
    )
    assert loan.cover_policies.get().cover_request == CoverRequest.objects.get(pk=cover.pk)
    loans_refresh_delinquency()
    claim = claim_submit(actor=officer, claim=loan.claims.get(), comment="借款人逾期超过90天")
    claim.refresh_from_db()
    assert claim.claimed_amount == Decimal("100000.00")  # half the loss, held to the accepted cap

    insurer.go("/cover/")
    claim_row = insurer.page.locator("tr", has_text=claim.reference)
    assert "100,000.00" in claim_row.inner_text()  # the amount claimed, at most what it may approve
    claim_row.locator("summary", has_text="处理记录").click()
    insurer.shot("insurer-claim-after-cover")
    with insurer.page.expect_navigation():
        claim_row.locator("form:has(input[value=approve]) button[type=submit]").click()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED
    assert not insurer.console_errors
    assert not insurer.csp_violations


# The decision cell on a desktop: the accept form's fields and buttons in a column wide enough to read and fill.
DECISION = """(row) => {
  const cell = row.querySelector("td.actions");
  const fields = [...cell.querySelectorAll("input, textarea")]
    .filter((e) => e.type !== "hidden" && e.checkVisibility());
  const controls = [...cell.querySelectorAll("summary, button")].filter((e) => e.checkVisibility());
  return {
    cell: Math.round(cell.getBoundingClientRect().width),
    narrowest_field: Math.round(Math.min(...fields.map((e) => e.getBoundingClientRect().width))),
    tallest_control: Math.round(Math.max(...controls.map((e) => e.getBoundingClientRect().height))),
  };
}"""
# How many lines an element's text takes.
LINES = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
}"""


@pytest.mark.parametrize("kind", [OrganisationKind.INSURER, OrganisationKind.GUARANTOR])
def test_the_decision_column_gives_the_providers_forms_room_on_a_desktop(person, kind):
    """The bug: on a 1,280 px screen the decision column was about 60 px wide: its heading broke into 审批/结果
    and the opened acceptance form's fields were squeezed to the column's width."""
    provider = BankFactory(kind=kind, name="南通担保" if kind == OrganisationKind.GUARANTOR else "人保财险南通分公司")
    product = (
        GuaranteeProductFactory(guarantor=provider)
        if kind == OrganisationKind.GUARANTOR
        else InsuranceProductFactory(insurer=provider)
    )
    field = "guarantee_product" if kind == OrganisationKind.GUARANTOR else "insurance_product"
    officer = UserFactory(organisation=BankFactory(name="江苏南通农村商业银行股份有限公司"), role=Role.BANK_OFFICER)
    application = ApplicationFactory(
        enterprise=EnterpriseFactory(legal_name="如皋曜瑞汽车零部件有限公司"),
        product=LoanProductFactory(bank=officer.organisation, name="知识产权融资担保 v1"),
        status=ApplicationStatus.REGISTERED,
        approved_amount=Decimal("1000000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
        **{field: product},
    )
    cover_request_open(actor=officer, application=application, product=product)

    underwriter = person(UserFactory(organisation=provider, role=Role.UNDERWRITER))
    underwriter.go("/cover/")
    row = underwriter.page.locator("#cover-requests tbody tr", has_text=application.reference)
    heading = underwriter.page.locator("#cover-requests thead th").last
    closed = row.evaluate(DECISION)
    assert heading.evaluate(LINES) == 1, (heading.inner_text(), closed)
    assert closed["cell"] >= 240, closed
    row.locator("td.actions summary").first.click()
    opened = row.evaluate(DECISION)
    assert opened["narrowest_field"] >= 200, opened
    assert opened["tallest_control"] < 60, opened
    status = row.locator("td").nth(7)  # opening the form squeezed the status to one character a line (待/核/保)
    assert status.evaluate(LINES) == 1, status.inner_text()
    # The room is taken from the short columns without breaking them: the principal, the term and their headings
    # stayed on one line each (they broke into 100/万/元, 12/个/月, 本/金), the reference whole (APP202/6120800/070).
    for cell in (row.locator("td.num").nth(0), row.locator("td.num").nth(1), row.locator("td .nowrap").first):
        assert cell.evaluate(LINES) == 1, cell.inner_text()
    for header in underwriter.page.locator("#cover-requests thead th.num").all():
        assert header.evaluate(LINES) == 1, header.inner_text()
