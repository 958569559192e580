"""The subsidy pages: a firm sees what its loans earn and claims; the city office approves, rejects and pays.
Refusals come back as messages in the reader's language, never as a 500; other firms' objects stay out of reach.
Loans are interest-only at 6% disbursed 2024-12-01, so all their interest is paid in 2025 (see tests/subsidies)."""

import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    BankOfficerFactory,
    EnterpriseFactory,
    PlatformAdminFactory,
    SubsidyPolicyFactory,
    UserFactory,
    loan_for,
    pay_instalments,
)
from tongzhirong.accounts.models import Role
from tongzhirong.subsidies.filters import ClaimFilter
from tongzhirong.subsidies.models import ClaimStatus, SubsidyClaim, SubsidyKind
from tongzhirong.subsidies.services import subsidy_claim_submit

pytestmark = pytest.mark.django_db

SME_PAGE, CITY_PAGE = reverse("web:sme-subsidies"), reverse("web:city-subsidies")


def signed_in(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def claim_body(policy, loans, year=2025, **extra):
    return {"action": "claim", "policy": policy.pk, "year": year, "loans": [loan.pk for loan in loans], **extra}


# --- who may open which page ----------------------------------------------------------------------------


def test_the_firm_and_the_city_office_find_their_page_in_the_navigation(client, owner, city):
    assert SME_PAGE in text(signed_in(client, owner).get(reverse("web:sme")))
    assert CITY_PAGE in text(signed_in(client, city).get(reverse("web:city")))


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        (SME_PAGE, "owner", ("city", "officer", "platform")),
        (CITY_PAGE, "city", ("owner", "officer")),
        (CITY_PAGE, "platform", ()),
    ],
)
def test_each_page_renders_for_its_side_and_is_refused_to_the_others(client, owner, city, url, allowed, refused):
    people = {"owner": owner, "city": city, "officer": BankOfficerFactory(), "platform": PlatformAdminFactory()}
    assert signed_in(client, people[allowed]).get(url).status_code == 200
    for name in refused:
        assert signed_in(client, people[name]).get(url).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get(SME_PAGE).url.startswith(reverse("web:login"))
    assert client.post(CITY_PAGE, {"claim": 1, "action": "approve"}).url.startswith(reverse("web:login"))


def test_a_firm_without_a_profile_is_sent_to_make_one(client):
    newcomer = UserFactory(role=Role.SME_OWNER)
    assert signed_in(client, newcomer).get(SME_PAGE).url == reverse("web:sme-profile")


# --- the firm: what its loans earn, claiming, withdrawing -----------------------------------------------------


def test_the_firm_sees_what_each_loan_earns_and_why_another_earns_nothing(client, owner, firm, policy, repaid):
    unpaid = loan_for(firm, principal="800000.00")
    page = text(signed_in(client, owner).get(SME_PAGE, {"policy": policy.pk, "year": 2025}))
    assert policy.name in page
    assert '<p class="figure" data-testid="computed">36,000.00</p>' in page
    assert f'value="{repaid.pk}" id="loan-{repaid.pk}" checked' in page  # eligible: ticked for the claim
    assert f'value="{unpaid.pk}" id="loan-{unpaid.pk}">' in page  # earns nothing: not ticked
    assert "No interest was paid on this loan in 2025." in page


def test_without_a_choice_the_page_quotes_the_first_open_policy_in_its_latest_year(client, owner, policy):
    page = text(signed_in(client, owner).get(SME_PAGE))
    assert f"<h3>{policy.name} · 2026</h3>" in page
    assert f"?policy={policy.pk}&amp;year=2024#quote" in page  # every year it has run, one click away


def test_a_firm_outside_the_policy_is_told_why(client, owner, policy):
    policy.eligible_districts = ["320612"]  # 通州区; the firm is in 崇川区
    policy.save()
    page = text(signed_in(client, owner).get(SME_PAGE, {"policy": policy.pk, "year": 2025}))
    assert "The policy covers firms in" in page


