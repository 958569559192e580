"""What every input serializer of the API shares."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongzhirong.core.filtering import MAX_INTEGER


class RejectsUnknownFields:
    """Mix into an input serializer so that a field it does not take is an error instead of silently dropped:
    a typo, or an attempt to set what the caller may not (``owner``, ``uscc``), should be seen. Names in
    ``fixed_fields`` exist on the object but cannot be written here."""

    fixed_fields: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [_("This field cannot be changed.") if name in self.fixed_fields else _("Unknown field.")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


def documented_json(schema, **kwargs) -> serializers.JSONField:
    """A JSON value passed through exactly as stored (a signed document must reach the client byte for byte as
    it was hashed), documented in the schema by ``schema``: a serializer or an OpenAPI schema dict."""
    field_class = extend_schema_field(schema)(type("DocumentedJSONField", (serializers.JSONField,), {}))
    return field_class(**kwargs)


# A feature value recorded with a score or a valuation: text, a number, a flag, or nothing.
SCALAR = {"anyOf": [{"type": "string", "nullable": True}, {"type": "number"}, {"type": "boolean"}]}
FEATURES = {
    "type": "object",
    "additionalProperties": SCALAR,
    "description": "The model's inputs by feature name, as recorded when it ran.",
}
FACT_SOURCE = {
    "type": "object",
    "properties": {
        "source": {"type": "string"},
        "reference": {"type": "string"},
        "observed_at": {"type": "string", "format": "date-time"},
        "fact": {"type": "integer"},
        "disputed": {"type": "boolean"},
    },
    "required": ["source", "reference", "observed_at", "fact"],
}
# A score's inputs: the features, with where each came from and what the firm declared otherwise.
SCORE_INPUTS = {
    "type": "object",
    "properties": {
        "provenance": {
            "type": "object",
            "properties": {
                "inputs": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Per risk input: verified, declared or terms.",
                },
                "facts": {
                    "type": "object",
                    "additionalProperties": {"anyOf": [{"type": "string"}, FACT_SOURCE]},
                    "description": "Per fact behind the inputs: its source, or `declared`.",
                },
            },
        },
        "conflicts": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"declared": SCALAR, "verified": SCALAR, "source": {"type": "string"}},
            },
            "description": "The facts the firm declared otherwise than their source says.",
        },
    },
    "additionalProperties": SCALAR,
    "description": "The model's inputs by feature name as recorded when it ran, with their provenance and conflicts.",
}
_PAIR = {"type": "array", "items": SCALAR, "minItems": 2, "maxItems": 2, "description": "[before, after]"}
SCORE_CHANGES = {
    "type": "object",
    "properties": {
        "band": _PAIR,
        "pd": _PAIR,
        "points": _PAIR,
        "model_version": _PAIR,
        "inputs": {"type": "object", "additionalProperties": _PAIR},
        "provenance": {"type": "object", "additionalProperties": _PAIR},
        "conflicts": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "string"}},
            "minItems": 2,
            "maxItems": 2,
            "description": "[before, after]: the names of the facts in conflict.",
        },
    },
}


class IdField(serializers.IntegerField):
    """An object's id as a request names it: a positive integer that a database integer holds, so that a larger
    one is a 400 here rather than an overflow in the database (SQLite raises on it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_INTEGER)
        super().__init__(**kwargs)
