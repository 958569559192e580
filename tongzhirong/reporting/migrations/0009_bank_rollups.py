"""A bank's own groups (``financing.rollups.BANK_CROSSED``: bank × month, quarter and year; bank × district,
cluster, chain, product type, IP type, size band, first-time borrower and tech marker) for the loans already in
the database (every loan written from now on keeps them, in its own transaction): a bank's series and breakdowns
read them instead of its slice of the loans. ``manage.py rebuild_rollups`` rebuilds them with the rest."""

from django.db import migrations


def build(apps, schema_editor):
    if not (
        apps.get_model("financing", "Loan").objects.exists()
        or apps.get_model("reporting", "ReportedLoan").objects.exists()
    ):
        return  # a new database: nothing to roll up
    # `manage.py rebuild_rollups`' part for these rows, run once here with the models of this release;
    # should a later schema change stop it from running at this point of the history, run the command instead.
    from tongzhirong.financing.rollups import BANK_CROSSED
    from tongzhirong.reporting.rollups import rollups_rebuild

    rollups_rebuild(dimensions=list(BANK_CROSSED))
    if schema_editor.connection.vendor == "postgresql":
        # Many more day rows and spans: analyse them before the planner reads the day rows with stale statistics.
        schema_editor.execute("ANALYZE financing_loandayfigure")
        schema_editor.execute("ANALYZE financing_loanfirmspan")


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0008_register_figures"),
        ("financing", "0019_loandayfigure_bank_groups"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
