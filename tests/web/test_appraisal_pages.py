"""Appraisals on the pages (issue 18, item 7): the bank engages a firm from the application page, the firm files
from its own page, the bank reads the value beside the model's range and opens the report; nobody else does."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scoring.models import Appraisal, AppraisalStatus
from scoring.services import application_collateral_valuate
from tests.factories import ApplicationFactory, BankFactory, IPAssetFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% report\n"


@pytest.fixture
def application():
    app = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    ApplicationAsset.objects.create(
        application=app, asset=IPAssetFactory(owner=app.enterprise, forward_citations=30, family_size=5)
    )
    application_collateral_valuate(application=app)
    return app


@pytest.fixture
def officer(application):
    return UserFactory(organisation=application.product.bank, role=Role.BANK_OFFICER)


@pytest.fixture
def appraiser():
    return UserFactory(
        organisation=BankFactory(kind=OrganisationKind.APPRAISER, name="中企华评估"), role=Role.APPRAISER
    )


def bank_page(application):
    return reverse("web:bank-application", args=[application.pk])


def test_from_request_to_report_through_the_pages(client, application, officer, appraiser):
    client.force_login(officer)
    client.post(bank_page(application), {"action": "engage-appraiser", "appraiser": appraiser.organisation.pk})
    appraisal = Appraisal.objects.get(application=application)

    client.force_login(appraiser)
    page = client.get(reverse("web:appraiser")).content.decode()
    assert application.reference in page
    prefix = f"appraisal-{appraisal.pk}"
    client.post(
        reverse("web:appraiser"),
        {
            "action": "file-appraisal",
            "appraisal": appraisal.pk,
            f"{prefix}-value": "32000000",
            f"{prefix}-method": "income",
            f"{prefix}-fee": "30000",
            f"{prefix}-report": SimpleUploadedFile("r.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert Appraisal.objects.get(pk=appraisal.pk).status == AppraisalStatus.FILED

    client.force_login(officer)
    page = client.get(bank_page(application)).content.decode()
    section = page[page.index('id="appraisal"') :]
    section = section[: section.index("</section>")]
    assert "3,200万元" in section
    assert "above the model&#x27;s range" in page or "above the model's range" in page
    report = client.get(reverse("web:appraisal-report", args=[appraisal.pk]))
    assert report.status_code == 200
    assert b"".join(report.streaming_content) == PDF

    sme = UserFactory(organisation=application.enterprise.organisation, role=Role.SME_OWNER)
    client.force_login(sme)
    assert client.get(reverse("web:appraisal-report", args=[appraisal.pk])).status_code == 404
