"""Query expressions of the scoring batch path."""

from django.db.models import Func, IntegerField


class JSONArrayLength(Func):
    """The length of a JSON array column; NULL for NULL (and for a non-array on PostgreSQL; SQLite
    says 0)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "CASE WHEN jsonb_typeof(%(expressions)s) = 'array' THEN jsonb_array_length(%(expressions)s) END"
        return self.as_sql(compiler, connection, template=template, **extra)
