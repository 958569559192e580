"""The loan book (``LoanBookFigure``) is kept by statement triggers on PostgreSQL: one upsert per book row a
statement moves, from the statement's transition tables, instead of two per loan. The row trigger of 0015 made a
COPY of a million loans (``generate_load``) or a bulk ``UPDATE`` (the daily delinquency refresh) rewrite the same
few book rows once per loan in one transaction, which grows with the square of the loans. SQLite keeps its row
triggers (it has no statement triggers and no row versions to pile up). The book's figures do not change."""

from django.db import migrations


def statement_triggers(apps, schema_editor):
    from tongzhirong.financing.rollups import BOOK_TRIGGERS, BOOK_TRIGGERS_DROP

    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [*BOOK_TRIGGERS_DROP["postgresql"], *BOOK_TRIGGERS["postgresql"]]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0017_rollup_key_length"),
    ]

    # Going back leaves the statement triggers in place: they keep the same figures as the row trigger did.
    operations = [migrations.RunPython(statement_triggers, migrations.RunPython.noop)]
