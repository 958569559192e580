"""How the pages write figures: yuan in 亿 or 万 where the numbers are large, ratios and rates as percentages."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext

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


WAN = Decimal(10_000)
YI = Decimal(100_000_000)
FEN = Decimal("0.01")


@register.filter
def yuan(value) -> str:
    """Yuan exact to the fen with thousands separators, for figures people reconcile (schedules, contracts,
    payoff): 11715679.43 → "11,715,679.43"."""
    number = _decimal(value)
    return "—" if number is None else f"{number.quantize(FEN, rounding=ROUND_HALF_UP) + 0:,.2f}"


def _trimmed(number: Decimal) -> str:
    """Two decimals with separators, the decimals dropped when they are zero: 580 → "580", 1171.5679 → "1,171.57"."""
    shown = number.quantize(FEN, rounding=ROUND_HALF_UP) + 0
    return f"{shown:,.0f}" if shown == shown.to_integral_value() else f"{shown:,.2f}"


@register.filter
def money(value) -> str:
    """Yuan as people scan them, with the unit: 亿元 from a hundred million, 万元 from ten thousand, yuan to the
    fen below that: 11715679.43 → "1,171.57万元", 139000000 → "1.39亿元", 8500 → "8,500.00元"."""
    number = _decimal(value)
    if number is None:
        return "—"
    size = abs(number)
    if size >= YI:
        return f"{_trimmed(number / YI)}亿元"
    if size >= WAN:
        return f"{_trimmed(number / WAN)}万元"
    return f"{yuan(number)}元"


@register.filter
def person(user) -> str:
    """A person's name as they write it (``User.get_full_name``: Chinese names family name first, 缪磊); the
    username when no name is recorded."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username or "—"


@register.filter
def dpd_bucket(name: str) -> str:
    """A days-past-due bucket as people say it: "current" → 正常, "1-30" → 1–30天, "90+" → 90天以上."""
    if name == "current":
        return gettext("Current")
    if name.endswith("+"):
        return gettext("over %(days)s days") % {"days": name[:-1]}
    low, _sep, high = name.partition("-")
    return gettext("%(low)s–%(high)s days") % {"low": low, "high": high}
