"""The filters of a list, defined once for its API endpoint and its page: a django-filter ``FilterSet`` whose
form reads and checks the query string. The list's selector applies what it accepted (``ListFilterSet.chosen``),
since a selector computes its columns in the database and filters on them.

The fields read a query string as the API's inputs always did: the same values are accepted, empty ones are
left out, and a refusal says the same words (Django REST framework's messages, hence its translations, e.g.
"“F” 不是合法选项。"), so that ``GET /api/v1/...`` answers 400 and the page refuses the same filter alike.
"""

from __future__ import annotations

import decimal
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_STRING_LENGTH = 1000  # a longer value is refused before it is parsed
# The largest id a database holds (a signed 64-bit integer): a larger one is refused here, not by the database
# (SQLite raises OverflowError on it) or by the date arithmetic it feeds.
MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)

# The API's words for a refused value (Django REST framework's, so its catalogue translates them).
INVALID_CHOICE = _('"{input}" is not a valid choice.')
INVALID_INTEGER = _("A valid integer is required.")
INVALID_NUMBER = _("A valid number is required.")
INVALID_BOOLEAN = _("Must be a valid boolean.")
MIN_VALUE = _("Ensure this value is greater than or equal to {min_value}.")
MAX_VALUE = _("Ensure this value is less than or equal to {max_value}.")
MAX_DIGITS = _("Ensure that there are no more than {max_digits} digits in total.")
MAX_DECIMAL_PLACES = _("Ensure that there are no more than {max_decimal_places} decimal places.")
MAX_WHOLE_DIGITS = _("Ensure that there are no more than {max_whole_digits} digits before the decimal point.")
TOO_LONG = _("String value too large.")
NULL_CHARACTER = _("Null characters are not allowed.")


def _refuse(message, code: str, **values) -> ValidationError:
    return ValidationError(str(message).format(**values) if values else str(message), code=code)


def _blank(value) -> bool:
    """A filter that is absent or given empty is left out."""
    return value is None or value == ""


class ChoiceField(forms.Field):
    """One of ``choices`` (value, label pairs), or left out."""

    def __init__(self, *, choices, **kwargs):
        self.choices = list(choices)
        super().__init__(**kwargs)

    def to_python(self, value):
        if _blank(value):
            return None
        found = {str(choice): choice for choice, _label in self.choices}
        if str(value) not in found:
            raise _refuse(INVALID_CHOICE, "invalid_choice", input=value)
        return found[str(value)]


