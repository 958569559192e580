"""The city office's subsidy policy pages: it sets a policy's terms in a form, the service's rules come back on
the form, and once firms have claimed only the wording, opening and last year change; others only look."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import EnterpriseFactory, PlatformAdminFactory, UserFactory
from tests.web.test_pages import signed_in
from tongzhirong.accounts.models import Role
from tongzhirong.subsidies.models import SubsidyPolicy

pytestmark = pytest.mark.django_db

LIST, NEW = reverse("web:city-policies"), reverse("web:city-policy-new")


def edit(policy):
    return reverse("web:city-policy", args=[policy.pk])


GOOD = {
    "name": "知识产权质押贷款贴息（2027）",
    "description": "按实际支付利息的50%贴息",
    "kind": "interest",
    "interest_basis": "interest_paid",
    "share": "50",  # percentages, as the office types them
    "covered_share": "60",
    "loan_cap_rate": "3",
    "annual_cap": "500000",
    "eligible_districts": ["320613", "320612"],
    "required_tech_markers": ["high_tech"],
    "repayment_condition": "full",
    "first_year": "2027",
    "is_active": "on",
}


def test_the_city_office_sets_a_new_policy_in_the_form(client, city):
    signed_in(client, city)
    assert NEW in client.get(LIST).content.decode()
    assert client.post(NEW, GOOD).status_code == 302
    policy = SubsidyPolicy.objects.get(name=GOOD["name"])
    assert (policy.share, policy.covered_share, policy.annual_cap) == (
        Decimal("0.5000"),
        Decimal("0.6000"),
        Decimal("500000.00"),
    )
    assert policy.eligible_districts == ["320613", "320612"]
    assert policy.required_tech_markers == ["high_tech"]
    assert policy.created_by == city
    assert GOOD["name"] in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interest_basis": ""}, "interest_basis"),  # the service: an interest subsidy needs its basis
        ({"interest_basis": "lpr"}, "lpr_rate"),  # an LPR basis needs the rate
        ({"share": "abc"}, "share"),
        ({"first_year": "2027", "last_year": "2026"}, "last_year"),
    ],
)
def test_a_policy_the_rules_refuse_comes_back_on_the_form_and_is_not_saved(client, city, change, field):
    signed_in(client, city)
    response = client.post(NEW, {**GOOD, **change})
    assert response.status_code == 200
    assert f'id="id_{field}-errors"' in response.content.decode()
    assert not SubsidyPolicy.objects.filter(name=GOOD["name"]).exists()


def test_an_unknown_district_is_refused_on_the_form(client, city):
    signed_in(client, city)
    response = client.post(NEW, {**GOOD, "eligible_districts": ["atlantis"]})
    assert "atlantis is not one of the available choices" in response.content.decode()
    assert not SubsidyPolicy.objects.exists()


def test_once_firms_have_claimed_only_the_wording_opening_and_last_year_change(client, city, policy, claim):
    signed_in(client, city)
    page = client.get(edit(policy)).content.decode()
    assert 'name="share"' in page
    assert "disabled" in page
    body = {**GOOD, "name": "贴息政策（已更名）", "share": "90", "annual_cap": "1", "is_active": ""}
    assert client.post(edit(policy), body).status_code == 302
    policy.refresh_from_db()
    assert policy.name == "贴息政策（已更名）"
    assert policy.is_active is False
    assert policy.share == Decimal("0.5000")  # the terms the firm claimed under stay
    assert policy.annual_cap != Decimal("1")


def test_a_policy_without_claims_changes_all_its_terms(client, city, policy):
    signed_in(client, city)
    assert client.post(edit(policy), {**GOOD, "name": policy.name, "share": "40"}).status_code == 302
    policy.refresh_from_db()
    assert policy.share == Decimal("0.4000")


def test_the_platform_sees_the_policies_but_cannot_change_them(client, policy):
    admin = PlatformAdminFactory()
    signed_in(client, admin)
    assert policy.name in client.get(LIST).content.decode()
    assert "Save the policy" not in client.get(edit(policy)).content.decode()
    response = client.post(edit(policy), {**GOOD, "name": "not allowed"}, follow=True)
    assert response.status_code == 200
    policy.refresh_from_db()
    assert policy.name != "not allowed"


def test_firms_do_not_open_the_policy_pages(client, policy):
    signed_in(client, UserFactory(organisation=EnterpriseFactory().organisation, role=Role.SME_OWNER))
    for url in (LIST, NEW, edit(policy)):
        assert client.get(url).status_code == 403
