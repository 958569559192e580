"""Input hashes become SHA-256 of orjson's compact JSON (``scoring.features.input_hash``) instead of
``json.dumps``' spaced JSON: the stored rows get the new hash of their stored ``inputs``, so a row
asked for again on the same inputs is still found (idempotency holds across the change).

The two encodings are written out here, not imported, so this migration keeps its meaning when the
feature code changes. Equal stored inputs give equal text under both, so two rows collide only where
code of the new scheme already wrote a row for the same inputs; the older row then keeps its old hash
(a duplicate nothing looks up) rather than breaking the idempotency constraint."""

import hashlib
import json

import orjson
from django.db import migrations

BATCH = 2000


def _new(inputs) -> str:
    return hashlib.sha256(orjson.dumps(inputs, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _old(inputs) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _rehash(apps, digest) -> None:
    for name, subject in (("AssetValuation", "asset_id"), ("ApplicationScore", "application_id")):
        model = apps.get_model("scoring", name)
        last = 0
        while True:
            rows = list(
                model.objects.filter(pk__gt=last)
                .order_by("pk")
                .only("pk", "inputs", "input_hash", "model_version", subject.removesuffix("_id"))[:BATCH]
            )
            if not rows:
                break
            wanted = {row.pk: digest(row.inputs) for row in rows}
            taken = set(
                model.objects.filter(input_hash__in=set(wanted.values())).values_list(
                    "model_version_id", "input_hash", subject
                )
            )
            changed = []
            for row in rows:
                key = (row.model_version_id, wanted[row.pk], getattr(row, subject))
                if wanted[row.pk] != row.input_hash and key not in taken:
                    row.input_hash = wanted[row.pk]
                    taken.add(key)
                    changed.append(row)
            model.objects.bulk_update(changed, ["input_hash"])
            last = rows[-1].pk


def forwards(apps, schema_editor):
    _rehash(apps, _new)


def backwards(apps, schema_editor):
    _rehash(apps, _old)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0003_compact_sub_scores_and_flags")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
