"""An IP asset's record and its valuation: the asset services write the record, and the value model (scoring,
a layer above them) values it in a task queued in the same transaction, so reading a valuation — the asset's
page, ``GET /ip-assets/{id}/valuation/`` — never computes one. Under Celery eager the task runs right after the
commit, so an SME registering a patent sees its value range on the next page. The owner's abnormal-filing and
bad-faith-trademark flags are refreshed the same way (a new right may be a near-duplicate of an old one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from scoring.tasks import value_assets
from tongzhirong.assets import services
from tongzhirong.assets.importing import ImportResult
from tongzhirong.assets.importing import ip_assets_import as _ip_assets_import
from tongzhirong.assets.models import CoOwner, IPAsset
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.tasks import refresh_facts, refresh_filing_flags
from tongzhirong.outbox.services import task_enqueue


def ip_asset_register(*, actor, owner: Enterprise, co_owners: list[dict] | None = None, **fields) -> IPAsset:
    with transaction.atomic():
        asset = services.ip_asset_register(actor=actor, owner=owner, co_owners=co_owners, **fields)
        task_enqueue(value_assets, [asset.pk])
        task_enqueue(refresh_filing_flags, [owner.pk])
        # What the register says of the new right, asked after commit through the outbox.
        task_enqueue(refresh_facts, [owner.pk], ["ip_register"])
    return asset


def ip_asset_update(*, actor, asset: IPAsset, **fields) -> IPAsset:
    with transaction.atomic():
        asset = services.ip_asset_update(actor=actor, asset=asset, **fields)
        task_enqueue(value_assets, [asset.pk])
        task_enqueue(refresh_filing_flags, [asset.owner_id])
    return asset


def co_owner_add(*, actor, asset: IPAsset, name: str, consent_given: bool = False, **fields) -> CoOwner:
    """A co-owner changes what the right is worth to a pledgee (the value model reads the co-owners)."""
    with transaction.atomic():
        co_owner = services.co_owner_add(actor=actor, asset=asset, name=name, consent_given=consent_given, **fields)
        task_enqueue(value_assets, [asset.pk])
        task_enqueue(refresh_filing_flags, [asset.owner_id])  # a co-owning firm is a related party
    return co_owner


def co_owner_record_consent(*, actor, co_owner: CoOwner, consent_given: bool) -> CoOwner:
    with transaction.atomic():
        co_owner = services.co_owner_record_consent(actor=actor, co_owner=co_owner, consent_given=consent_given)
        task_enqueue(value_assets, [co_owner.asset_id])
    return co_owner


def ip_assets_import(
    *, actor, owner: Enterprise, rows: Sequence[Mapping[str, Any]], dry_run: bool = False
) -> ImportResult:
    with transaction.atomic():
        result = _ip_assets_import(actor=actor, owner=owner, rows=rows, dry_run=dry_run)
        if result.created:
            task_enqueue(value_assets, result.created)
            task_enqueue(refresh_filing_flags, [owner.pk])
    return result
