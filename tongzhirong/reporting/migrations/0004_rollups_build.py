"""The office's rollups for the loans already in the database (every loan written from now on keeps them)."""

from django.db import migrations


def build(apps, schema_editor):
    """Superseded by 0005, which builds the rollups once their firm counts exist (financing 0012)."""


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_dashboard_indexes"),
        ("financing", "0011_loan_ip_type_fill"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
