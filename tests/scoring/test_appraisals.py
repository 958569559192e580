"""Formal appraisals (issue 18, item 7): the lending bank engages an appraisal firm, the firm files value, method,
fee and its signed report, each side is told, and everyone else is refused by the service itself."""

import hashlib
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.appraisals import appraisal_file, appraisal_list, appraisal_request
from scoring.models import Appraisal, AppraisalStatus
from tests.factories import ApplicationFactory, BankFactory, UserFactory
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.core.errors import Conflict, PermissionDenied, ValidationFailed
from tongzhirong.financing.models import ApplicationStatus
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% appraisal report\n"


@pytest.fixture
def application():
    return ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)


@pytest.fixture
def officer(application):
    return UserFactory(organisation=application.product.bank, role=Role.BANK_OFFICER)


@pytest.fixture
def firm():
    return BankFactory(kind=OrganisationKind.APPRAISER, name="江苏中企华评估")


@pytest.fixture
def appraiser(firm):
    return UserFactory(organisation=firm, role=Role.APPRAISER)


def report(content=PDF, name="report.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def requested(application, officer, firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return appraisal_request(actor=officer, application=application, appraiser=firm)


def test_the_bank_engages_a_firm_and_the_firm_is_told(appraiser, requested, application):
    assert requested.status == AppraisalStatus.REQUESTED
    notice = Notification.objects.get(recipient=appraiser)
    assert application.reference in notice.title
    assert list(appraisal_list(user=appraiser)) == [requested]


def test_only_the_lending_bank_engages_and_only_an_appraisal_firm(application, firm, officer):
    stranger = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    with pytest.raises(PermissionDenied):
        appraisal_request(actor=stranger, application=application, appraiser=firm)
    with pytest.raises(ValidationFailed):
        appraisal_request(actor=officer, application=application, appraiser=BankFactory())


def test_the_same_firm_is_not_asked_twice_while_a_request_is_open(requested, application, officer, firm):
    with pytest.raises(Conflict):
        appraisal_request(actor=officer, application=application, appraiser=firm)


def test_the_firm_files_value_method_fee_and_report_and_the_bank_is_told(
    requested, appraiser, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filed = appraisal_file(
            actor=appraiser,
            appraisal=requested,
            value=Decimal("3200000"),
            method="income",
            fee=Decimal("48000"),
            report=report(),
        )
    assert (filed.status, filed.value, filed.method, filed.fee) == (
        AppraisalStatus.FILED,
        Decimal("3200000.00"),
        "income",
        Decimal("48000.00"),
    )
    assert filed.report_sha256 == hashlib.sha256(PDF).hexdigest()
    assert Notification.objects.filter(recipient=officer, title__contains="3200000").exists()


def test_another_firm_may_not_file_and_a_filed_appraisal_is_not_filed_again(requested, appraiser):
    other = UserFactory(organisation=BankFactory(kind=OrganisationKind.APPRAISER), role=Role.APPRAISER)
    terms = {"value": Decimal("1000000"), "method": "market", "fee": Decimal("20000")}
    with pytest.raises(PermissionDenied):
        appraisal_file(actor=other, appraisal=requested, report=report(), **terms)
    appraisal_file(actor=appraiser, appraisal=requested, report=report(), **terms)
    with pytest.raises(Conflict):
        appraisal_file(actor=appraiser, appraisal=requested, report=report(), **terms)


def test_the_report_is_a_pdf(requested, appraiser):
    with pytest.raises(ValidationFailed) as refused:
        appraisal_file(
            actor=appraiser,
            appraisal=requested,
            value=Decimal("1000000"),
            method="market",
            fee=Decimal("20000"),
            report=report(b"PK\x03\x04 not a pdf", "report.pdf"),
        )
    assert "report" in refused.value.errors


def test_a_filing_whose_row_cannot_be_saved_leaves_no_report_file(requested, appraiser, monkeypatch):
    before = set(default_storage.listdir("appraisals")[1]) if default_storage.exists("appraisals") else set()

    def refuse(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Appraisal, "save", refuse)
    with pytest.raises(RuntimeError):
        appraisal_file(
            actor=appraiser,
            appraisal=requested,
            value=Decimal("1000000"),
            method="market",
            fee=Decimal("20000"),
            report=report(),
        )
    after = set(default_storage.listdir("appraisals")[1]) if default_storage.exists("appraisals") else set()
    assert after == before
