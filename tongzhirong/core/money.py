"""Money is Decimal yuan, rounded to the fen in one place with one explicit rounding mode."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
RATE_QUANTUM = Decimal("0.000001")
MONEY_MAX_DIGITS = 16
MONEY_DECIMAL_PLACES = 2
RATE_MAX_DIGITS = 9
RATE_DECIMAL_PLACES = 6

# The largest amount a money column holds, exclusive: 10**14 yuan at 16 digits with 2 after the point.
AMOUNT_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)

WAN = Decimal("10000")  # 万
YI = Decimal("100000000")  # 亿


def to_yuan(value: Decimal | int | str) -> Decimal:
    """Round an amount to the fen, half up (the convention of Chinese bank statements)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def to_rate(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def wan(amount: Decimal | int | str) -> Decimal:
    """An amount given in 万元, as yuan."""
    return to_yuan(Decimal(amount) * WAN)
