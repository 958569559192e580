"""The office's rollups, with their firm counts, for the loans already in the database (every loan written from
now on keeps them)."""

from django.db import migrations


def build(apps, schema_editor):
    Loan = apps.get_model("financing", "Loan")
    ReportedLoan = apps.get_model("reporting", "ReportedLoan")
    if not (Loan.objects.exists() or ReportedLoan.objects.exists()):
        return  # a new database: nothing to roll up
    # The same code as `manage.py rebuild_rollups`, run once here with the models as they are at this release;
    # should a later schema change stop it from running at this point of the history, run the command instead.
    from tongzhirong.reporting.rollups import rollups_rebuild

    rollups_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_rollups_build"),
        ("financing", "0012_rollup_firm_counts"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
