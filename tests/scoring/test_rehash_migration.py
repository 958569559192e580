"""Migration 0004 gives the rows stored under the old input hash the new one, so idempotency holds."""

import hashlib
import importlib
import json

import pytest
from django.apps import apps

from scoring.features import input_hash
from scoring.models import ApplicationScore, AssetValuation
from scoring.services import application_score
from tests.factories import ApplicationFactory, IPAssetFactory
from tongzhirong.financing.models import ApplicationAsset

migration = importlib.import_module("scoring.migrations.0004_rehash_inputs")


def _old_hash(inputs) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


@pytest.mark.django_db
def test_stored_rows_are_rehashed_and_found_again_on_the_same_inputs():
    asset = IPAssetFactory()
    application = ApplicationFactory(enterprise=asset.owner)
    ApplicationAsset.objects.create(application=application, asset=asset)
    score = application_score(application=application)
    for model in (AssetValuation, ApplicationScore):  # as the rows were before the migration
        for row in model.objects.all():
            model.objects.filter(pk=row.pk).update(input_hash=_old_hash(row.inputs))

    migration.forwards(apps, None)

    for model in (AssetValuation, ApplicationScore):
        rows = list(model.objects.all())
        assert rows
        assert all(row.input_hash == input_hash(row.inputs) for row in rows)
    assert application_score(application=application).pk == score.pk
    assert (AssetValuation.objects.count(), ApplicationScore.objects.count()) == (1, 1)

    migration.backwards(apps, None)
    assert ApplicationScore.objects.get().input_hash == _old_hash(score.inputs)


@pytest.mark.django_db
def test_a_row_already_under_the_new_hash_is_kept_and_the_older_duplicate_keeps_its_old_hash():
    asset = IPAssetFactory()
    application = ApplicationFactory(enterprise=asset.owner)
    ApplicationAsset.objects.create(application=application, asset=asset)
    score = application_score(application=application)  # written under the new hash
    older = ApplicationScore.objects.create(
        application=application,
        model_version=score.model_version,
        input_hash=_old_hash(score.inputs),
        inputs=score.inputs,
        pd=score.pd,
        points=score.points,
        band=score.band,
    )

    migration.forwards(apps, None)

    assert ApplicationScore.objects.get(pk=score.pk).input_hash == input_hash(score.inputs)
    assert ApplicationScore.objects.get(pk=older.pk).input_hash == _old_hash(score.inputs)
