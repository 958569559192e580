"""How the pages write figures: yuan in 亿 or 万 where the numbers are large, shares as percentages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


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
def percent(value, digits: int = 1) -> str:
    """A ratio (0.0251) as a percentage ("2.5%"); None as a dash."""
    number = _decimal(value)
    return "—" if number is None else f"{number * 100:.{int(digits)}f}%"
