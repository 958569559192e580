"""The speed league's waits, the risk panel's book, the quarter and year dimensions of the day rows and each
firm's first loan day for the loans already in the database (every loan written from now on keeps them:
``Loan.save`` the waits and the day rows, triggers the book and the firms' first loan days)."""

from django.db import migrations


def build(apps, schema_editor):
    if not (
        apps.get_model("financing", "Loan").objects.exists()
        or apps.get_model("reporting", "ReportedLoan").objects.exists()
    ):
        return  # a new database: nothing to roll up
    # `manage.py rebuild_rollups`' parts for these rows, run once here with the models of this release;
    # should a later schema change stop it from running at this point of the history, run the command instead.
    from tongzhirong.financing.rollups import QUARTER, YEAR
    from tongzhirong.reporting.rollups import rollups_rebuild, waits_and_book_rebuild

    waits_and_book_rebuild()
    rollups_rebuild(dimensions=[QUARTER, YEAR])
    # Each firm's first loan day: touching the firms runs their trigger, which reads it from the spans.
    schema_editor.execute("UPDATE enterprises_enterprise SET first_loan_on = NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_rollups_rebuild"),
        ("financing", "0015_loan_waits_and_book"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
