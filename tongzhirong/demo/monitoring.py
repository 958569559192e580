"""Collateral monitoring in the demo world: the pledges' baselines, what the registry reported since on a few
pledged patents, and the monitor's first daily run on the world's day. Called from ``tongzhirong.demo.seed.build``
after the subsidies (and before the timestamps are moved onto the world's timeline)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Prefetch

from tongzhirong.assets.models import CoOwner
from tongzhirong.financing.models import OPEN_LOAN_STATUSES, ApplicationAsset
from tongzhirong.monitoring.models import CollateralFlag, PledgeBaseline
from tongzhirong.monitoring.services import co_owner_snapshot, collateral_monitor_run

from .world import DemoWorld


def seed_monitoring(world: DemoWorld) -> int:
    """The first daily run on the world's day. The demo's co-owners were recorded before their pledges on the
    world's timeline (only the clock of this machine says otherwise), so they are the pledges' baselines."""
    pledged = (
        ApplicationAsset.objects.filter(application__loan__status__in=OPEN_LOAN_STATUSES)
        .select_related("application__loan", "asset")
        .prefetch_related(Prefetch("asset__co_owners", CoOwner.objects.order_by("name")))
        .order_by("pk")
    )
    PledgeBaseline.objects.bulk_create(
        PledgeBaseline(
            loan=link.application.loan,
            asset=link.asset,
            co_owners=co_owner_snapshot(link.asset.co_owners.all()),
            taken_at=world.at(world.as_of),
        )
        for link in pledged
    )
    _registry_news(world, [link.asset for link in pledged if link.asset.is_patent])
    collateral_monitor_run(as_of=world.as_of)
    return CollateralFlag.objects.count()


def _registry_news(world: DemoWorld, patents: list) -> None:
    """What the registry reported since the pledges, on the first few pledged patents: a fee falling due, a
    fee left unpaid, an invalidation request, a co-owner the pledge did not know."""
    if len(patents) < 4:
        return
    due, unpaid, contested, shared = patents[:4]
    type(due).objects.filter(pk=due.pk).update(annual_fee_paid_through=world.as_of + timedelta(days=45))
    type(unpaid).objects.filter(pk=unpaid.pk).update(annual_fee_paid_through=world.as_of - timedelta(days=20))
    type(contested).objects.filter(pk=contested.pk).update(invalidation_pending=True)
    CoOwner.objects.create(asset=shared, name="南通大学技术转移中心", share_percent=Decimal("20.00"))
