"""Query expressions of the scoring batch path."""

from django.db.models import Func, IntegerField, lookups


class In(lookups.In):
    """``field IN (values)`` for a batch of thousands of plain values, without Django's per-value work.

    Django's ``In`` resolves every value of the list as an expression when it compiles the query, which
    at thousands of ids weighs on every batch read; here the values, prepared by the field as usual, go
    straight in as parameters. PostgreSQL gets ``field = ANY(%s)`` with one array parameter, because
    psycopg binds an ``IN`` list client-side as one literal per value, each of which PostgreSQL parses.
    The array is cast to the column's type: psycopg types a list of small ints as ``smallint[]``, and
    ``bigint = ANY(smallint[])`` is a cross-type comparison that PostgreSQL cannot hash, so a filter on
    it would compare each row with every value. Use it as a filter expression:
    ``.filter(In(F("asset_id"), ids))``. A list holding expressions goes the ordinary way."""

    def _plain_values(self, connection) -> list | None:
        if not self.rhs or not self.rhs_is_direct_value():
            return None
        if any(hasattr(value, "resolve_expression") for value in self.rhs):
            return None
        return list(self.get_db_prep_lookup(self.rhs, connection)[1])

    def as_sql(self, compiler, connection):
        values = self._plain_values(connection)
        if values is None:
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


class JSONArrayLength(Func):
    """The length of a JSON array column; NULL for NULL (and for a non-array on PostgreSQL; SQLite
    says 0)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "CASE WHEN jsonb_typeof(%(expressions)s) = 'array' THEN jsonb_array_length(%(expressions)s) END"
        return self.as_sql(compiler, connection, template=template, **extra)