def test_the_firm_claims_through_the_page_and_the_claim_appears(client, owner, firm, policy, repaid):
    response = signed_in(client, owner).post(SME_PAGE, claim_body(policy, [repaid]))
    claim = SubsidyClaim.objects.get(enterprise=firm)
    assert response.status_code == 302
    assert (claim.status, claim.amount, claim.submitted_by) == (ClaimStatus.SUBMITTED, Decimal("36000.00"), owner)
    page = text(client.get(response.url))
    assert f"Claim {claim.reference} is submitted for 36000.00 yuan." in page
    assert claim.reference in page
    assert "Already claimed for 2025 in claim" in page  # the quote now says so beside the loan


def test_an_appraisal_fee_is_declared_on_the_page(client, owner, firm):
    policy = SubsidyPolicyFactory(kind=SubsidyKind.APPRAISAL, interest_basis="", share=Decimal("0.5"))
    loan = loan_for(firm, principal="1000000.00")  # disbursed 2024-12-01: its fee counts in 2024
    signed_in(client, owner)
    page = text(client.get(SME_PAGE, {"policy": policy.pk, "year": 2024}))
    assert f'name="fee-{loan.pk}"' in page
    assert "Declare the appraisal fee paid for this loan." in page
    client.post(SME_PAGE, claim_body(policy, [loan], year=2024, **{f"fee-{loan.pk}": "20000"}))
    line = SubsidyClaim.objects.get(enterprise=firm).lines.get()
    assert (line.base, line.amount) == (Decimal("20000.00"), Decimal("10000.00"))


def test_a_second_submission_of_the_same_loans_claims_nothing_and_says_why(client, owner, firm, policy, repaid):
    signed_in(client, owner)
    client.post(SME_PAGE, claim_body(policy, [repaid]))
    response = client.post(SME_PAGE, claim_body(policy, [repaid]))
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was claimed; the reasons are shown below" in page
    assert "Already claimed for 2025 in claim" in page
    assert SubsidyClaim.objects.filter(enterprise=firm).count() == 1


def test_a_used_up_cap_is_refused_with_the_services_words(client, owner, firm, repaid):
    policy = SubsidyPolicyFactory(annual_cap=Decimal("36000.00"))
    subsidy_claim_submit(actor=owner, policy=policy, year=2025, loans=[repaid])
    other = loan_for(firm, principal="800000.00")
    pay_instalments(other)
    response = signed_in(client, owner).post(SME_PAGE, claim_body(policy, [other]))
    assert "Your cap of 36000.00 yuan under this policy for 2025 is used up." in text(response)
    assert SubsidyClaim.objects.filter(enterprise=firm).count() == 1


def test_a_firm_outside_the_policy_claims_nothing_and_reads_why(client, owner, firm, policy, repaid):
    policy.eligible_districts = ["320612"]
    policy.save()
    page = text(signed_in(client, owner).post(SME_PAGE, claim_body(policy, [repaid])))
    assert "Nothing was claimed; the reasons are shown below" in page
    assert "The policy covers firms in" in page
    assert not SubsidyClaim.objects.exists()


def test_another_firms_loan_is_refused_as_the_api_refuses_it(client, owner, policy):
    theirs = loan_for(EnterpriseFactory(), principal="1200000.00")
    pay_instalments(theirs)
    response = signed_in(client, owner).post(SME_PAGE, claim_body(policy, [theirs]))
    assert response.status_code == 200
    assert "Claim only for your own loans." in text(response)
    assert not SubsidyClaim.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"loans": ["abc"]}, "is not a valid value", id="loan-not-a-number"),
        pytest.param({"loans": []}, "Name at least one loan.", id="no-loan"),
        pytest.param({"year": "abc"}, "Enter a whole number.", id="year-not-a-number"),
        pytest.param({"year": "2023"}, "The policy does not run in 2023.", id="year-before-the-policy"),
        pytest.param({"year": "2027"}, "A year is claimed once it has begun.", id="year-to-come"),
        pytest.param({"policy": "abc"}, "No such policy.", id="policy-not-a-number"),
        pytest.param({"policy": "999999"}, "No such policy.", id="policy-unknown"),
    ],
)
def test_bad_posted_values_give_a_message_not_an_error(client, owner, policy, repaid, change, message):
    response = signed_in(client, owner).post(SME_PAGE, {**claim_body(policy, [repaid]), **change})
    assert response.status_code == 200
    assert message in text(response)
    assert not SubsidyClaim.objects.exists()


