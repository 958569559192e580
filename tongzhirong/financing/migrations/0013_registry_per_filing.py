"""A filing per registry (issue 17, item 7): packages and registrations name their registry, CNIPA or the
Copyright Protection Center. Existing rows are their assets' registry: until now a portfolio mixing the two was
refused, so each application's assets register at one place. Constraints follow in 0014."""

import django.db.models.deletion
from django.db import migrations, models

REGISTRY_CHOICES = [
    ("cnipa", "CNIPA 国家知识产权局"),
    ("copyright_centre", "Copyright Protection Center 中国版权保护中心"),
]
COPYRIGHT_TYPES = ("copyright", "software_copyright")


def existing_rows_registry(apps, schema_editor):
    ApplicationAsset = apps.get_model("financing", "ApplicationAsset")
    copyright_only = (
        ApplicationAsset.objects.filter(asset__ip_type__in=COPYRIGHT_TYPES)
        .exclude(
            application_id__in=ApplicationAsset.objects.exclude(asset__ip_type__in=COPYRIGHT_TYPES).values(
                "application_id"
            )
        )
        .values("application_id")
    )
    for name in ("FilingPackage", "PledgeRegistration"):
        apps.get_model("financing", name).objects.filter(application_id__in=copyright_only).update(
            registry="copyright_centre"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0012_rollup_firm_counts"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="filingpackage",
            options={
                "ordering": ["application", "registry", "version"],
                "verbose_name": "filing package",
                "verbose_name_plural": "filing packages",
            },
        ),
        migrations.AlterModelOptions(
            name="pledgeregistration",
            options={
                "ordering": ["application", "registry"],
                "verbose_name": "pledge registration",
                "verbose_name_plural": "pledge registrations",
            },
        ),
        migrations.RemoveConstraint(model_name="filingpackage", name="filingpackage_unique_version"),
        migrations.RemoveConstraint(model_name="filingpackage", name="filingpackage_one_current"),
        migrations.AddField(
            model_name="filingpackage",
            name="registry",
            field=models.CharField(choices=REGISTRY_CHOICES, default="cnipa", max_length=16, verbose_name="registry"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pledgeregistration",
            name="registry",
            field=models.CharField(choices=REGISTRY_CHOICES, default="cnipa", max_length=16, verbose_name="registry"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="pledgeregistration",
            name="application",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="pledge_registrations",
                to="financing.application",
                verbose_name="application",
            ),
        ),
        migrations.RunPython(existing_rows_registry, migrations.RunPython.noop),
    ]
