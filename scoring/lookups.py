"""Query expressions of the scoring batch path."""

from django.db.models import Func, IntegerField
from django.db.models.functions import Cast, Coalesce


class JSONArrayLength(Func):
    """The length of a JSON array column; NULL for NULL (and for a non-array on PostgreSQL; SQLite
    says 0)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "CASE WHEN jsonb_typeof(%(expressions)s) = 'array' THEN jsonb_array_length(%(expressions)s) END"
        return self.as_sql(compiler, connection, template=template, **extra)


class _AsTheDriverGivesIt:
    """An expression read as the driver returns it. Django converts the value of a float or integer expression in
    Python, row by row (``float(value)``, ``int(value)``); PostgreSQL (``float8``, ``integer``) and SQLite (``REAL``,
    ``INTEGER``) already return ``float`` and ``int`` for the casts and lengths below, so a batch read of some 10⁵
    rows would spend a Python call per value on nothing."""

    @property
    def convert_value(self):
        return self._convert_value_noop


class FloatCast(_AsTheDriverGivesIt, Cast):
    """``Cast(expression, FloatField())``, read without Django's per-row ``float()``."""


class IntCoalesce(_AsTheDriverGivesIt, Coalesce):
    """``Coalesce`` of integer expressions, read without Django's per-row ``int()``."""