def test_a_fee_that_is_not_an_amount_gives_a_message(client, owner, firm):
    policy = SubsidyPolicyFactory(kind=SubsidyKind.APPRAISAL, interest_basis="")
    loan = loan_for(firm)
    body = claim_body(policy, [loan], year=2024, **{f"fee-{loan.pk}": "a lot"})
    response = signed_in(client, owner).post(SME_PAGE, body)
    assert f"Appraisal fee of {loan.contract_number}: Enter a number." in text(response)
    assert not SubsidyClaim.objects.exists()


def test_a_closed_policy_refuses_claims_with_the_services_words(client, owner, policy, repaid):
    policy.is_active = False
    policy.save()
    response = signed_in(client, owner).post(SME_PAGE, claim_body(policy, [repaid]), follow=True)
    assert "This policy is closed for claims." in text(response)
    assert not SubsidyClaim.objects.exists()


def test_bad_quote_choices_say_so(client, owner, policy):
    page = text(signed_in(client, owner).get(SME_PAGE, {"policy": "x", "year": "soon"}))
    assert "No such policy." in page
    assert "Enter a whole number." in page


def test_the_firm_withdraws_its_claim_but_not_another_firms(client, owner, claim):
    stranger = UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)
    assert signed_in(client, stranger).post(SME_PAGE, {"action": "withdraw", "claim": claim.pk}).status_code == 404
    assert signed_in(client, stranger).post(SME_PAGE, {"action": "withdraw", "claim": "x"}).status_code == 404
    client.force_login(owner)
    assert f'name="claim" value="{claim.pk}"' in text(client.get(SME_PAGE))
    client.post(SME_PAGE, {"action": "withdraw", "claim": claim.pk})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.WITHDRAWN


def test_another_firm_does_not_see_the_claim(client, claim):
    stranger = UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)
    assert claim.reference not in text(signed_in(client, stranger).get(SME_PAGE))


# --- the city office: deciding and paying -----------------------------------------------------------------


def test_the_city_office_approves_and_records_the_payment(client, city, claim):
    signed_in(client, city)
    assert claim.reference in text(client.get(CITY_PAGE))
    response = client.post(CITY_PAGE, {"claim": claim.pk, "action": "approve", "reason": "材料齐全"}, follow=True)
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decision_reason) == (ClaimStatus.APPROVED, city, "材料齐全")
    assert f"Claim {claim.reference}: Approved" in text(response)
    body = {"claim": claim.pk, "action": "pay", "paid_on": "2026-11-20", "reference": "GK-2026-001"}
    client.post(CITY_PAGE, body)
    claim.refresh_from_db()
    assert (claim.status, str(claim.paid_on), claim.payment_reference) == ("paid", "2026-11-20", "GK-2026-001")
    assert "GK-2026-001" in text(client.get(CITY_PAGE, {"status": "paid"}))


def test_the_city_office_rejects_with_a_reason_the_firm_then_reads(client, city, owner, claim):
    signed_in(client, city)
    response = client.post(CITY_PAGE, {"claim": claim.pk, "action": "reject", "reason": "  "}, follow=True)
    assert "Tell the firm why the claim is rejected." in text(response)
    assert SubsidyClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED
    client.post(CITY_PAGE, {"claim": claim.pk, "action": "reject", "reason": "贷款用途与申报材料不一致"})
    assert SubsidyClaim.objects.get(pk=claim.pk).status == ClaimStatus.REJECTED
    client.force_login(owner)
    assert "贷款用途与申报材料不一致" in text(client.get(SME_PAGE))


