"""How the pages write figures: yuan in 亿 or 万 where the numbers are large, ratios and rates as percentages."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

from tongzhirong.core.money import to_rate

register = template.Library()


def _decimal(value) -> Decimal | None:
    """The value as a finite Decimal, through its text so that a float reads as it prints (0.1, not
    0.1000000000000000055…); None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


@register.filter
def yi(value) -> str:
    """Yuan as 亿 (100 million) with two decimals: 121300000 → "1.21"."""
    number = _decimal(value)
    return "—" if number is None else f"{number / Decimal(100_000_000):,.2f}"


@register.filter
def wan(value) -> str:
    """Yuan as 万 (ten thousand), no decimals: 2500000 → "250"."""
    number = _decimal(value)
    return "—" if number is None else f"{number / Decimal(10_000):,.0f}"


@register.filter
def percent(value, digits=None) -> str:
    """A ratio as a percentage; None (or anything not a number) as a dash.

    Without ``digits`` the percentage is exact to the precision rates are stored at (six decimals of the
    ratio, rounded half up as ``to_rate`` does) with no trailing zeros: 0.0345 → "3.45%", 0.55 → "55%",
    0.008 → "0.8%". With ``digits`` it has that many decimals, for columns of computed shares that line up:
    ``0.12345|percent:1`` → "12.3%"."""
    number = _decimal(value)
    if number is None:
        return "—"
    try:
        if digits is None or digits == "":
            shown = (to_rate(number) * 100).normalize()
        else:
            shown = (number * 100).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than Decimal's precision holds: no ratio a page shows
        return "—"
    return f"{shown + 0:f}%"  # + 0 turns a rounded -0 into 0
