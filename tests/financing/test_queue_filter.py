"""The review queue's one filter definition (QueueFilter), read by GET /api/v1/applications/ and the bank's queue
page: which values it accepts, what it hands the selector, and the words it refuses in (the API's, as before)."""

from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import translation

from tongzhirong.financing.filters import QueueFilter


def queue_filter(query: str) -> QueueFilter:
    return QueueFilter(QueryDict(query))


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("band=F", "band", '"F" is not a valid choice.'),
        ("status=draft&status=lost", "status", '"lost" is not a valid choice.'),
        ("product=x", "product", "A valid integer is required."),
        ("min_amount=a+lot", "min_amount", "A valid number is required."),
        ("max_amount=1e999", "max_amount", "Ensure that there are no more than 16 digits in total."),
        ("min_amount=1.234", "min_amount", "Ensure that there are no more than 2 decimal places."),
        ("min_days_in_stage=-1", "min_days_in_stage", "Ensure this value is greater than or equal to 0."),
        ("min_days_in_stage=2025-01-01", "min_days_in_stage", "A valid integer is required."),
        ("sla_breached=maybe", "sla_breached", "Must be a valid boolean."),
        ("ordering=-colour", "ordering", '"-colour" is not a valid choice.'),
    ],
)
def test_a_refused_value_is_explained_in_the_apis_words(query, name, message):
    with translation.override("en"):
        assert queue_filter(query).errors == {name: [message]}


def test_a_refusal_is_translated_like_the_apis():
    with translation.override("zh-hans"):
        assert queue_filter("band=F").errors == {"band": ["“F” 不是合法选项。"]}


def test_a_refused_filter_leaves_none_chosen():
    assert queue_filter("min_amount=1000000&band=F").queue_filters() == {}


def test_a_blank_filter_is_left_out():
    chosen = queue_filter("product=&min_amount=&sla_breached=&ordering=").chosen()
    assert chosen == {"status": [], "band": [], "district": [], "cluster": []}


def test_an_amount_comes_back_with_its_two_decimal_places():
    assert queue_filter("min_amount=1000000").chosen()["min_amount"] == Decimal("1000000.00")


def test_a_repeated_choice_is_kept_once_in_the_order_given():
    assert queue_filter("band=C&band=A&band=C").chosen()["band"] == ["C", "A"]


@pytest.mark.parametrize(
    ("value", "breached"), [("1", True), ("True", True), ("yes", True), ("0", False), ("off", False)]
)
def test_the_service_level_reads_yes_and_no(value, breached):
    assert queue_filter(f"sla_breached={value}").chosen()["sla_breached"] is breached


def test_the_selector_gets_the_ordering_as_a_list_of_columns():
    assert queue_filter("ordering=-pd").queue_filters()["ordering"] == ["-pd"]


def test_the_selector_applies_the_filters_not_the_filterset():
    with pytest.raises(NotImplementedError):
        queue_filter("band=A").qs  # noqa: B018 (the property is what is tested)