def test_a_claim_no_longer_reviewable_gives_a_message(client, city, claim):
    signed_in(client, city)
    client.post(CITY_PAGE, {"claim": claim.pk, "action": "approve"})
    response = client.post(CITY_PAGE, {"claim": claim.pk, "action": "reject", "reason": "迟了"}, follow=True)
    assert response.status_code == 200
    assert "This step is not possible in the current status" in text(response)
    assert SubsidyClaim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"action": "pay", "paid_on": "yesterday", "reference": "X"}, "Enter a valid date.", id="date"),
        pytest.param({"action": "pay", "paid_on": "2026-11-20"}, "This field is required.", id="no-reference"),
        pytest.param({"action": "pay", "paid_on": "2999-01-01", "reference": "X"}, "cannot be in the future", id="fut"),
        pytest.param({"action": "approve", "reason": "x" * 2001}, "at most 2000 characters", id="long-reason"),
    ],
)
def test_bad_decision_values_give_a_message(client, city, claim, body, message):
    response = signed_in(client, city).post(CITY_PAGE, {"claim": claim.pk, **body}, follow=True)
    assert response.status_code == 200
    assert message in text(response)
    assert SubsidyClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_a_claim_id_that_is_not_a_number_or_unknown_is_a_404(client, city, claim):
    signed_in(client, city)
    assert client.post(CITY_PAGE, {"claim": "abc", "action": "approve"}).status_code == 404
    assert client.post(CITY_PAGE, {"claim": claim.pk + 1000, "action": "approve"}).status_code == 404
    assert client.post(CITY_PAGE, {"claim": claim.pk, "action": "delete"}).status_code == 404


def test_the_platform_sees_the_claims_but_may_not_decide_them(client, claim):
    signed_in(client, PlatformAdminFactory())
    page = text(client.get(CITY_PAGE))
    assert claim.reference in page
    assert 'value="approve"' not in page
    response = client.post(CITY_PAGE, {"claim": claim.pk, "action": "approve"}, follow=True)
    assert "Only the city office sets subsidy policies and decides claims." in text(response)
    assert SubsidyClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_a_firm_cannot_decide_its_own_claim(client, owner, claim):
    assert signed_in(client, owner).post(CITY_PAGE, {"claim": claim.pk, "action": "approve"}).status_code == 403
    assert SubsidyClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_a_bad_filter_says_so_and_shows_every_claim(client, city, claim):
    page = text(signed_in(client, city).get(CITY_PAGE, {"status": "lost", "year": "soon"}))
    assert "Some filters are not valid, so every claim is shown." in page
    assert "is not a valid choice." in page
    assert "Year: A valid integer is required." in page
    assert claim.reference in page


BAD_CLAIM_FILTERS = [{"status": "lost"}, {"year": "soon"}, {"policy": "1.5"}]


@pytest.mark.parametrize("query", BAD_CLAIM_FILTERS, ids=str)
def test_the_claims_page_refuses_a_filter_in_the_words_of_the_apis_400(client, city, claim, query):
    signed_in(client, city)
    ((name, _value),) = query.items()
    (message,) = client.get("/api/v1/subsidy-claims/", query).json()["errors"][name]
    page = html.unescape(text(client.get(CITY_PAGE, query)))
    assert f"{ClaimFilter().labels()[name]}: {message}" in page


def test_the_pages_speak_chinese_first(client, city, owner, claim):
    client.force_login(owner)
    sme_page = text(client.get(SME_PAGE, {"policy": claim.policy_id, "year": 2025}, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "我的补贴申请" in sme_page
    assert f"已在申请 {claim.reference} 中申请过 2025 年度补贴。" in sme_page  # the service's reason, translated
    assert "Already claimed" not in sme_page
    client.force_login(city)
    assert "补贴申请" in text(client.get(CITY_PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans"))


def queries_for(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_pages_do_not_grow_queries_with_claims_or_loans(client, owner, city, firm, policy, claim):
    params = {"policy": policy.pk, "year": 2025}
    signed_in(client, owner)
    sme_before = queries_for(client, SME_PAGE, params)
    client.force_login(city)
    city_before = queries_for(client, CITY_PAGE)
    for _ in range(3):
        loan = loan_for(firm, principal="500000.00")
        pay_instalments(loan)
        subsidy_claim_submit(actor=owner, policy=SubsidyPolicyFactory(), year=2025, loans=[loan])
    assert queries_for(client, CITY_PAGE) == city_before
    client.force_login(owner)
    assert queries_for(client, SME_PAGE, params) == sme_before
