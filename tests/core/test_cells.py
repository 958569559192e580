"""Cells as people type them: an amount a money column cannot hold is a row problem, not an error."""

from decimal import Decimal

import pytest

from tongzhirong.core.cells import parse_amount


@pytest.mark.parametrize("typed", ["1e30", "123456789012345678", "NaN", "-5", "abc"])
def test_an_amount_no_money_column_holds_is_refused_with_a_message(typed):
    with pytest.raises(ValueError, match=r"\S"):
        parse_amount(typed)


def test_amounts_as_typed_are_read():
    assert parse_amount("１２，３４５.６７") == Decimal("12345.67")
    assert parse_amount("99999999999999.99") == Decimal("99999999999999.99")
