"""The pages as each side meets them: they render for the right people, refuse the others, show field errors
in the reader's language, change things only through the services, and do not grow queries with rows."""

import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring.models import AssetValuation
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    IPAssetFactory,
    LoanProductFactory,
    PlatformAdminFactory,
    UserFactory,
    make_patent_number,
)
from tongzhirong.accounts.models import Role
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.errors import InvalidTransition
from tongzhirong.financing.filters import QueueFilter
from tongzhirong.financing.models import Application, ApplicationAsset, ApplicationStatus

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
def sme():
    return UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)


@pytest.fixture
def application(sme, bank):
    product = LoanProductFactory(bank=bank, min_amount=Decimal("10000.00"))
    app = ApplicationFactory(
        enterprise=sme.organisation.enterprise, product=product, status=ApplicationStatus.SUBMITTED
    )
    for _ in range(2):
        ApplicationAsset.objects.create(
            application=app, asset=IPAssetFactory(owner=app.enterprise, forward_citations=30, family_size=5)
        )
    return app


def signed_in(client, user):
    client.force_login(user)
    return client


SME_PAGES = ("web:sme", "web:sme-profile", "web:sme-assets", "web:sme-matches", "web:sme-apply", "web:notifications")


@pytest.mark.parametrize("name", SME_PAGES)
def test_the_sme_pages_render(client, sme, application, name):
    response = signed_in(client, sme).get(reverse(name))
    assert response.status_code == 200


def test_each_side_lands_on_its_own_start_page(client, sme, officer):
    assert signed_in(client, sme).get("/").url == reverse("web:sme")
    assert signed_in(client, officer).get("/").url == reverse("web:bank-queue")
    assert signed_in(client, PlatformAdminFactory()).get("/").url == reverse("web:city")


