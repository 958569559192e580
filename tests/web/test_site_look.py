"""The shared look of the pages (issue 18): the front door signs people in, error pages speak Chinese in the
site's layout, the schedule reconciles to the fen, the loan book's bucket links survive their "+", and each
side's start page counts what waits for it."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import BankFactory, EnterpriseFactory, LoanFactory, UserFactory
from tongzhirong.accounts.models import Role
from tongzhirong.financing.models import ApplicationStatus, ScheduleLine

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def sme():
    return UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)


@pytest.fixture
def loan(sme):
    loan = LoanFactory(
        application__enterprise=sme.organisation.enterprise, principal=Decimal("5800000.00"), days_past_due=95
    )
    today = timezone.localdate()
    ScheduleLine.objects.create(
        loan=loan,
        sequence=1,
        due_date=today - dt.timedelta(days=95),
        principal_due=Decimal("483333.33"),
        interest_due=Decimal("21750.00"),
        principal_paid=Decimal("1234.56"),
    )
    ScheduleLine.objects.create(
        loan=loan, sequence=2, due_date=today + dt.timedelta(days=3), principal_due=Decimal("483333.33"),
        interest_due=Decimal("21750.00"),
    )  # fmt: skip
    return loan


def test_the_front_door_has_the_sign_in_form(client):
    page = client.get("/").content.decode()
    assert f'action="{reverse("web:login")}"' in page
    assert 'name="username"' in page
    assert 'name="password"' in page


def test_signing_out_lands_on_the_front_door(client, sme):
    client.force_login(sme)
    response = client.post(reverse("web:logout"))
    assert response.url == reverse("web:home")
    assert client.get(response.url).status_code == 200


def test_a_missing_page_is_the_sites_own_404_in_chinese(client, sme):
    client.force_login(sme)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page
    assert 'id="site-menu"' in page  # the site's layout, with the person's navigation
    assert reverse("web:sme-assets") in page


def test_a_page_of_another_side_is_the_sites_own_403_in_chinese(client, sme):
    client.force_login(sme)
    response = client.get(reverse("web:bank-loans"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in page
    assert "Forbidden" not in page


def test_the_schedule_keeps_the_fen_of_what_was_paid(client, sme, loan):
    """The bug: the paid column went through ``|add:0`` and showed 1234 for 1,234.56."""
    client.force_login(sme)
    page = client.get(reverse("web:sme-loan", args=[loan.pk])).content.decode()
    assert "1,234.56 / 0.00" in page
    assert "483,333.33" in page
    assert "5,800,000.00" in page


def test_the_loan_books_over_90_link_is_url_encoded(client, loan):
    """The bug: ``?bucket=90+`` reached the server as "90 " and the filter dropped, showing every loan."""
    officer = UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER)
    LoanFactory(application__product__bank=loan.bank, bank=loan.bank, days_past_due=0)
    client.force_login(officer)
    page = client.get(reverse("web:bank-loans")).content.decode()
    assert 'href="?bucket=90%2B"' in page
    assert "90天以上: 1" in page
    chosen = client.get(reverse("web:bank-loans"), {"bucket": "90+"}).content.decode()
    assert chosen.count(reverse("web:bank-loan", args=[loan.pk])) == 1
    assert len(re.findall(r'href="/bank/loans/\d+/"', chosen)) == 1  # the other, current loan is left out


def test_the_smes_start_page_counts_what_waits_for_it(client, sme, loan):
    enterprise = sme.organisation.enterprise
    product = loan.application.product
    from tests.factories import ApplicationFactory

    ApplicationFactory(enterprise=enterprise, product=product, status=ApplicationStatus.INFO_REQUESTED)
    ApplicationFactory(enterprise=enterprise, product=product, status=ApplicationStatus.UNDER_REVIEW)
    client.force_login(sme)
    page = client.get(reverse("web:sme")).content.decode()
    assert '进行中的申请</p><p class="figure">2<' in page
    assert '待您处理</p><p class="figure">1<' in page
    assert '本周到期</p><p class="figure">1<' in page
    assert "505,083.33 元" in page


def test_the_loan_book_counts_the_week(client, loan):
    officer = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    client.force_login(officer)
    page = client.get(reverse("web:bank-loans")).content.decode()
    assert '本周到期</p><p class="figure">0<' in page  # another bank's loan is not counted
    client.force_login(UserFactory(organisation=loan.bank, role=Role.BANK_OFFICER))
    page = client.get(reverse("web:bank-loans")).content.decode()
    assert '本周到期</p><p class="figure">1<' in page
    assert '已逾期</p><p class="figure">1<' in page


def test_an_import_error_names_the_column_by_the_templates_chinese_header(client, sme):
    """The bug: the report named columns by their codes (filing_date)."""
    csv = "知识产权类型,申请号/注册号,名称,申请日\n发明专利,ZL201810000001.2,一种方法,not-a-date\n".encode()
    client.force_login(sme)
    page = client.post(
        reverse("web:sme-assets-import"), {"file": SimpleUploadedFile("assets.csv", csv, content_type="text/csv")}
    ).content.decode()
    assert "<td>申请日</td>" in page
    assert "filing_date" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_have_one_format_in_both_languages(language):
    """The bug: "2026年5月1日" beside "2026-05-01" on one page."""
    moment = dt.datetime(2026, 12, 7, 14, 30, tzinfo=dt.UTC)
    with translation.override(language):
        shown = Template("{{ day }}|{{ day|date }}|{{ moment|date:'DATETIME_FORMAT' }}").render(
            Context({"day": dt.date(2026, 5, 1), "moment": moment})
        )
    assert shown == "2026-05-01|2026-05-01|2026-12-07 22:30"


def test_a_chinese_name_reads_family_name_first_everywhere():
    """The bug: Django's get_full_name wrote "磊 缪" (the API's signer, the admin, the pages)."""
    assert UserFactory.build(first_name="磊", last_name="缪").get_full_name() == "缪磊"
    assert UserFactory.build(first_name="Ada", last_name="Lovelace").get_full_name() == "Ada Lovelace"
