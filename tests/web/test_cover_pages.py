"""The insurer's and the guarantor's cover work (issue 18, item 7): the cover banks ask for is counted and listed on
their start page; an underwriter accepts it with conditions (rates typed as percentages) or declines it with a
reason; another provider cannot reach it; the bank reads each step on the application's timeline."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    LoanProductFactory,
    UserFactory,
)
from tongzhirong.accounts.models import OrganisationKind, Role
from tongzhirong.financing.models import Application, ApplicationStatus
from tongzhirong.risksharing.models import CoverRequest, CoverRequestStatus
from tongzhirong.risksharing.services import cover_request_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def insurance():
    insurer = BankFactory(kind=OrganisationKind.INSURER, name="人保财险南通分公司")
    return InsuranceProductFactory(
        insurer=insurer, premium_rate=Decimal("0.012"), coverage_ratio=Decimal("0.5"), coverage_cap=Decimal("100000")
    )


@pytest.fixture
def underwriter(insurance):
    return UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER)


@pytest.fixture
def officer():
    return UserFactory(organisation=BankFactory(name="南通测试银行"), role=Role.BANK_OFFICER)


def asked(officer, product, **fields):
    application = ApplicationFactory(
        enterprise=EnterpriseFactory(legal_name="南通海韵声学科技有限公司"),
        product=LoanProductFactory(bank=officer.organisation),
        status=ApplicationStatus.REGISTERED,
        approved_amount=Decimal("3000000.00"),
        approved_rate=Decimal("0.04"),
        approved_term_months=12,
        **fields,
    )
    return cover_request_open(actor=officer, application=application, product=product)


def test_the_insurer_sees_the_cover_asked_with_the_terms_and_counts_it(client, underwriter, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(underwriter)
    page = client.get(reverse("web:provider")).content.decode()
    assert "Cover to underwrite" in page
    counts = page[page.index("landing-counts") : page.index("cover-requests")]
    assert '<p class="figure">1</p>' in counts
    row = page[page.index(cover.application.reference) :]
    row = row[: row.index("</tr>")]
    assert "南通海韵声学科技有限公司" in row
    assert "南通测试银行" in row
    assert "300万元" in row  # the principal as people scan it
    assert "1.2% · covers 50% · cap 10万元" in row  # premium, share of the loss covered, cap
    assert 'value="1.2"' in row  # the rate to accept at, typed as a percentage


def test_the_underwriter_accepts_with_a_condition_and_own_rate(client, underwriter, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(underwriter)
    response = client.post(
        reverse("web:provider"),
        {
            "action": "accept-cover",
            "cover": cover.pk,
            f"accept-{cover.pk}-conditions": "借款企业按季度报送财务报表",
            f"accept-{cover.pk}-rate": "1.5",
            f"accept-{cover.pk}-coverage_ratio": "50",
            f"accept-{cover.pk}-coverage_cap": "100000",
        },
        follow=True,
    )
    cover.refresh_from_db()
    assert (cover.status, cover.rate, cover.conditions) == (
        CoverRequestStatus.ACCEPTED,
        Decimal("0.015000"),
        "借款企业按季度报送财务报表",
    )
    page = response.content.decode()
    assert "Cover accepted: the bank is told the conditions" in page
    assert "accept-cover" not in page  # decided: no second decision offered


def test_the_underwriter_declines_with_a_reason(client, underwriter, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(underwriter)
    client.post(reverse("web:provider"), {"action": "decline-cover", "cover": cover.pk})  # no reason: refused
    assert CoverRequest.objects.get(pk=cover.pk).status == CoverRequestStatus.REQUESTED
    client.post(
        reverse("web:provider"),
        {"action": "decline-cover", "cover": cover.pk, f"decline-{cover.pk}-reason": "质押专利剩余保护期不足"},
    )
    cover.refresh_from_db()
    assert (cover.status, cover.decline_reason) == (CoverRequestStatus.DECLINED, "质押专利剩余保护期不足")


def test_another_insurer_cannot_reach_the_request(client, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    rival = UserFactory(organisation=InsuranceProductFactory().insurer, role=Role.UNDERWRITER)
    client.force_login(rival)
    assert cover.application.reference not in client.get(reverse("web:provider")).content.decode()
    response = client.post(
        reverse("web:provider"), {"action": "accept-cover", "cover": cover.pk, f"accept-{cover.pk}-rate": "1"}
    )
    assert response.status_code == 404
    assert CoverRequest.objects.get(pk=cover.pk).status == CoverRequestStatus.REQUESTED


def test_the_guarantor_sees_its_request(client, officer):
    guarantee = GuaranteeProductFactory(fee_rate=Decimal("0.01"), coverage_ratio=Decimal("0.8"))
    cover = asked(officer, guarantee, guarantee_product=guarantee)
    client.force_login(UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER))
    page = client.get(reverse("web:provider")).content.decode()
    assert cover.application.reference in page
    assert "decline-cover" in page


def test_the_bank_reads_the_cover_on_the_application_timeline(client, underwriter, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(underwriter)
    client.post(
        reverse("web:provider"),
        {
            "action": "accept-cover",
            "cover": cover.pk,
            f"accept-{cover.pk}-conditions": "按季报送财务报表",
            f"accept-{cover.pk}-rate": "1.2",
            f"accept-{cover.pk}-coverage_ratio": "50",
        },
    )
    client.force_login(officer)
    page = client.get(reverse("web:bank-application", args=[cover.application.pk])).content.decode()
    assert "asked of 人保财险南通分公司: 3,000,000.00 yuan for 12 months" in page
    assert "accepted by 人保财险南通分公司; conditions: 按季报送财务报表" in page


def test_after_a_decline_the_bank_asks_another_insurer_on_its_page(client, underwriter, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(underwriter)
    client.post(
        reverse("web:provider"),
        {"action": "decline-cover", "cover": cover.pk, f"decline-{cover.pk}-reason": "行业风险集中"},
    )
    other = InsuranceProductFactory(name="另一家保险")
    client.force_login(officer)
    url = reverse("web:bank-application", args=[cover.application.pk])
    page = client.get(url).content.decode()
    section = page[page.index('id="cover"') :]
    assert "行业风险集中" in section  # the reason the insurer gave
    assert "Go ahead without it" in section  # the loan product does not require insurance
    response = client.post(
        reverse("web:bank-cover", args=[cover.application.pk]),
        {"action": "ask", "kind": "insurance", "product": other.pk},
        follow=True,
    )
    assert "Cover asked for: the provider is notified" in response.content.decode()
    live = CoverRequest.objects.get(application=cover.application, status=CoverRequestStatus.REQUESTED)
    assert live.provider_id == other.insurer_id


def test_the_bank_goes_ahead_without_cover_its_product_does_not_require(client, underwriter, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(underwriter)
    client.post(
        reverse("web:provider"),
        {"action": "decline-cover", "cover": cover.pk, f"decline-{cover.pk}-reason": "不承保"},
    )
    client.force_login(officer)
    url = reverse("web:bank-cover", args=[cover.application.pk])
    client.post(url, {"action": "go-without", "cover": cover.pk})  # not confirmed: nothing changes
    cover.application.refresh_from_db()
    assert cover.application.insurance_product == insurance
    client.post(url, {"action": "go-without", "cover": cover.pk, "confirm": "on"})
    cover.application.refresh_from_db()
    assert cover.application.insurance_product is None


def test_another_bank_cannot_act_on_the_cover_of_an_application_not_its_own(client, officer, insurance):
    cover = asked(officer, insurance, insurance_product=insurance)
    client.force_login(UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER))
    response = client.post(
        reverse("web:bank-cover", args=[cover.application.pk]), {"action": "go-without", "cover": cover.pk}
    )
    assert response.status_code == 404


def test_a_rejection_on_the_bank_page_closes_the_cover_and_the_insurer_reads_why_in_chinese(
    client, settings, underwriter, officer, insurance
):
    """The bug: the request stayed "awaiting underwriting", labelled "no longer going ahead", for ever."""
    settings.LANGUAGE_CODE = "zh-hans"
    cover = asked(officer, insurance, insurance_product=insurance)
    Application.objects.filter(pk=cover.application_id).update(status=ApplicationStatus.APPROVED)
    client.force_login(officer)
    client.post(
        reverse("web:bank-application", args=[cover.application_id]), {"action": "reject", "reason_code": "high_risk"}
    )
    cover.refresh_from_db()
    assert cover.status == CoverRequestStatus.LAPSED
    client.force_login(underwriter)
    page = client.get(reverse("web:provider")).content.decode()
    counts = page[page.index("landing-counts") : page.index("cover-requests")]
    assert '<p class="figure">0</p>' in counts
    row = page[page.index(cover.application.reference) :]
    row = row[: row.index("</tr>")]
    assert "随申请终止" in row
    assert "申请已被拒绝" in row
    assert "Lapsed" not in row


def test_each_provider_reads_its_own_words(client, insurance):
    """A guarantor guarantees and compensates (担保, 代偿); an insurer underwrites and pays claims (承保, 赔付)."""
    guarantor = BankFactory(kind=OrganisationKind.GUARANTOR, name="南通担保")
    GuaranteeProductFactory(guarantor=guarantor)
    words = {
        UserFactory(organisation=insurance.insurer, role=Role.UNDERWRITER): (["待审理赔", "核保申请"], ["代偿"]),
        UserFactory(organisation=guarantor, role=Role.UNDERWRITER): (
            ["待审代偿", "担保申请", "代偿比例"],
            ["理赔", "核保", "赔付比例"],
        ),
    }
    for user, (present, absent) in words.items():
        client.force_login(user)
        page = client.get(reverse("web:provider"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert all(word in page for word in present), (user.organisation.kind, present)
        assert not any(word in page for word in absent), (user.organisation.kind, absent)


def test_a_guarantee_requests_status_reads_in_a_guarantors_words(officer, insurance):
    from django.utils import translation

    guarantee = GuaranteeProductFactory()
    insured = asked(officer, insurance, insurance_product=insurance)
    guaranteed = asked(officer, guarantee, guarantee_product=guarantee)
    with translation.override("zh-hans"):
        assert [insured.status_label, guaranteed.status_label] == ["待核保", "待审担保"]
        assert [insured.status_words("accepted"), guaranteed.status_words("accepted")] == ["已承保", "已同意担保"]
        assert guaranteed.status_words("lapsed") == insured.status_words("lapsed")


@pytest.mark.parametrize(
    ("language", "done", "said"),
    [
        ("zh-hans", "已同意担保：已将担保条件通知银行", "南通担保已同意担保；担保条件：按季报送财务报表"),
        (
            "en",
            "Guarantee accepted: the bank is told the conditions",
            "Guarantee accepted by 南通担保; conditions of the guarantee: 按季报送财务报表",
        ),
    ],
)
def test_a_guarantee_accepted_on_the_page_reads_in_a_guarantors_words(client, officer, language, done, said):
    """The bug: the guarantor was told 已承保 and the bank read 南通担保已承保担保；承保条件 on its timeline."""
    guarantee = GuaranteeProductFactory(guarantor=BankFactory(kind=OrganisationKind.GUARANTOR, name="南通担保"))
    cover = asked(officer, guarantee, guarantee_product=guarantee)
    client.force_login(UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER))
    response = client.post(
        reverse("web:provider"),
        {
            "action": "accept-cover",
            "cover": cover.pk,
            f"accept-{cover.pk}-conditions": "按季报送财务报表",
            f"accept-{cover.pk}-rate": "1.0",
            f"accept-{cover.pk}-coverage_ratio": "80",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    page = response.content.decode()
    assert done in page
    assert "承保" not in page[page.index(done) - 200 : page.index(done) + 200]
    client.force_login(officer)
    page = client.get(
        reverse("web:bank-application", args=[cover.application.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert said in page


@pytest.mark.parametrize(
    ("language", "present", "absent"),
    [
        ("zh-hans", ["担保条件", "年担保费率", "代偿上限", "拒绝担保理由", "代偿比例"], ["承保", "拒保", "赔付"]),
        ("en", ["Conditions of the guarantee", "Guarantee fee per year", "Compensation cap"], ["Premium"]),
    ],
)
def test_the_guarantors_decision_forms_and_terms_read_in_a_guarantors_words(client, officer, language, present, absent):
    """The bug: the guarantor's acceptance form asked for 承保条件, 年保费率或担保费率 and 赔付上限, its decline form
    for 拒保理由, and the request's terms read 承保比例, all an insurer's words."""
    guarantee = GuaranteeProductFactory(guarantor=BankFactory(kind=OrganisationKind.GUARANTOR, name="南通担保"))
    asked(officer, guarantee, guarantee_product=guarantee)
    accepted = asked(officer, guarantee, guarantee_product=guarantee)
    CoverRequest.objects.filter(pk=accepted.pk).update(status=CoverRequestStatus.ACCEPTED, conditions="按季报送报表")
    client.force_login(UserFactory(organisation=guarantee.guarantor, role=Role.UNDERWRITER))
    page = client.get(reverse("web:provider"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    requests = page[page.index('id="cover-requests"') : page.index('id="products"')]
    assert all(word in requests for word in present), [w for w in present if w not in requests]
    assert not any(word in requests for word in absent), [w for w in absent if w in requests]
