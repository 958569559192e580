"""An auction's reserve taken from a valuation points at that valuation (a foreign key, kept as long as the auction)
instead of naming it in text ("valuation #243"); reserve_source is "valuation" or "bank"."""

import django.db.models.deletion
from django.db import migrations, models

PREFIX = "valuation #"


def link_valuations(apps, schema_editor):
    Auction = apps.get_model("risksharing", "Auction")
    AssetValuation = apps.get_model("scoring", "AssetValuation")
    for auction in Auction.objects.filter(reserve_source__startswith=PREFIX).only("pk", "reserve_source"):
        valuation_id = auction.reserve_source.removeprefix(PREFIX)
        if not valuation_id.isdigit() or not AssetValuation.objects.filter(pk=int(valuation_id)).exists():
            raise RuntimeError(f"Auction {auction.pk}: its reserve names {auction.reserve_source!r}, which is not stored.")
        Auction.objects.filter(pk=auction.pk).update(reserve_source="valuation", reserve_valuation_id=int(valuation_id))


def name_valuations(apps, schema_editor):
    Auction = apps.get_model("risksharing", "Auction")
    for auction in Auction.objects.filter(reserve_source="valuation").only("pk", "reserve_valuation_id"):
        Auction.objects.filter(pk=auction.pk).update(reserve_source=f"{PREFIX}{auction.reserve_valuation_id}")


class Migration(migrations.Migration):

    dependencies = [
        ('risksharing', '0005_cover_request_lapsed'),
        ('scoring', '0010_bank_model_training'),
    ]

    operations = [
        migrations.AddField(
            model_name='auction',
            name='reserve_valuation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scoring.assetvaluation', verbose_name='valuation the reserve was taken from'),
        ),
        migrations.RunPython(link_valuations, name_valuations),
        migrations.AlterField(
            model_name='auction',
            name='reserve_source',
            field=models.CharField(choices=[('valuation', "the model's valuation"), ('bank', 'set by the bank')], max_length=60, verbose_name='reserve from'),
        ),
        migrations.AddConstraint(
            model_name='auction',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('reserve_source', 'valuation'), ('reserve_valuation__isnull', False)), models.Q(('reserve_source', 'bank'), ('reserve_valuation__isnull', True)), _connector='OR'), name='auction_reserve_source_matches_valuation'),
        ),
    ]
