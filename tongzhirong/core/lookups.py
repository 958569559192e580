"""Query expressions for reads of many rows by key."""

from django.db.models import IntegerField, lookups


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

    def get_prep_lookup(self):
        # Plain ints for an integer column (or one not resolved yet, which Django does not prepare either) are
        # what the field would make of them: spare the per-value preparation, checked once here.
        self.integer_ids = isinstance(self.rhs, list | tuple) and all(type(value) is int for value in self.rhs)
        if self.integer_ids and (not hasattr(self.lhs, "output_field") or _is_integer_column(self.lhs)):
            return list(self.rhs)
        return super().get_prep_lookup()

    def _plain_values(self, connection) -> list | None:
        if not self.rhs or not self.rhs_is_direct_value():
            return None
        if self.integer_ids and _is_integer_column(self.lhs):
            return self.rhs
        if any(hasattr(value, "resolve_expression") for value in self.rhs):
            return None
        return list(self.get_db_prep_lookup(self.rhs, connection)[1])

    def as_sql(self, compiler, connection):
        values = self._plain_values(connection)
        if values is None:
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            if values is self.rhs:  # the integer ids
                # As the array's text ('{1,2,3}'): psycopg dumps a list element by element in Python, with a
                # regular expression each, which at a batch's thousands of ids costs more than the query.
                values = "{" + ",".join(map(str, values)) + "}"
            return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


def _is_integer_column(expression) -> bool:
    field = getattr(expression, "output_field", None)
    while field is not None and field.is_relation:
        field = field.target_field
    return isinstance(field, IntegerField)
