"""One current package and one registration per (application, registry); versions count per registry.
Apart from 0013 so that its data migration's updates are committed before the tables are altered (PostgreSQL)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0013_registry_per_filing"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="filingpackage",
            constraint=models.UniqueConstraint(
                fields=("application", "registry", "version"), name="filingpackage_unique_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="filingpackage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("superseded_at__isnull", True)),
                fields=("application", "registry"),
                name="filingpackage_one_current",
            ),
        ),
        migrations.AddConstraint(
            model_name="filingpackage",
            constraint=models.CheckConstraint(
                condition=models.Q(("registry__in", ["cnipa", "copyright_centre"])),
                name="filingpackage_registry_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="pledgeregistration",
            constraint=models.UniqueConstraint(
                fields=("application", "registry"), name="pledgeregistration_one_per_registry"
            ),
        ),
        migrations.AddConstraint(
            model_name="pledgeregistration",
            constraint=models.CheckConstraint(
                condition=models.Q(("registry__in", ["cnipa", "copyright_centre"])),
                name="pledgeregistration_registry_valid",
            ),
        ),
    ]
