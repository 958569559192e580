"""A notice's e-mail copy says what the notification page says, in words: before, the copy of a status change
went out with the stored title's codes ("APP-…: submitted → under_review") and the service's English reason
("review started") as its body, while the page read "APP-…：已提交 → 审查中" and "开始审查"."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from tests.factories import ApplicationFactory, BankOfficerFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationStatus
from tongzhirong.financing.services.applications import application_start_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def review_started(django_capture_on_commit_callbacks):
    """A bank officer starts reviewing a submitted application; the firm's owner is told."""

    def start(language):
        officer = BankOfficerFactory()
        application = ApplicationFactory(product__bank=officer.organisation, status=ApplicationStatus.SUBMITTED)
        owner = UserFactory(organisation=application.enterprise.organisation, role=Role.SME_OWNER, email="o@x.cn")
        with translation.override(language), django_capture_on_commit_callbacks(execute=True):
            application_start_review(actor=officer, application=application)
        return application, owner

    return start


@pytest.mark.parametrize("acting_in", ["zh-hans", "en"])
def test_a_status_change_e_mail_names_the_statuses_in_the_recipients_words(settings, review_started, acting_in):
    """Whatever language the officer acts in, the owner (no language of their own stored: the product's,
    Chinese) reads the statuses and the reason in words."""
    settings.LANGUAGE_CODE = "zh-hans"  # the product's (the suite reads its errors in English)
    application, owner = review_started(acting_in)

    [copy] = [m for m in mail.outbox if m.to == [owner.email]]
    assert copy.subject == f"[通知融] {application.reference}：已提交 → 审查中"
    assert copy.body == "开始审查"
    for code in ("submitted", "under_review", "review started"):
        assert code not in copy.subject + copy.body


@pytest.mark.parametrize(
    ("reading_in", "title", "reason"),
    [("zh-hans", "已提交 → 审查中", "开始审查"), ("en", "Submitted 已提交 → Under review 审查中", "review started")],
)
def test_the_page_reads_the_same_notice_in_the_readers_language(client, review_started, reading_in, title, reason):
    application, owner = review_started("en")
    client.force_login(owner)

    page = client.get(reverse("web:notifications"), HTTP_ACCEPT_LANGUAGE=reading_in).content.decode()

    assert f"{application.reference}：{title}" in page
    assert reason in page
    assert "under_review" not in page
