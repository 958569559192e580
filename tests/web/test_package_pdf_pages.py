"""The filing package's PDF on the pages: each party sees the hash it signs and the PDF whose hash it is, before
its sign button; the PDF goes to the pledgor and the pledgee alone."""

import hashlib
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    BankOfficerFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    PlatformAdminFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.financing.filing import filing_package_generate
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)


@pytest.fixture
def sme():
    return UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)


@pytest.fixture
def package(sme, officer):
    application = ApplicationFactory(
        enterprise=sme.organisation.enterprise,
        product=LoanProductFactory(bank=officer.organisation, min_amount=Decimal("10000")),
        status=ApplicationStatus.OFFER_ACCEPTED,
        approved_amount=Decimal("300000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
    )
    asset = IPAssetFactory(owner=application.enterprise)
    asset.annual_fee_paid_through = asset.expiry_date
    asset.save()
    ApplicationAsset.objects.create(application=application, asset=asset)
    return filing_package_generate(actor=officer, application=application)


def pdf_url(package) -> str:
    url = reverse("web:package-pdf", args=[package.application_id])
    return f"{url}?registry={package.registry}&version={package.version}"


@pytest.mark.parametrize(("side", "page"), [("sme", "web:sme-application"), ("officer", "web:bank-application")])
def test_each_party_sees_the_hash_and_the_pdf_before_its_sign_button(client, package, side, page, request):
    client.force_login(request.getfixturevalue(side))
    body = html.unescape(client.get(reverse(page, args=[package.application_id])).content.decode())
    link, button = body.index(pdf_url(package)), body.index('name="action" value="sign"')
    assert body.index(package.sha256) < link < button


@pytest.mark.parametrize("side", ["sme", "officer"])
def test_the_pdf_link_hands_over_the_bytes_whose_hash_is_signed(client, package, side, request):
    client.force_login(request.getfixturevalue(side))
    response = client.get(pdf_url(package))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="{package.application.reference}-{package.registry}-v{package.version}.pdf"'
    )
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == package.sha256


def test_no_one_else_gets_the_pdf(client, package):
    client.force_login(BankOfficerFactory())
    assert client.get(pdf_url(package)).status_code == 404
    client.force_login(PlatformAdminFactory())  # sees the application, not the parties' document
    assert client.get(pdf_url(package)).status_code == 403
    body = client.get(reverse("web:bank-application", args=[package.application_id])).content.decode()
    assert reverse("web:package-pdf", args=[package.application_id]) not in body


@pytest.mark.parametrize("query", ["?version=x", "?version=9", "?registry=nowhere"])
def test_a_version_or_registry_that_is_not_there_is_404(client, package, sme, query):
    client.force_login(sme)
    assert client.get(reverse("web:package-pdf", args=[package.application_id]) + query).status_code == 404
