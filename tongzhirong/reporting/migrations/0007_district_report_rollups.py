"""The district report's period-partitioned groups (``financing.rollups.CROSSED``: district × month, year and plan
period; district × bank, chain and size band × month) for the loans already in the database (every loan written
from now on keeps them, in its own transaction). Its time at a million loans is in docs/capacity.md;
``manage.py rebuild_rollups`` rebuilds them with the rest."""

from django.db import migrations


def build(apps, schema_editor):
    if not (
        apps.get_model("financing", "Loan").objects.exists()
        or apps.get_model("reporting", "ReportedLoan").objects.exists()
    ):
        return  # a new database: nothing to roll up
    # `manage.py rebuild_rollups`' part for these rows, run once here with the models of this release;
    # should a later schema change stop it from running at this point of the history, run the command instead.
    from tongzhirong.financing.rollups import CROSSED
    from tongzhirong.reporting.rollups import rollups_rebuild

    rollups_rebuild(dimensions=list(CROSSED))


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0006_waits_book_periods"),
        ("financing", "0017_rollup_key_length"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
