"""Figures as a Nantong bank officer reads them (issue 18, item 2): money in 万元/亿元 where people scan and to the
fen where they reconcile, one date format, rates typed and shown as percentages, names family name first."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from tongzhirong.web.forms import ApproveForm, SubsidyPolicyForm
from tongzhirong.web.templatetags.figures import money, person, yuan


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("11715679.43"), "11,715,679.43"),
        (Decimal("5800000"), "5,800,000.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("-1234.5"), "-1,234.50"),
        (None, "—"),
    ],
)
def test_yuan_is_exact_to_the_fen_with_separators(value, shown):
    assert yuan(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("5800000.00"), "580万元"),
        (Decimal("11715679.43"), "1,171.57万元"),
        (Decimal("4810758"), "481.08万元"),
        (Decimal("139000000"), "1.39亿元"),
        (Decimal("20000000000"), "200亿元"),
        (Decimal("8500"), "8,500.00元"),
        ("abc", "—"),
    ],
)
def test_money_reads_in_wan_or_yi_with_its_unit(value, shown):
    assert money(value) == shown


def test_a_chinese_name_is_family_name_first_and_others_given_name_first():
    User = get_user_model()
    assert person(User(username="x", first_name="磊", last_name="缪")) == "缪磊"
    assert person(User(username="x", first_name="Ada", last_name="Lovelace")) == "Ada Lovelace"
    assert person(User(username="demo-bank-officer")) == "demo-bank-officer"


def test_a_rate_is_typed_as_a_percentage_and_reaches_the_service_as_a_fraction():
    form = ApproveForm({"amount": "150000", "rate": "3.3", "term_months": "12"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["rate"] == Decimal("0.033")


def test_a_rate_of_3_3_percent_is_not_refused_as_more_than_one():
    """The bug: the field took fractions, so 3.3 (meaning 3.3%) was refused as "must be ≤ 1"."""
    assert ApproveForm({"amount": "150000", "rate": "3.3", "term_months": "12"}).errors == {}
    assert "rate" in ApproveForm({"amount": "150000", "rate": "101", "term_months": "12"}).errors


def test_a_stored_rate_is_shown_as_a_percentage_in_the_form():
    form = ApproveForm(initial={"rate": Decimal("0.0345")})
    assert 'value="3.45"' in str(form["rate"])


def test_a_policy_share_is_typed_as_a_percentage():
    form = SubsidyPolicyForm(initial={"share": Decimal("0.5000"), "lpr_rate": Decimal("0.031000")})
    assert 'value="50"' in str(form["share"])
    assert 'value="3.1"' in str(form["lpr_rate"])
