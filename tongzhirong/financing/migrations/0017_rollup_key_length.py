"""Rollup group keys up to 64 characters: the district report's period-partitioned groups join a period, a district
and a chain (``2026-06-01|park-netda|advanced_communications``).

On PostgreSQL a longer ``varchar`` is a catalogue change (no rewrite, indexes kept). SQLite does not enforce the
length, and altering the column there would rebuild the span table under the firms' first-loan triggers that name
it, so only the model state changes there."""

from django.db import migrations, models


def widen(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("financing_loandayfigure", "financing_loanfirmspan"):
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "key" TYPE varchar(64)')


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("financing_loandayfigure", "financing_loanfirmspan"):
        schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "key" TYPE varchar(40)')


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0016_filingpackage_pdf"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="loandayfigure",
                    name="key",
                    field=models.CharField(max_length=64, verbose_name="group"),
                ),
                migrations.AlterField(
                    model_name="loanfirmspan",
                    name="key",
                    field=models.CharField(max_length=64, verbose_name="group"),
                ),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        ),
    ]
