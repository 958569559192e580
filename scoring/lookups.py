"""Query helpers of the scoring batch path."""

from django.db.models import lookups


class In(lookups.In):
    """``field IN (values)``, which PostgreSQL gets as ``field = ANY(%s)`` with one array parameter.

    psycopg binds an ``IN`` list client-side as one literal per value, and PostgreSQL parses each of
    them: for the batch path's 5,000 to 7,500 ids that takes half of the query (40 against 20 ms on a
    20k-application database). Use it as a filter expression: ``.filter(In(F("asset_id"), ids))``."""

    def as_postgresql(self, compiler, connection):
        if not self.rhs or hasattr(self.rhs, "resolve_expression"):
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))
