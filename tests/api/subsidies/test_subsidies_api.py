"""The subsidy API end to end: the city office posts a policy, a firm checks and claims, the city office decides
and pays, and exports the claims as CSV or XLSX with formulas defused."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.api.helpers import all_at_once, client_for
from tests.factories import (
    BankFactory,
    CityAnalystFactory,
    EnterpriseFactory,
    GuaranteeProductFactory,
    InsuranceProductFactory,
    PlatformAdminFactory,
    SubsidyPolicyFactory,
    UserFactory,
    loan_for,
    pay_instalments,
)
from tongzhirong.accounts.models import Role
from tongzhirong.subsidies.models import SubsidyClaim

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/subsidy-claims/"


@pytest.fixture
def city():
    return CityAnalystFactory()


@pytest.fixture
def firm():
    return EnterpriseFactory(legal_name="南通测试科技有限公司")


@pytest.fixture
def owner(firm):
    return UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)


@pytest.fixture
def policy():
    return SubsidyPolicyFactory()


def repaid(firm, principal="1200000.00"):
    loan = loan_for(firm, principal=principal)
    pay_instalments(loan)
    return loan


def claim(owner, policy, loans, year=2025, **extra):
    body = {"policy": policy.pk, "year": year, "loans": [loan.pk for loan in loans], **extra}
    return client_for(owner).post(CLAIMS, body, format="json")


def test_the_city_office_posts_a_policy_with_a_configurable_lpr(city):
    body = {
        "name": "知识产权质押贷款贴息（按LPR）",
        "kind": "interest",
        "interest_basis": "lpr",
        "lpr_rate": "0.0310",
        "share": "0.2",
        "covered_share": "0.5",
        "loan_cap_rate": "0.03",
        "annual_cap": "300000",
        "eligible_districts": ["320613", "320612"],
        "required_tech_markers": ["high_tech", "tech_sme"],
        "repayment_condition": "full",
        "first_year": 2026,
    }
    response = client_for(city).post("/api/v1/subsidy-policies/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["lpr_rate"] == "0.031000"
    no_lpr = client_for(city).post("/api/v1/subsidy-policies/", {**body, "name": "x", "lpr_rate": None}, format="json")
    assert no_lpr.status_code == 400
    assert "lpr_rate" in no_lpr.json()["errors"]


def test_a_policys_terms_freeze_once_a_firm_has_claimed(city, owner, firm, policy):
    claim(owner, policy, [repaid(firm)])
    url = f"/api/v1/subsidy-policies/{policy.pk}/"
    assert client_for(city).patch(url, {"share": "0.9"}, format="json").json()["code"] == "locked"
    assert client_for(city).patch(url, {"is_active": False}, format="json").status_code == 200


def test_a_policy_patched_with_its_own_name_is_no_duplicate(city, policy):
    response = client_for(city).patch(f"/api/v1/subsidy-policies/{policy.pk}/", {"name": policy.name}, format="json")
    assert response.status_code == 200


def test_the_firm_sees_what_each_loan_earns_and_why_not(owner, firm, policy):
    earning = repaid(firm)
    loan_for(firm, disbursed=dt.date(2025, 12, 20), contract_number="JK-RUNNING")
    response = client_for(owner).get(f"/api/v1/subsidy-policies/{policy.pk}/eligibility/?year=2025")
    assert response.status_code == 200, response.json()
    body = response.json()
    lines = {line["contract_number"]: line for line in body["lines"]}
    assert lines[earning.contract_number]["amount"] == "36000.00"
    assert lines["JK-RUNNING"]["eligible"] is False
    assert lines["JK-RUNNING"]["reasons"] == ["No interest was paid on this loan in 2025."]
    assert (body["cap"], body["remaining"], body["amount"]) == ("50000.00", "50000.00", "36000.00")


def test_claim_approve_and_pay_through_the_api(city, owner, firm, policy):
    response = claim(owner, policy, [repaid(firm)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["amount"], body["reference"]) == ("submitted", "36000.00", f"BT2025{body['id']:07d}")
    url = f"{CLAIMS}{body['id']}/"
    approved = client_for(city).post(url + "approve/", {"reason": "材料齐全"}, format="json")
    assert approved.json()["status"] == "approved"
    paid = client_for(city).post(url + "record-payment/", {"paid_on": "2026-03-02", "reference": "GK-88"})
    assert (paid.json()["status"], paid.json()["paid_on"]) == ("paid", "2026-03-02")


def test_approval_is_for_the_city_office_only(owner, firm, policy):
    url = f"{CLAIMS}{claim(owner, policy, [repaid(firm)]).json()['id']}/approve/"
    assert client_for(owner).post(url).status_code == 403
    assert client_for(PlatformAdminFactory()).post(url).status_code == 403
    bank_officer = UserFactory(organisation=BankFactory(), role=Role.BANK_OFFICER)
    assert client_for(bank_officer).post(url).status_code == 404  # a bank does not see subsidy claims


def test_a_rejection_states_its_reason_to_the_firm(city, owner, firm, policy):
    url = f"{CLAIMS}{claim(owner, policy, [repaid(firm)]).json()['id']}/"
    assert client_for(city).post(url + "reject/", {}, format="json").status_code == 400
    rejected = client_for(city).post(url + "reject/", {"reason": "贷款资金用途不符合政策"}, format="json")
    assert (rejected.json()["status"], rejected.json()["decision_reason"]) == ("rejected", "贷款资金用途不符合政策")
    assert client_for(owner).get(url).json()["decision_reason"] == "贷款资金用途不符合政策"


def test_another_firms_claim_is_hidden(owner, firm, policy):
    url = f"{CLAIMS}{claim(owner, policy, [repaid(firm)]).json()['id']}/"
    stranger = UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER)
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(stranger).get(CLAIMS).json()["count"] == 0


def test_ineligible_loans_are_refused_with_the_reasons_per_loan(owner, firm):
    policy = SubsidyPolicyFactory(repayment_condition="full")
    running = loan_for(firm, contract_number="JK-OPEN")
    pay_instalments(running, count=6)
    response = claim(owner, policy, [running, repaid(firm)])
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "not_eligible"
    assert body["errors"] == {"loan JK-OPEN": ["The policy pays once the loan is repaid in full."]}
    assert SubsidyClaim.objects.count() == 0


def test_a_used_up_cap_answers_409(owner, firm):
    policy = SubsidyPolicyFactory(annual_cap=Decimal("36000"))
    claim(owner, policy, [repaid(firm)])
    response = claim(owner, policy, [repaid(firm, principal="800000.00")])
    assert (response.status_code, response.json()["code"]) == (409, "subsidy_cap_reached")


def test_a_retried_claim_with_the_same_idempotency_key_is_made_once(owner, firm, policy):
    body = {"policy": policy.pk, "year": 2025, "loans": [repaid(firm).pk]}
    first = client_for(owner).post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="claim-2025-1")
    again = client_for(owner).post(CLAIMS, body, format="json", HTTP_IDEMPOTENCY_KEY="claim-2025-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert SubsidyClaim.objects.count() == 1


# --- export -------------------------------------------------------------------------------------------------


@pytest.fixture
def exported_claim(city, policy):
    """A claim by a firm whose registered name someone made a formula, rejected with a reason starting '+'."""
    firm = EnterpriseFactory(legal_name='=HYPERLINK("http://evil.example","点击")')
    owner = UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)
    response = claim(owner, policy, [repaid(firm)])
    client_for(city).post(f"{CLAIMS}{response.json()['id']}/reject/", {"reason": "+1 材料不全"}, format="json")
    return SubsidyClaim.objects.get(pk=response.json()["id"])


def test_the_city_office_exports_claims_as_csv_with_formulas_defused(city, exported_claim):
    response = client_for(city).get(CLAIMS + "export/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Reference", "Policy", "Year", "Enterprise"]
    [row] = rows[1:]
    assert row[0] == exported_claim.reference
    assert row[3] == '\'=HYPERLINK("http://evil.example","点击")'
    assert (row[7], row[8], row[9], row[12]) == ("36000.00", "36000.00", "Rejected 未通过", "'+1 材料不全")


def test_the_city_office_exports_claims_as_xlsx_with_numbers_and_no_formulas(city, exported_claim):
    response = client_for(city).get(CLAIMS + "export/?format=xlsx&status=rejected")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = [c.value for c in sheet[1]], list(sheet[2])
    assert header[3] == "Enterprise"
    assert row[3].data_type == "s"
    assert row[3].value.startswith("'=HYPERLINK")
    assert row[8].value == 36000  # a number the office can sum
    assert sheet.max_row == 2


def test_the_export_filters_like_the_list(city, exported_claim):
    response = client_for(city).get(CLAIMS + "export/?format=csv&status=paid")
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 1  # the header only


def test_a_firm_cannot_export(owner):
    response = client_for(owner).get(CLAIMS + "export/?format=csv")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


# --- query counts and concurrency ---------------------------------------------------------------------------


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response


def test_the_claim_list_and_export_cost_the_same_queries_for_2_or_12_claims(city):
    for _n in range(12):
        firm = EnterpriseFactory()
        owner = UserFactory(organisation=firm.organisation, role=Role.SME_OWNER)
        claim(owner, SubsidyPolicyFactory(), [repaid(firm), repaid(firm, principal="800000.00")])
    client = client_for(city)
    queries(client, CLAIMS + "?page_size=2")
    small, _ = queries(client, CLAIMS + "?page_size=2")
    large, response = queries(client, CLAIMS + "?page_size=12")
    assert len(response.json()["results"]) == 12
    assert small == large
    policies_small, _ = queries(client, "/api/v1/subsidy-policies/?page_size=2")
    policies_large, _ = queries(client, "/api/v1/subsidy-policies/?page_size=12")
    assert policies_small == policies_large
    SubsidyClaim.objects.filter(pk__in=list(SubsidyClaim.objects.values_list("pk", flat=True)[:10])).delete()
    few, _ = queries(client, CLAIMS + "export/?format=csv")
    SubsidyClaim.objects.all().delete()
    none, _ = queries(client, CLAIMS + "export/?format=csv")
    assert few == none + 1  # the lines' prefetch runs only when there are claims


def test_eligibility_costs_the_same_queries_for_1_or_4_covered_loans(owner, firm):
    """A premium base is read from the loans' bound policies, loaded with the loans: no query per loan."""
    policy = SubsidyPolicyFactory(kind="premium", interest_basis="", annual_cap=Decimal("300000"))
    path = f"/api/v1/subsidy-policies/{policy.pk}/eligibility/?year=2024"
    client = client_for(owner)
    loan_for(firm, insurance_product=InsuranceProductFactory(), guarantee_product=GuaranteeProductFactory())
    queries(client, path)
    one, response = queries(client, path)
    assert [line["base"] for line in response.json()["lines"]] == ["26400.00"]  # 1.2% + 1% of 1,200,000
    for _n in range(3):
        loan_for(firm, insurance_product=InsuranceProductFactory())
    four, response = queries(client, path)
    assert len(response.json()["lines"]) == 4
    assert one == four


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_claims_never_pass_the_firms_annual_cap(firm, owner):
    """Eight loans of 500,000 each earn 15,000 (50% of 30,000, within 3% of principal); the cap is 50,000.
    Claimed all at once, three claims hold 15,000, one the last 5,000, and four find the cap used up."""
    policy = SubsidyPolicyFactory()
    loans = [repaid(firm, principal="500000.00") for _ in range(8)]
    pending = iter(loans)
    codes = all_at_once(lambda: claim(owner, policy, [next(pending)]), 8)
    assert sorted(codes) == [201] * 4 + [409] * 4
    amounts = sorted(SubsidyClaim.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("5000.00")] + [Decimal("15000.00")] * 3
