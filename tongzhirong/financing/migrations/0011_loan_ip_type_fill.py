"""Existing loans get their leading IP type (the first of their pledged rights in the office's order)."""

from django.db import migrations
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce

# The order of tongzhirong.financing.rollups.IP_TYPE_PRECEDENCE as it stood when this migration was written.
PRECEDENCE = (
    "invention_patent",
    "utility_model",
    "design_patent",
    "software_copyright",
    "trademark",
    "copyright",
    "ic_layout",
    "geographical_indication",
)


def fill(apps, schema_editor):
    Loan = apps.get_model("financing", "Loan")
    ApplicationAsset = apps.get_model("financing", "ApplicationAsset")
    rank = Case(
        *[When(asset__ip_type=t, then=Value(i)) for i, t in enumerate(PRECEDENCE)],
        default=Value(len(PRECEDENCE)),
        output_field=IntegerField(),
    )
    pledged = ApplicationAsset.objects.filter(application_id=OuterRef("application_id")).annotate(rank_=rank)
    leading = Subquery(pledged.order_by("rank_", "asset_id").values("asset__ip_type")[:1])
    Loan.objects.update(ip_type=Coalesce(leading, Value("")))


class Migration(migrations.Migration):
    dependencies = [("financing", "0010_loan_rollups")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
