from django.db import migrations, models
from django.db.models import F


def content_hash_of_earlier_packages(apps, schema_editor):
    """Before the PDF, a package's ``sha256`` was the hash of its canonical content: keep it as that."""
    apps.get_model("financing", "FilingPackage").objects.update(content_sha256=F("sha256"))


class Migration(migrations.Migration):
    dependencies = [
        ("financing", "0015_loan_waits_and_book"),
    ]

    operations = [
        migrations.AddField(
            model_name="filingpackage",
            name="content_sha256",
            field=models.CharField(default="", max_length=64, verbose_name="content hash (SHA-256, canonical JSON)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="filingpackage",
            name="pdf",
            field=models.BinaryField(blank=True, null=True, verbose_name="document (PDF)"),
        ),
        migrations.RunPython(content_hash_of_earlier_packages, migrations.RunPython.noop),
    ]
