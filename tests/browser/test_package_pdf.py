"""The SME and the bank open the PDF they sign (issue 18): on each side's application page, next to the hash and
before the sign button, a link that hands over the PDF whose SHA-256 is the hash shown."""

import hashlib
from decimal import Decimal

import pytest

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tests.financing.pdf import pdf_text
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, PackageSignature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accepted():
    """An offer the SME accepted: the bank prepares the filing package next."""
    bank = BankFactory(name="南通测试银行")
    enterprise = EnterpriseFactory(legal_name="南通海工焊接科技有限公司")
    application = ApplicationFactory(
        enterprise=enterprise,
        product=LoanProductFactory(bank=bank, min_amount=Decimal("10000")),
        status=ApplicationStatus.OFFER_ACCEPTED,
        approved_amount=Decimal("300000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
    )
    asset = IPAssetFactory(owner=enterprise, title="一种高强度海工装备焊接方法")
    asset.annual_fee_paid_through = asset.expiry_date
    asset.save()
    ApplicationAsset.objects.create(application=application, asset=asset)
    return {
        "application": application,
        "sme": UserFactory(organisation=enterprise.organisation, role=Role.SME_OWNER, first_name="海"),
        "officer": UserFactory(organisation=bank, role=Role.BANK_OFFICER, first_name="王"),
    }


def open_pdf(page) -> bytes:
    """Click the PDF link: the server answers with a PDF, which Chromium shows in its viewer. The viewer keeps the
    bytes to itself, so they are fetched again at the same address, in the same session."""
    link = page.get_by_role("link", name="查看/下载 PDF").first
    with page.expect_response(lambda r: "filing-package.pdf" in r.url) as answer:
        link.click()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    again = page.context.request.get(response.url)
    assert again.headers["content-type"] == "application/pdf"
    return again.body()


def shown_hash(page) -> str:
    return page.locator("[data-package-sha256]").first.inner_text().strip()


def sign(page) -> None:
    with page.expect_navigation():
        page.click("button[name=action][value='sign']")


def test_the_sme_and_the_bank_open_the_pdf_they_sign(person, accepted):
    application = accepted["application"]
    officer = person(accepted["officer"])
    officer.go(f"/bank/applications/{application.pk}/")
    with officer.page.expect_navigation():
        officer.page.click("button[name=action][value='package']")

    # The bank reads the document before it signs: the link stands before the sign button.
    page = officer.page
    link, button = page.get_by_role("link", name="查看/下载 PDF").first, page.locator("button[value='sign']")
    assert link.bounding_box()["y"] <= button.bounding_box()["y"]
    digest = shown_hash(page)
    document = open_pdf(page)
    assert hashlib.sha256(document).hexdigest() == digest
    assert "南通海工焊接科技有限公司" in pdf_text(document)
    officer.shot("bank-package-pdf")
    officer.go(f"/bank/applications/{application.pk}/")
    sign(officer.page)

    # The SME opens the same document on its page and signs its hash.
    sme = person(accepted["sme"])
    sme.go(f"/sme/applications/{application.pk}/")
    assert shown_hash(sme.page) == digest
    document = open_pdf(sme.page)
    assert hashlib.sha256(document).hexdigest() == digest
    assert "一种高强度海工装备焊接方法" in "".join(pdf_text(document).split())
    sme.go(f"/sme/applications/{application.pk}/")
    sign(sme.page)
    sme.shot("sme-package-pdf-signed")

    assert set(PackageSignature.objects.filter(package__application=application).values_list("document_sha256")) == {
        (digest,)
    }