class MultipleChoiceField(ChoiceField):
    """Any of ``choices``, the parameter repeated (``?status=a&status=b``): a list in the order given, each once."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        chosen = []
        for item in value or []:
            found = {str(choice): choice for choice, _label in self.choices}
            if str(item) not in found:
                raise _refuse(INVALID_CHOICE, "invalid_choice", input=item)
            chosen.append(found[str(item)])
        return list(dict.fromkeys(chosen))


class IntegerField(forms.Field):
    """A whole number ("3", or "3.0") from ``min_value`` to ``max_value`` (by default what a database holds)."""

    TRAILING_ZEROS = re.compile(r"\.0*\s*$")

    def __init__(self, *, min_value: int = MIN_INTEGER, max_value: int = MAX_INTEGER, **kwargs):
        self.min_value = min_value
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_python(self, value):
        if _blank(value):
            return None
        if len(value) > MAX_STRING_LENGTH:
            raise _refuse(TOO_LONG, "max_string_length")
        try:
            number = int(self.TRAILING_ZEROS.sub("", str(value)))
        except (ValueError, TypeError):
            raise _refuse(INVALID_INTEGER, "invalid") from None
        if number < self.min_value:
            raise _refuse(MIN_VALUE, "min_value", min_value=self.min_value)
        if number > self.max_value:
            raise _refuse(MAX_VALUE, "max_value", max_value=self.max_value)
        return number


class DecimalField(forms.Field):
    """A finite number of at most ``max_digits`` digits, ``decimal_places`` of them after the point; it comes back
    with exactly ``decimal_places`` ("1000000" is 1000000.00)."""

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs):
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        super().__init__(**kwargs)

    def to_python(self, value):
        if _blank(value):
            return None
        text = str(value).strip()
        if len(text) > MAX_STRING_LENGTH:
            raise _refuse(TOO_LONG, "max_string_length")
        try:
            number = decimal.Decimal(text)
        except decimal.DecimalException:
            raise _refuse(INVALID_NUMBER, "invalid") from None
        if number.is_nan() or number in (decimal.Decimal("Inf"), decimal.Decimal("-Inf")):
            raise _refuse(INVALID_NUMBER, "invalid")
        self._check_precision(number)
        context = decimal.getcontext().copy()
        context.prec = self.max_digits
        return number.quantize(decimal.Decimal(".1") ** self.decimal_places, context=context)

    def _check_precision(self, number: decimal.Decimal) -> None:
        _sign, digits, exponent = number.as_tuple()
        if exponent >= 0:  # 1234500
            total, places = len(digits) + exponent, 0
        elif len(digits) > abs(exponent):  # 123.45
            total, places = len(digits), abs(exponent)
        else:  # 0.001234
            total = places = abs(exponent)
        whole = total - places
        if total > self.max_digits:
            raise _refuse(MAX_DIGITS, "max_digits", max_digits=self.max_digits)
        if places > self.decimal_places:
            raise _refuse(MAX_DECIMAL_PLACES, "max_decimal_places", max_decimal_places=self.decimal_places)
        if whole > self.max_digits - self.decimal_places:
            raise _refuse(MAX_WHOLE_DIGITS, "max_whole_digits", max_whole_digits=self.max_digits - self.decimal_places)


class NullBooleanField(forms.Field):
    """Yes ("1", "true", "yes", "on", "t", "y"), no ("0", "false", "no", "off", "f", "n"), in any case, or
    neither (absent, empty or "null")."""

    TRUE = frozenset({"t", "y", "yes", "true", "on", "1"})
    FALSE = frozenset({"f", "n", "no", "false", "off", "0"})

    def to_python(self, value):
        if _blank(value) or str(value).lower() == "null":
            return None
        if str(value).lower() in self.TRUE:
            return True
        if str(value).lower() in self.FALSE:
            return False
        raise _refuse(INVALID_BOOLEAN, "invalid")


class TextField(forms.Field):
    """Words to search for, trimmed; at most ``max_length`` characters, or left out when blank."""

    def __init__(self, *, max_length: int = 100, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_python(self, value):
        if _blank(value) or not str(value).strip():
            return None
        if len(str(value)) > self.max_length:
            raise _refuse(TOO_LONG, "max_length")
        if "\x00" in str(value):  # PostgreSQL refuses it in a query: a 400 here, not a 500 there
            raise _refuse(NULL_CHARACTER, "null_characters_not_allowed")
        return str(value).strip()


class TextFilter(django_filters.Filter):
    field_class = TextField


class ChoiceFilter(django_filters.Filter):
    field_class = ChoiceField


class MultipleChoiceFilter(django_filters.Filter):
    field_class = MultipleChoiceField


class IntegerFilter(django_filters.Filter):
    field_class = IntegerField


class DecimalFilter(django_filters.Filter):
    field_class = DecimalField


class NullBooleanFilter(django_filters.Filter):
    field_class = NullBooleanField


class ListFilterSet(django_filters.FilterSet):
    """A list's filters: bind it to the query string (``request.GET``, ``request.query_params``), then
    ``is_valid()``, ``errors`` (filter name → messages), ``chosen()`` and ``labels()``. Its selector filters,
    so ``qs`` is not for use."""

    def chosen(self) -> dict:
        """The filters accepted, by name, without the ones left out; nothing when any is refused."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.form.cleaned_data.items() if value is not None}

    def labels(self) -> dict:
        """Each filter's name for people, by its name in the query string."""
        return {name: field.label or name for name, field in self.form.fields.items()}

    def filter_queryset(self, queryset):
        raise NotImplementedError(f"{type(self).__name__} is applied by its list's selector: pass it chosen().")
