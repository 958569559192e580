"""The ``percent`` filter: a rate as the exact percentage it is stored at, not rounded to a whole percent."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from tongzhirong.web.templatetags.figures import percent


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.0345"), "3.45%"),
        (Decimal("0.550000"), "55%"),
        (Decimal("0.008"), "0.8%"),
        (Decimal("0.035"), "3.5%"),
        (Decimal("0"), "0%"),
        (Decimal("1"), "100%"),
    ],
)
def test_a_decimal_rate_is_shown_exactly_without_trailing_zeros(value, shown):
    assert percent(value) == shown


def test_a_float_reads_as_it_prints_not_as_its_binary_value():
    assert percent(0.0345) == "3.45%"
    assert percent(0.1 + 0.2) == "30%"  # 0.30000000000000004


def test_an_int_is_a_whole_ratio():
    assert percent(1) == "100%"
    assert percent(0) == "0%"


def test_text_that_is_a_number_is_read_and_other_text_is_a_dash():
    assert percent("0.0345") == "3.45%"
    assert percent(" 0.2 ") == "20%"
    assert percent("abc") == "—"
    assert percent("") == "—"


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), True])
def test_what_is_not_a_figure_is_a_dash(value):
    assert percent(value) == "—"


def test_a_negative_ratio_keeps_its_sign():
    assert percent(Decimal("-0.05")) == "-5%"
    assert percent(Decimal("-0.0125")) == "-1.25%"


def test_many_decimals_are_rounded_half_up_at_the_stored_rate_precision():
    assert percent(Decimal("0.0345678912")) == "3.4568%"  # six decimals of the ratio, as to_rate keeps
    assert percent(Decimal("0.03456750")) == "3.4568%"  # half up
    assert percent(Decimal("-0.0000001")) == "0%"  # not "-0%"


def test_digits_give_a_fixed_number_of_decimals():
    assert percent(Decimal("0.12345"), 1) == "12.3%"
    assert percent(Decimal("0.55"), 2) == "55.00%"
    assert percent(Decimal("0.035"), 0) == "4%"  # half up
    assert percent(None, 1) == "—"


def test_the_filter_works_in_a_template():
    rendered = Template("{% load figures %}{{ rate|percent }} {{ share|percent:1 }} {{ missing|percent }}").render(
        Context({"rate": Decimal("0.0345"), "share": Decimal("0.5")})
    )
    assert rendered == "3.45% 50.0% —"
