"""Maker-checker, visible (issue 18, item 5): terms waiting for a checker are a state the queue filters and counts,
the bank's checkers are told, only those who may press a button see it (the service refuses the others too), and
the bank's internal note never reaches the applicant."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.core.errors import PermissionDenied
from tongzhirong.financing import services
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus
from tongzhirong.financing.notices import approval_proposal_notify
from tongzhirong.financing.services.applications import application_bank_abilities
from tongzhirong.lending.applications import application_approve
from tongzhirong.lending.queue import application_queue
from tongzhirong.lending.timeline import application_timeline
from tongzhirong.notifications.models import Notification

pytestmark = pytest.mark.django_db

TERMS = {"amount": Decimal("150000"), "rate": Decimal("0.04"), "term_months": 12}


@pytest.fixture
def bank():
    return BankFactory(maker_checker_threshold=Decimal("100000.00"))


@pytest.fixture
def maker(bank):
    return UserFactory(organisation=bank, role=Role.BANK_OFFICER)


@pytest.fixture
def checker(bank):
    return UserFactory(organisation=bank, role=Role.BANK_CHECKER)


@pytest.fixture
def sme():
    return UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)


@pytest.fixture
def application(sme, bank):
    product = LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"))
    app = ApplicationFactory(
        enterprise=sme.organisation.enterprise, product=product, status=ApplicationStatus.UNDER_REVIEW
    )
    for _ in range(2):
        ApplicationAsset.objects.create(
            application=app, asset=IPAssetFactory(owner=app.enterprise, forward_citations=30, family_size=5)
        )
    return app


@pytest.fixture
def propose(django_capture_on_commit_callbacks):
    """The maker proposes terms above the threshold; the notices its commit queues are sent."""

    def proposed(application, maker, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return application_approve(actor=maker, application=application, **TERMS, **extra)

    return proposed


def test_proposed_terms_wait_for_a_checker_and_the_queue_filters_them(application, maker, propose):
    other = ApplicationFactory(product=application.product, status=ApplicationStatus.UNDER_REVIEW)
    propose(application, maker)
    waiting = application_queue(user=maker, filters={"awaiting_checker": True})
    assert list(waiting.values_list("pk", flat=True)) == [application.pk]
    rest = application_queue(user=maker, filters={"awaiting_checker": False})
    assert list(rest.values_list("pk", flat=True)) == [other.pk]
    assert Application.objects.get(pk=application.pk).awaiting_checker


def test_the_api_lists_what_awaits_a_checker(application, maker, propose):
    propose(application, maker)
    client = APIClient()
    client.force_authenticate(maker)
    response = client.get("/api/v1/applications/", {"awaiting_checker": "true"})
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [application.reference]
    assert response.json()["results"][0]["approval_pending"] is True


def test_the_banks_checkers_are_told_and_nobody_else(application, maker, checker, sme, bank, propose):
    manager = UserFactory(organisation=bank, role=Role.BANK_MANAGER)
    colleague = UserFactory(organisation=bank, role=Role.BANK_OFFICER)
    other_bank_checker = UserFactory(organisation=BankFactory(), role=Role.BANK_CHECKER)
    propose(application, maker)
    told = Notification.objects.filter(subject_id=application.pk)
    assert set(told.values_list("recipient_id", flat=True)) == {checker.pk, manager.pk}
    notice = told.get(recipient=checker)
    assert application.reference in notice.title
    assert notice.subject_type == ContentType.objects.get_for_model(Application)
    assert not Notification.objects.filter(recipient__in=[maker, colleague, other_bank_checker, sme]).exists()


def test_telling_the_checkers_twice_tells_them_once(application, maker, checker, propose):
    propose(application, maker)
    assert approval_proposal_notify(application_id=application.pk) == 1  # the same notice as before, not a new one
    assert Notification.objects.filter(recipient=checker, subject_id=application.pk).count() == 1


def test_terms_within_the_officers_authority_tell_no_checker(
    application, maker, checker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(actor=maker, application=application, **(TERMS | {"amount": Decimal("50000")}))
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED
    assert not Notification.objects.filter(recipient=checker, subject_id=application.pk).exists()


def test_only_a_checker_who_is_not_the_maker_may_confirm(application, maker, checker, sme, bank, propose):
    colleague = UserFactory(organisation=bank, role=Role.BANK_OFFICER)
    assert application_bank_abilities(actor=checker, application=application) == {"decide"}  # nothing waits
    propose(application, maker)
    application.refresh_from_db()
    assert application_bank_abilities(actor=maker, application=application) == {"decide"}
    assert application_bank_abilities(actor=colleague, application=application) == {"decide"}
    assert application_bank_abilities(actor=checker, application=application) == {"decide", "confirm"}
    assert application_bank_abilities(actor=sme, application=application) == frozenset()
    with pytest.raises(PermissionDenied):  # the service refuses whom the page shows no button
        services.application_confirm_approval(actor=colleague, application=application)


def test_the_internal_note_stays_with_the_bank(application, maker, checker, sme, propose):
    propose(application, maker, comment="放款前提供股东担保。", internal_note="maker: cash flow thin")
    services.application_confirm_approval(actor=checker, application=application, comment="checker: agreed")
    application.refresh_from_db()
    assert application.internal_note == "maker: cash flow thin\nchecker: agreed"
    assert application.decision_comment == "放款前提供股东担保。"  # the offer's conditions, for both
    reasons = " ".join(e.reason for e in application_timeline(application=application))
    sme_notices = " ".join(Notification.objects.filter(recipient=sme).values_list("body", flat=True))
    for note in ("cash flow thin", "checker: agreed"):
        assert note not in reasons
        assert note not in sme_notices

    client = APIClient()
    client.force_authenticate(sme)
    assert client.get(f"/api/v1/applications/{application.pk}/").json()["internal_note"] is None
    client.force_authenticate(maker)
    assert "cash flow thin" in client.get(f"/api/v1/applications/{application.pk}/").json()["internal_note"]


@pytest.mark.parametrize(
    ("query", "refused"),
    [({"q": "x" * 101}, "q"), ({"q": "a\x00b"}, "q"), ({"awaiting_checker": "maybe"}, "awaiting_checker")],
)
def test_the_queues_search_and_checker_filter_refuse_what_they_cannot_read(maker, query, refused):
    client = APIClient()
    client.force_authenticate(maker)
    response = client.get("/api/v1/applications/", query)
    assert response.status_code == 400
    assert refused in response.json()["errors"]
