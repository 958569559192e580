"""The district report's period-partitioned groups (``financing.rollups.CROSSED``: district × month, year and plan
period; district × bank, chain and size band × month) for the loans already in the database (every loan written
from now on keeps them, in its own transaction). At a million loans it took 8.4 min (docs/capacity.md);
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
    if schema_editor.connection.vendor == "postgresql":
        # About 0.9 M day rows and 9.5 M spans more at a million loans: until the tables are analysed again the
        # planner reads the day rows with stale statistics (measured: /city/ 1.4 s instead of 0.27 s).
        schema_editor.execute("ANALYZE financing_loandayfigure")
        schema_editor.execute("ANALYZE financing_loanfirmspan")


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0006_waits_book_periods"),
        ("financing", "0017_rollup_key_length"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