def test_a_bank_officer_cannot_open_sme_pages_nor_another_banks_application(client, officer, application):
    signed_in(client, officer)
    assert client.get(reverse("web:sme-assets")).status_code == 403
    other = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    client.force_login(other)
    assert client.get(reverse("web:bank-application", args=[application.pk])).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(reverse("web:bank-queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_registering_an_asset_with_a_bad_number_shows_the_error_in_chinese(client, sme, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    body = {
        "asset-ip_type": "invention_patent",
        "asset-identifier": "201910000001.0",  # wrong check character
        "asset-title": "一种测试方法",
        "asset-filing_date": "2019-05-10",
        "asset-legal_status": "pending",
        "asset-claims_count": 5,
        "asset-forward_citations": 0,
        "asset-family_size": 1,
        "asset-licence_count": 0,
        "asset-licence_revenue": "0",
    }
    response = signed_in(client, sme).post(reverse("web:sme-assets"), body)
    assert response.status_code == 200
    assert "专利申请号的校验码应为" in response.content.decode()
    assert not IPAsset.objects.filter(owner=sme.organisation.enterprise).exists()
    body["asset-identifier"] = make_patent_number(4321)
    response = client.post(reverse("web:sme-assets"), body)
    assert response.status_code == 302
    assert IPAsset.objects.filter(owner=sme.organisation.enterprise, identifier=body["asset-identifier"]).exists()


def test_the_uscc_is_checked_as_you_type(client, sme):
    signed_in(client, sme)
    bad = client.post(reverse("web:sme-check-uscc"), {"uscc": "91320600MA1X0000XX"})
    assert "errorlist" in bad.content.decode()
    good = client.post(reverse("web:sme-check-uscc"), {"uscc": sme.organisation.enterprise.uscc})
    assert "✓" in good.content.decode()


def test_the_officer_reviews_and_the_checker_confirms_a_large_approval(client, officer, checker, application):
    url = reverse("web:bank-application", args=[application.pk])
    signed_in(client, officer)
    assert client.get(url).status_code == 200
    client.post(url, {"action": "start-review"})
    page = client.get(url).content.decode()
    assert "Approve" in page or "批准" in page
    client.post(url, {"action": "approve", "amount": "150000", "rate": "4", "term_months": "12"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    assert application.approval_proposed_by == officer
    # The maker cannot confirm; the checker can.
    client.post(url, {"action": "confirm"})
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW
    client.force_login(checker)
    client.post(url, {"action": "confirm"})
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.APPROVED


def test_an_approval_over_the_limit_shows_the_services_refusal_in_chinese(client, officer, application, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    url = reverse("web:bank-application", args=[application.pk])
    signed_in(client, officer)
    client.post(url, {"action": "start-review"})
    response = client.post(url, {"action": "approve", "amount": "999999999", "rate": "4", "term_months": "12"})
    assert response.status_code == 200
    assert 'id="id_amount-errors"' in response.content.decode()
    assert "该产品贷款金额为" in response.content.decode()  # the product range, refused before the collateral


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_queue_and_the_overview_do_not_grow_queries_with_rows(client, sme, officer, application):
    bank_url, sme_url = reverse("web:bank-queue"), reverse("web:sme")
    signed_in(client, officer)
    queries_for(client, bank_url)
    bank_before = queries_for(client, bank_url)
    client.force_login(sme)
    sme_before = queries_for(client, sme_url)
    for _ in range(5):
        extra = ApplicationFactory(enterprise=application.enterprise, product=application.product, status="submitted")
        ApplicationAsset.objects.create(application=extra, asset=IPAssetFactory(owner=extra.enterprise))
    assert queries_for(client, sme_url) == sme_before
    client.force_login(officer)
    assert queries_for(client, bank_url) == bank_before


def test_the_city_dashboard_is_for_the_office_and_counts_disbursed_loans(client, officer):
    from tests.factories import LoanFactory

    city = UserFactory(organisation=BankFactory(kind="city_office"), role=Role.ANALYST)
    LoanFactory(principal=Decimal("2500000.00"), outstanding_principal=Decimal("2500000.00"))
    signed_in(client, city)
    response = client.get(reverse("web:city"))
    assert response.status_code == 200
    assert 'data-yuan="2500000.00"' in response.content.decode()
    client.force_login(officer)
    assert client.get(reverse("web:city")).status_code == 403


def test_an_insurer_decides_and_pays_a_claim_from_its_page(client):
    from tests.factories import InsuranceProductFactory
    from tests.risksharing.helpers import bank_officer, defaulted_loan, registered_application
    from tongzhirong.risksharing.models import Claim, ClaimStatus
    from tongzhirong.risksharing.services import claim_submit

    insurer = UserFactory(organisation=BankFactory(kind="insurer", name="人保财险"), role=Role.UNDERWRITER)
    officer = bank_officer()
    application = registered_application(
        officer, insurance_product=InsuranceProductFactory(insurer=insurer.organisation)
    )
    claim = defaulted_loan(officer, application).claims.get()
    claim_submit(actor=officer, claim=claim, claimed_amount=Decimal("50000.00"), comment="", documents=[])
    signed_in(client, insurer)
    assert client.get("/").url == reverse("web:provider")
    page = client.get(reverse("web:provider")).content.decode()
    assert claim.reference in page
    client.post(reverse("web:provider"), {"claim": claim.pk, "action": "approve", "amount": "40000"})
    client.post(reverse("web:provider"), {"claim": claim.pk, "action": "pay", "reference": "PAY-1"})
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.status == ClaimStatus.PAID


def test_the_disposal_desk_opens_a_case_for_a_defaulted_loan(client):
    from tests.risksharing.helpers import bank_officer, defaulted_loan, registered_application
    from tongzhirong.risksharing.models import DisposalCase

    officer = bank_officer()
    loan = defaulted_loan(officer, registered_application(officer))
    signed_in(client, officer)
    assert loan.contract_number in client.get(reverse("web:bank-disposal")).content.decode()
    client.post(reverse("web:bank-disposal"), {"loan": loan.pk, "asset": loan.application.assets.first().pk})
    assert DisposalCase.objects.filter(loan=loan).count() == 1


def test_the_bank_application_page_costs_the_same_queries_for_one_or_four_pledged_assets(client, officer, application):
    url = reverse("web:bank-application", args=[application.pk])
    signed_in(client, officer)
    client.get(url)  # the first view warms what is cached per process: count the second
    before = queries_for(client, url)
    for _ in range(2):
        ApplicationAsset.objects.create(application=application, asset=IPAssetFactory(owner=application.enterprise))
    client.get(url)
    assert queries_for(client, url) == before


@pytest.mark.parametrize("name", ["web:bank-loans", "web:bank-disposal", "web:notifications"])
def test_the_bank_lists_do_not_grow_queries_with_rows(client, officer, name):
    from tests.factories import LoanFactory
    from tongzhirong.notifications.models import Notification

    def add(n):
        for _ in range(n):
            LoanFactory(application__product__bank=officer.organisation, status="defaulted", days_past_due=120)
            Notification.objects.create(recipient=officer, title="notice")

    add(1)
    signed_in(client, officer)
    before = queries_for(client, reverse(name))
    add(4)
    assert queries_for(client, reverse(name)) == before


def test_the_pre_check_reasons_are_in_the_readers_language(client, officer, application):
    from tongzhirong.financing.pledge import application_precheck

    check = application_precheck(application)["assets"][0]["checks"][0]
    url = reverse("web:bank-application", args=[application.pk])
    signed_in(client, officer)
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert check["reason_zh"] in chinese
    assert check["reason_en"] in english
    assert check["reason_zh"] not in english


def test_a_posted_id_that_is_not_a_number_is_a_404_not_an_error(client, sme):
    response = signed_in(client, sme).post(reverse("web:notifications"), {"id": "abc"})
    assert response.status_code == 404


def test_the_bank_application_shows_rates_to_the_basis_point(client, officer, application):
    application.product.pledge_rate_caps.update(max_pledge_rate=Decimal("0.355"))
    url = reverse("web:bank-application", args=[application.pk])
    signed_in(client, officer)
    client.post(url, {"action": "start-review"})
    client.post(url, {"action": "approve", "amount": "150000", "rate": "3.75", "term_months": "12"})
    page = client.get(url).content.decode()
    assert "150,000.00 · 3.75% · 12" in page  # the proposed terms to the fen, the rate not rounded to "4%"
    assert '<td class="num">35.5%</td>' in page  # the pledge-rate cap of the collateral, not "36%"


def test_the_bank_application_page_reads_valuations_and_says_in_chinese_which_are_missing(client, officer, application):
    url = reverse("web:bank-application", args=[application.pk])
    signed_in(client, officer)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "尚未估值：申请评分时估值" in page
    assert not AssetValuation.objects.exists()  # reading the page values nothing


def test_an_insurer_and_a_guarantor_see_their_rates_as_percentages(client):
    from tests.factories import GuaranteeProductFactory, InsuranceProductFactory

    insurer = UserFactory(organisation=BankFactory(kind="insurer"), role=Role.UNDERWRITER)
    guarantor = UserFactory(organisation=BankFactory(kind="guarantor"), role=Role.UNDERWRITER)
    InsuranceProductFactory(insurer=insurer.organisation, premium_rate=Decimal("0.0125"), coverage_ratio=Decimal("0.7"))
    GuaranteeProductFactory(
        guarantor=guarantor.organisation, fee_rate=Decimal("0.0085"), coverage_ratio=Decimal("0.75")
    )
    insurers_page = signed_in(client, insurer).get(reverse("web:provider")).content.decode()
    assert '<td class="num">1.25%</td><td class="num">70%</td>' in insurers_page  # premium, not "0.012500"
    client.force_login(guarantor)
    guarantors_page = client.get(reverse("web:provider")).content.decode()
    assert '<td class="num">0.85%</td><td class="num">75%</td>' in guarantors_page  # guarantee fee


# --- The queue's filters: one definition with the API's (QueueFilter) -----------------------------------------


@pytest.fixture
def small_and_large(application):
    small = ApplicationFactory(
        enterprise=application.enterprise,
        product=application.product,
        status=ApplicationStatus.SUBMITTED,
        requested_amount=Decimal("50000.00"),
    )
    return small, application  # the fixture's application asks for 3,000,000


def test_a_valid_filter_narrows_the_queue(client, officer, small_and_large):
    small, large = small_and_large
    response = signed_in(client, officer).get(reverse("web:bank-queue"), {"min_amount": "1000000"})
    assert response.status_code == 200
    page = response.content.decode()
    assert large.reference in page
    assert small.reference not in page
    assert 'name="min_amount" inputmode="decimal" value="1000000.00"' in page
    assert '<details class="more-filters" open>' in page  # a filter in use stays in sight


def test_the_queues_filters_fold_away_until_one_is_in_use(client, officer, small_and_large):
    """The queue starts on the first screen: beyond the search, the filters sit in a closed fold (a search or an
    order does not open it)."""
    signed_in(client, officer)
    for query in ({}, {"q": "南通"}, {"ordering": "requested_amount"}, {"sla_breached": ""}):
        page = client.get(reverse("web:bank-queue"), query).content.decode()
        assert '<details class="more-filters">' in page, query
    for query in ({"band": "E"}, {"sla_breached": "0"}, {"awaiting_checker": "1"}):
        page = client.get(reverse("web:bank-queue"), query).content.decode()
        assert '<details class="more-filters" open>' in page, query


def test_a_valid_ordering_orders_the_queue(client, officer, small_and_large):
    small, large = small_and_large
    page = signed_in(client, officer).get(reverse("web:bank-queue"), {"ordering": "requested_amount"})
    body = page.content.decode()
    assert body.index(small.reference) < body.index(large.reference)
    assert 'aria-sort="ascending"><a href="?ordering=-requested_amount">' in body  # the column says how it is sorted


BAD_FILTERS = [
    pytest.param({"band": "F"}, "Band", id="band"),
    pytest.param({"status": "lost"}, "Status", id="status"),
    pytest.param({"min_amount": "a lot"}, "Amount from", id="amount"),
    pytest.param({"max_amount": "1e999"}, "Amount to", id="amount-too-large"),
    # The queue filters by days in the current stage, not by a date: this is its time filter.
    pytest.param({"min_days_in_stage": "2025-01-01"}, "Days in stage, at least", id="days-given-a-date"),
    pytest.param({"sla_breached": "maybe"}, "Service level", id="service-level"),
    pytest.param({"ordering": "-colour"}, "Order by", id="ordering"),
    pytest.param({"product": "x"}, "Product", id="product"),
]


@pytest.mark.parametrize(("query", "label"), BAD_FILTERS)
def test_a_bad_filter_says_so_and_shows_the_whole_queue(client, officer, small_and_large, query, label):
    response = signed_in(client, officer).get(reverse("web:bank-queue"), {"min_amount": "1000000", **query})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Some filters are not valid, so the whole queue is shown." in page
    assert f"{label}: " in page
    assert all(a.reference in page for a in small_and_large)  # not even the valid filter applies
    assert 'name="min_amount" inputmode="decimal" value=""' in page  # the form shows what the list shows


GOOD_FILTERS = pytest.param({"band": "A", "ordering": "-pd", "sla_breached": "0"}, "", id="good")


@pytest.mark.parametrize(("query", "label"), [*BAD_FILTERS, GOOD_FILTERS])
def test_the_page_and_the_api_refuse_the_same_filters(client, officer, application, query, label):
    signed_in(client, officer)
    api = client.get("/api/v1/applications/", query)
    page = client.get(reverse("web:bank-queue"), query).content.decode()
    assert api.status_code == (400 if label else 200)
    assert ("Some filters are not valid" in page) == bool(label)


def test_a_bad_filter_is_explained_in_chinese(client, officer, application):
    response = signed_in(client, officer).get(reverse("web:bank-queue"), {"band": "F"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert "部分筛选条件无效，下面显示全部申请。" in page
    assert "风险等级：“F” 不是合法选项。" in page


@pytest.mark.parametrize("query", [pytest.param(p.values[0], id=p.id) for p in BAD_FILTERS])
def test_the_page_refuses_a_filter_in_the_words_of_the_apis_400(client, officer, application, query):
    signed_in(client, officer)
    ((name, _value),) = query.items()
    (message,) = client.get("/api/v1/applications/", query).json()["errors"][name]
    page = html.unescape(client.get(reverse("web:bank-queue"), query).content.decode())
    assert f"{QueueFilter().labels()[name]}: {message}" in page


@pytest.mark.parametrize(
    ("refusal", "shown"),
    [
        (InvalidTransition("The case is Open, not Closed."), "The case is Open, not Closed."),
        (
            InvalidTransition("subsidyclaim cannot go from approved to approved.", from_status="a", to_status="a"),
            "This step is not possible in the current status; the page shows it as it is now.",
        ),
    ],
)
def test_a_services_refusal_is_shown_as_written_and_the_state_machines_in_plain_words(rf, refusal, shown):
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.cookie import CookieStorage

    from tongzhirong.web.pages import attempt

    request = rf.post("/")
    request._messages = CookieStorage(request)

    def refuse():
        raise refusal

    assert attempt(request, refuse) is False
    assert [str(m) for m in get_messages(request)] == [shown]
