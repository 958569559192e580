"""The tasks that value assets: after a change (by id) and nightly (every live asset), idempotent by inputs."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from scoring.models import AssetValuation
from scoring.tasks import value_assets, value_live_assets
from tests.factories import IPAssetFactory

pytestmark = pytest.mark.django_db


def test_valuing_twice_on_the_same_inputs_writes_one_valuation():
    asset = IPAssetFactory()

    assert value_assets.delay([asset.pk]).get() == 1
    value_assets.delay([asset.pk]).get()

    assert AssetValuation.objects.filter(asset=asset).count() == 1


def test_the_nightly_refresh_values_every_live_asset_and_no_archived_one():
    live = IPAssetFactory.create_batch(3)
    archived = IPAssetFactory(archived_at=timezone.now() - dt.timedelta(days=1))

    assert value_live_assets.delay().get() == 3

    assert set(AssetValuation.objects.values_list("asset_id", flat=True)) == {a.pk for a in live}
    assert not AssetValuation.objects.filter(asset=archived).exists()


def test_the_nightly_refresh_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "scoring.tasks.value_live_assets" in tasks
