"""Money is Decimal yuan rounded half up to the fen, in one place."""

from decimal import Decimal

import pytest

from tongzhirong.core.money import to_rate, to_yuan, wan


@pytest.mark.parametrize(
    ("amount", "yuan"),
    [("0.005", "0.01"), ("0.015", "0.02"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("1.004999", "1.00"), (3, "3.00")],
)
def test_amounts_round_half_up_to_the_fen(amount, yuan):
    assert to_yuan(amount) == Decimal(yuan)
    assert to_yuan(amount).as_tuple().exponent == -2


def test_rates_keep_six_places():
    assert to_rate("0.04350049") == Decimal("0.043500")


def test_wan_is_ten_thousand_yuan():
    assert wan("4.5") == Decimal("45000.00")
