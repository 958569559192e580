"""The bank's workbench (issue 18, items 4-6): the queue's search, sortable columns, totals and page numbers, the
awaiting-checker chip and badge; the application page opening on its decision panel, with the request flagged
against the collateral limit, the documents the product requires, and buttons only for those who may press them."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from scoring.services import application_collateral_valuate
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus, DocumentKind
from tongzhirong.lending.applications import application_approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    return BankFactory(maker_checker_threshold=Decimal("100000.00"))


@pytest.fixture
def officer(bank):
    return UserFactory(organisation=bank, role=Role.BANK_OFFICER)


@pytest.fixture
def checker(bank):
    return UserFactory(organisation=bank, role=Role.BANK_CHECKER)


@pytest.fixture
def product(bank):
    return LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"), appraisal_free_ceiling=Decimal("0"))


def pledged(application, n=2):
    for _ in range(n):
        ApplicationAsset.objects.create(
            application=application,
            asset=IPAssetFactory(owner=application.enterprise, forward_citations=30, family_size=5),
        )
    return application


@pytest.fixture
def application(product):
    return pledged(ApplicationFactory(product=product, status=ApplicationStatus.UNDER_REVIEW))


def queue(client, user, **query):
    client.force_login(user)
    return client.get(reverse("web:bank-queue"), query).content.decode()


def references(page: str) -> set[str]:
    return set(re.findall(r'href="/bank/applications/\d+/">([^<]+)</a>', page))


@pytest.mark.parametrize("words", ["legal_name", "uscc", "reference"])
def test_the_queue_finds_an_application_by_company_uscc_or_reference(client, officer, product, words):
    wanted = ApplicationFactory(
        product=product, enterprise=EnterpriseFactory(legal_name="南通海韵声学科技有限公司"), status="submitted"
    )
    ApplicationFactory(product=product, status="submitted")
    term = {
        "legal_name": "海韵声学",
        "uscc": wanted.enterprise.uscc[-8:].lower(),
        "reference": wanted.reference[-5:],
    }[words]
    assert references(queue(client, officer, q=term)) == {wanted.reference}


def test_awaiting_checker_is_counted_filtered_and_badged(client, officer, application, product):
    ApplicationFactory(product=product, status=ApplicationStatus.UNDER_REVIEW)
    application_approve(
        actor=officer, application=application, amount=Decimal("150000"), rate=Decimal("0.04"), term_months=12
    )
    page = queue(client, officer)
    assert re.search(r'href="\?awaiting_checker=1">Awaiting checker <span class="badge checker">1</span>', page)
    filtered = queue(client, officer, awaiting_checker="1")
    assert references(filtered) == {application.reference}
    assert '<span class="badge checker">Awaiting checker</span>' in filtered


def test_the_columns_sort_both_ways_keeping_the_filters(client, officer, product):
    small = ApplicationFactory(product=product, requested_amount=Decimal("20000"), status="submitted")
    large = ApplicationFactory(product=product, requested_amount=Decimal("900000"), status="submitted")
    page = queue(client, officer, status="submitted", ordering="-requested_amount")
    assert page.index(large.reference) < page.index(small.reference)
    header = re.search(r'<th scope="col" class="num" aria-sort="descending"><a href="([^"]+)">', page)
    assert header, "the amount column says it is sorted, largest first"
    assert "ordering=requested_amount" in header.group(1)
    assert "status=submitted" in header.group(1)
    page = client.get(reverse("web:bank-queue") + header.group(1).replace("&amp;", "&")).content.decode()
    assert page.index(small.reference) < page.index(large.reference)
    assert 'aria-sort="ascending"' in page


def test_the_queue_shows_its_total_and_page_numbers(client, officer, product):
    ApplicationFactory.create_batch(60, product=product, status="submitted")
    page = queue(client, officer, page="2")
    assert "60 in all" in page
    assert "page 2 of 3" in page
    assert '<a aria-current="page">2</a>' in page
    assert re.search(r'<a href="\?page=3">3</a>', page)


def test_the_filters_are_checkboxes_a_keyboard_can_use(client, officer):
    page = queue(client, officer, status="submitted")
    assert 'name="status" multiple' not in page
    assert '<input type="checkbox" name="status" value="submitted" checked>' in page


def application_page(client, user, application) -> str:
    client.force_login(user)
    return client.get(reverse("web:bank-application", args=[application.pk])).content.decode()


def test_the_page_opens_on_the_decision_and_flags_a_request_above_the_limit(client, officer, product):
    application = pledged(
        ApplicationFactory(product=product, status="under_review", requested_amount=Decimal("4900000"))
    )
    page = application_page(client, officer, application)
    assert page.index('class="decision-panel"') < page.index("Collateral") < page.index("Timeline")
    assert "Above the collateral limit" in page


def test_a_request_within_the_limit_is_not_flagged(client, officer, product):
    application = pledged(ApplicationFactory(product=product, status="under_review", requested_amount=Decimal("1")))
    application_collateral_valuate(application=application)  # as scoring on submission would
    assert "Above the collateral limit" not in application_page(client, officer, application)


def test_the_documents_checklist_names_what_the_product_requires(client, officer, application):
    page = application_page(client, officer, application)
    checklist = page[page.index('<ul class="checklist">') :]
    checklist = checklist[: checklist.index("</ul>")]
    for kind in (
        DocumentKind.BUSINESS_LICENCE,
        DocumentKind.IDENTITY_PROOF,
        DocumentKind.FINANCIAL_STATEMENT,
        DocumentKind.APPRAISAL_REPORT,
    ):
        assert str(kind.label) in checklist
    assert checklist.count('class="missing"') == 4


def test_the_maker_sees_no_confirm_button_and_the_checker_does(client, officer, checker, application):
    application_approve(
        actor=officer, application=application, amount=Decimal("150000"), rate=Decimal("0.04"), term_months=12
    )
    maker_page = application_page(client, officer, application)
    assert 'value="confirm"' not in maker_page
    assert "Waiting for a checker" in maker_page
    assert 'value="confirm"' in application_page(client, checker, application)


def test_a_bank_user_of_another_bank_sees_no_buttons_on_the_platform_view(client, application):
    admin = UserFactory(is_superuser=True, is_staff=True)
    page = application_page(client, admin, application)
    assert 'name="action"' not in page.split("decision-panel", 1)[1].split("</section>", 1)[0]


def test_the_internal_note_shows_to_the_bank_not_to_the_applicant(client, officer, application):
    sme = UserFactory(organisation=application.enterprise.organisation, role=Role.SME_OWNER)
    application_approve(
        actor=officer,
        application=application,
        amount=Decimal("50000"),
        rate=Decimal("0.04"),
        term_months=12,
        internal_note="现金流偏弱，关注",
    )
    assert "现金流偏弱" in application_page(client, officer, application)
    client.force_login(sme)
    assert "现金流偏弱" not in client.get(reverse("web:sme-application", args=[application.pk])).content.decode()


def test_a_fields_help_text_is_on_the_page_where_its_aria_describedby_points(client, officer, application):
    page = application_page(client, officer, application)
    for described in re.findall(r'aria-describedby="([^"]+)"', page):
        assert f'id="{described}"' in page
