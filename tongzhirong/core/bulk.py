"""Insert many rows of one model quickly, keeping out the rows a unique constraint already holds.

``bulk_create`` builds a model instance per row and prepares each value through its field; on
PostgreSQL it then sends each column as one array literal, in which psycopg escapes every ``"`` of a
JSON value with a regular expression, in Python. For the scoring batch path (100,000 rows of JSON
inputs and reasons) that per-row work dominates the write. ``insert_new_rows`` takes plain tuples and
sends them the way each database loads rows fastest: PostgreSQL a ``COPY`` (text format, escaped in psycopg's C
code) into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``; SQLite one
``executemany`` of ``INSERT … ON CONFLICT DO NOTHING``. Other databases are refused.

Unlike ``bulk_create(ignore_conflicts=True)`` on SQLite (``INSERT OR IGNORE``, which also drops rows
breaking a CHECK or NOT NULL constraint), only rows conflicting with a unique constraint are kept out;
any other violation raises ``IntegrityError`` and nothing of the call is written. Like
``bulk_create``, no signals are sent; unlike it, no primary keys come back.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from django.db import IntegrityError, NotSupportedError, connections, models, router, transaction
from psycopg.adapt import PyFormat, Transformer

JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
DATABASE_PREPARED = frozenset({"DateField", "DateTimeField", "TimeField", "DurationField", "UUIDField"})


def insert_new_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    constants: dict[str, Any] | None = None,
    expect_new: bool = False,
) -> int:
    """Insert ``rows`` (a value per name in ``fields``, in that order) with ``constants`` (a value per
    field, the same in every row: the model version, the time of the batch) and return how many rows
    were new.

    JSON fields take Python values (written as compact JSON after the field's ``get_prep_value``, so a
    compacting field stores its compact form; ``None`` is SQL NULL, as through the ORM) or an ``orjson.Fragment``
    of the JSON to store as it is (the caller's own encoding, in the field's stored form); date, time,
    duration and UUID fields go through their field; everything else goes to the database as given. So
    give what the column takes: ids, ``str``, ``bool``, ``float``, ``Decimal`` rounded to the field's
    places. No default is applied: give every column that has no database default, ``auto_now_add``
    ones included.

    ``expect_new``: the caller has just looked the rows up and found them missing, so a conflict is unlikely. On
    PostgreSQL the rows are then COPYed straight into the table in a savepoint, which spares the staging table and
    the second pass over every row; if a concurrent writer stored one of them first, the savepoint is rolled back
    and the rows go the usual way."""
    constants = constants or {}
    connection = connections[router.db_for_write(model)]
    writer = {"postgresql": _copy_then_insert, "sqlite": _executemany}.get(connection.vendor)
    if writer is None:
        raise NotSupportedError(f"insert_new_rows does not know {connection.vendor}.")
    columns = [model._meta.get_field(name) for name in (*fields, *constants)]
    # Column by column: a value is touched in Python only where its column needs preparing.
    rows = list(rows)
    values = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in fields]
    if len(values) != len(fields):
        raise ValueError(f"Each row needs {len(fields)} values, one per field; got {len(values)}.")
    for i, field in enumerate(columns[: len(fields)]):
        prepare = _preparer(field, connection)
        if prepare is not None:
            values[i] = map(prepare, values[i])
    for field, value in zip(columns[len(fields) :], constants.values(), strict=True):
        prepare = _preparer(field, connection)
        value = prepare(value) if prepare else value
        # COPY reads text: a constant is put in its text form once here, not by psycopg again for every row (a
        # timestamp costs some 1.5 µs a row, a third of what writing a score row takes).
        values.append(itertools.repeat(_copy_text(connection, value) if connection.vendor == "postgresql" else value))
    # Not strict: the constants repeat without end, the rows' columns are of one length.
    prepared = zip(*values, strict=False)
    table, names = model._meta.db_table, [c.column for c in columns]
    with transaction.atomic(using=connection.alias):
        if not (expect_new and connection.vendor == "postgresql"):
            return writer(connection, table, names, prepared)
        prepared = list(prepared)
        try:
            with transaction.atomic(using=connection.alias):
                return _copy(connection, table, names, prepared)
        except IntegrityError:  # a concurrent writer stored one of them first: keep its row, add the others
            return writer(connection, table, names, prepared)


def reserved_ids(model: type[models.Model], count: int) -> list[int] | None:
    """``count`` new primary keys of ``model``, in increasing order, taken from its table's sequence on PostgreSQL,
    for rows the caller is about to insert with them (as a field of ``insert_new_rows``), so it knows each new row's
    id without reading the rows back. The sequence hands each value out once, whatever other sessions insert
    meanwhile, and a value is never given back (a rolled-back insert leaves a gap, as any insert does). None on a
    database without sequences (SQLite numbers the rows as they are inserted)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or count <= 0:
        return None
    with connection.cursor() as cursor:
        # The sequence found once (MATERIALIZED): inlined, its name was looked up for every value (35 ms for 5,000
        # ids against 2 ms).
        cursor.execute(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
            "SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column, count],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def _copy_text(connection, value: Any) -> Any:
    """``value`` as the text psycopg writes for it in a COPY (its own text dumper); ``None``, ``str`` and ``int`` as
    they are."""
    if value is None or isinstance(value, str | int):
        return value
    connection.ensure_connection()
    return bytes(Transformer(connection.connection).get_dumper(value, PyFormat.TEXT).dump(value)).decode()


def _preparer(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How a value of ``field`` is made ready for the database; None where it goes as given."""
    if isinstance(field, models.JSONField):
        prepare = field.get_prep_value  # a compacting field's compact form; the value itself otherwise
        if field.encoder is not None:
            return lambda v: None if v is None else json.dumps(prepare(v), cls=field.encoder)

        # An ``orjson.Fragment`` is JSON already in the stored form: the caller encoded it (compacted, if the
        # field compacts), so it skips ``get_prep_value`` (a compacting field's walk over every item).
        def encode(v):
            if v is None:
                return None
            return orjson.dumps(v if type(v) is orjson.Fragment else prepare(v), option=JSON_OPTIONS).decode()

        return encode
    if field.get_internal_type() in DATABASE_PREPARED:
        return lambda v: field.get_db_prep_save(v, connection)
    return None


# The statements below name only the model's own table and columns, quoted: no outside input reaches them.


def _executemany(connection, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)


def _copy(connection, table: str, columns: list[str], rows: list[tuple]) -> int:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    # cursor.copy is psycopg's own: its errors are made Django's here (a unique violation is an IntegrityError).
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _copy_then_insert(connection, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
    quote = connection.ops.quote_name
    names = ", ".join(map(quote, columns))
    staging = quote(f"{table}_incoming")
    with connection.cursor() as cursor:
        # The same column types without constraints or defaults; dropped at the end (or with a rollback).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {quote(table)} WITH NO DATA"  # noqa: S608
        )
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING"  # noqa: S608
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        return written
