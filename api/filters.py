"""A list's filters (a ``ListFilterSet`` of the domain, shared with the pages) in the API: read from the query
string, refused as a 400 in the one problem shape, and documented as query parameters."""

from __future__ import annotations

from functools import cache

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from tongzhirong.core import filtering


def chosen_filters(filterset_class: type[filtering.ListFilterSet], request) -> filtering.ListFilterSet:
    """The list's filters bound to the request's query string; a refused one is a 400 ``validation_failed``
    whose ``errors`` name it."""
    filterset = filterset_class(data=request.query_params)
    if not filterset.is_valid():
        raise ValidationError(
            {
                name: [ErrorDetail(message, code=error.code) for error in errors for message in error]
                for name, errors in filterset.errors.as_data().items()
            }
        )
    return filterset


def _parameter(field):
    """The query parameter's schema: the serializer field drf-spectacular documents it from."""
    common = {"required": False, "help_text": field.help_text or None}
    if isinstance(field, filtering.MultipleChoiceField):
        return serializers.MultipleChoiceField(choices=field.choices, **common)
    if isinstance(field, filtering.ChoiceField):
        return serializers.ChoiceField(choices=field.choices, **common)
    if isinstance(field, filtering.IntegerField):
        return serializers.IntegerField(min_value=field.min_value, max_value=field.max_value, **common)
    if isinstance(field, filtering.DecimalField):
        return serializers.DecimalField(max_digits=field.max_digits, decimal_places=field.decimal_places, **common)
    if isinstance(field, filtering.TextField):
        return serializers.CharField(max_length=field.max_length, allow_blank=True, **common)
    if isinstance(field, filtering.NullBooleanField):
        return serializers.BooleanField(allow_null=True, default=None, **common)
    raise TypeError(f"No query parameter for a {type(field).__name__}.")


@cache
def filter_parameters(filterset_class: type[filtering.ListFilterSet]) -> type[serializers.Serializer]:
    """The filters as ``extend_schema(parameters=[...])`` takes them (a serializer, for the schema only)."""
    fields = {name: _parameter(field) for name, field in filterset_class().form.fields.items()}
    return type(f"{filterset_class.__name__}Parameters", (serializers.Serializer,), fields)
