"""Many plain rows through a serializer without DRF's per-field machinery.

For each value DRF resolves the field's source, checks for callables and ``SkipField``, and calls the field's
``to_representation``; on the bank's review queue (200 rows of 31 fields) that cost more than the SQL
(bench/bench_queue.py). ``PlainRowsSerializer`` as a serializer's ``Meta.list_serializer_class`` chooses
each field's conversion once per response instead:

- a plain source reads the row's key, ``*`` (method fields) passes the row, a dotted source goes through DRF;
- ``None`` stays ``None``, as in DRF;
- str, int and bool values pass through ``CharField``, ``ChoiceField``, ``IntegerField`` and ``BooleanField``
  unchanged, which is what those fields return for them; any other value, and every other field (decimals,
  dates), goes through the field's own ``to_representation``, a ``DateTimeField`` with the current time zone
  looked up once;
- a nested ``many=True`` serializer of plain rows is planned the same way.

The output equals DRF's own (tests/api/common/test_rows.py). Single objects keep DRF's path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from operator import itemgetter
from typing import Any

from rest_framework import serializers

# Field classes (exactly these, not subclasses) that return a value of this type unchanged.
PASSTHROUGH: dict[type, type] = {
    serializers.CharField: str,
    serializers.ChoiceField: str,
    serializers.IntegerField: int,
    serializers.BooleanField: bool,
}


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    if isinstance(field, serializers.SerializerMethodField):
        return getattr(field.parent, field.method_name)
    if isinstance(field, PlainRowsSerializer):
        return field.to_representation
    if isinstance(field, serializers.DateTimeField) and not hasattr(field, "timezone"):
        field.timezone = field.default_timezone()  # looked up once, not per value (DRF reads it if set)
    kind, convert = PASSTHROUGH.get(type(field)), field.to_representation
    if kind is None:
        return convert
    return lambda value: value if type(value) is kind else convert(value)


def _getter(field: serializers.Field) -> Callable[[Mapping], Any]:
    if field.source == "*":
        return lambda row: row
    if "." in field.source:
        return field.get_attribute
    return itemgetter(field.source)


class PlainRowsSerializer(serializers.ListSerializer):
    """``many=True`` over mappings whose keys are the fields' sources (see the module's docstring)."""

    @cached_property
    def plan(self) -> list[tuple[str, Callable, Callable]]:
        return [(f.field_name, _getter(f), _converter(f)) for f in self.child._readable_fields]

    def to_representation(self, data):
        plan = self.plan
        return [
            {name: None if (value := get(row)) is None else convert(value) for name, get, convert in plan}
            for row in data
        ]
