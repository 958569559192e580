"""The demo world's sources, served by the register simulator and fetched over HTTP like any provider's: once
the firms and their rights exist, the seed publishes what the registers say about them to the simulator
``make run`` started and refreshes every firm's facts through the HTTP provider, so the facts show the
registers as their source and the source feed as who fetched them, and the scores taken at submission rest
on them.

One pledged patent of the demo SME tells item 5's story: its annual fee was falling due (the monitor's
"annual fee due" flag), the firm paid, and the register's next answer — the feed, while the patent is pledged
— moves "paid through" a year on; the monitor clears its own flag, quoting the register's fact.

Skipped, with a line on the console, when no source is asked over HTTP (the test settings) or the simulator
does not answer (the world is then built on the facts recorded by ``.facts``)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from tongzhirong.assets.models import IPAsset
from tongzhirong.facts.sources.refresh import facts_refresh
from tongzhirong.financing.models import OPEN_LOAN_STATUSES, ApplicationAsset
from tongzhirong.monitoring.models import CollateralFlag, FlagStatus
from tongzhirong.monitoring.services import collateral_monitor_run

from .world import DemoWorld

logger = logging.getLogger(__name__)

PUBLISH_PATH = "/_simulator/records"


def seed_register(world: DemoWorld) -> bool:
    """Publish the world's register records to the simulator and fetch every firm's facts from it over HTTP,
    before anyone applies: the scores taken at submission then rest on them. False when skipped."""
    if "http" not in settings.FACT_SOURCES.values() or not _simulator_up():
        logger.warning("Register simulator not reachable at %s: facts not fetched over HTTP", settings.FACTS_HTTP_URL)
        return False
    _publish(register_records(world), replace=True)
    facts_refresh(enterprise_ids=[e.pk for e in world.enterprises])
    return True


def seed_fee_paid(world: DemoWorld, *, published: bool) -> IPAsset | None:
    """Item 5's story, once the loans run: a patent the demo SME pledged has its fee falling due (the monitor
    flags it), the firm pays, the register says so, the feed updates the pledged patent and the monitor clears
    its own flag quoting the register's fact. Returns the patent (None when skipped)."""
    if not published:
        return None
    paid = _fee_falling_due(world)
    # What the registry reported on the pledged patents since (``.monitoring``) reaches the platform the same
    # way: every right's record is published as it now stands, the paid patent's a year on.
    _publish(_asset_records(world, paid=paid, later=True))
    facts_refresh(enterprise_ids=[e.pk for e in world.enterprises], sources=["ip_register"])
    collateral_monitor_run(as_of=world.as_of)
    return paid


def _publish(records: list[dict], *, replace: bool = False) -> None:
    headers = {"Authorization": f"Bearer {settings.FACTS_HTTP_TOKEN}"} if settings.FACTS_HTTP_TOKEN else {}
    response = httpx.put(
        settings.FACTS_HTTP_URL.rstrip("/") + PUBLISH_PATH,
        json={"records": records, "replace": replace},
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()


def _seen(world: DemoWorld, *, later: bool = False) -> str:
    """When the registers' answers were observed: the evening before the world's day, or (``later``) a few
    minutes before now, for what they reported since. Never in the future, whatever the hour."""
    first = world.at(world.as_of - timedelta(days=1), minutes=18 * 60)
    return max(first, timezone.now() - timedelta(minutes=5)).isoformat() if later else first.isoformat()


def _simulator_up(wait: float = 15.0) -> bool:
    """``make run`` starts the simulator alongside the seed: give it a few seconds to listen."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return httpx.get(settings.FACTS_HTTP_URL.rstrip("/") + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.25)


def _fee_falling_due(world: DemoWorld) -> IPAsset | None:
    """A patent the demo SME has pledged to a running loan, with no flag of its own: its fee falls due in 30
    days as the registers last said, and the monitor flags that on the world's day."""
    demo = world.enterprises[0]
    flagged = set(CollateralFlag.objects.filter(status=FlagStatus.OPEN).values_list("asset_id", flat=True))
    links = (
        ApplicationAsset.objects.filter(application__enterprise=demo, application__loan__status__in=OPEN_LOAN_STATUSES)
        .select_related("asset")
        .order_by("pk")
    )
    asset = next((link.asset for link in links if link.asset.is_patent and link.asset.pk not in flagged), None)
    if asset is None:
        return None
    IPAsset.objects.filter(pk=asset.pk).update(annual_fee_paid_through=world.as_of + timedelta(days=30))
    collateral_monitor_run(as_of=world.as_of)
    asset.refresh_from_db()
    return asset


def register_records(world: DemoWorld) -> list[dict]:
    """What each source says of the world's firms and rights, in the simulator's record shape."""
    as_of = world.as_of
    seen = _seen(world)
    records = []
    for i, firm in enumerate(world.enterprises):

        def fact(name, value, reference):
            return {"name": name, "value": value, "reference": reference, "observed_at": seen}

        register = f"GSXT-API-{as_of:%Y%m%d}-{firm.uscc}"
        records.append(
            {
                "source": "enterprise_register",
                "uscc": firm.uscc,
                "facts": [
                    fact("legal_name", firm.legal_name, register),
                    fact("founded_on", firm.founded_on.isoformat(), register),
                    fact("registered_capital", str(firm.registered_capital), register),
                    fact("business_status", "存续（在营、开业、在册）", register),
                    fact("abnormal_operation_listed", False, register),
                    fact("serious_dishonesty_listed", False, register),
                ],
            }
        )
        court = f"ZXGK-API-{as_of:%Y%m%d}-{i:03d}"
        records.append(
            {
                "source": "court_enforcement",
                "uscc": firm.uscc,
                "facts": [
                    fact("has_court_enforcement", firm.has_court_enforcement, court),
                    fact("dishonest_debtor", False, court),
                ],
            }
        )
        if firm.tax_credit_grade:
            records.append(
                {
                    "source": "tax_credit",
                    "uscc": firm.uscc,
                    "facts": [fact("tax_credit_grade", firm.tax_credit_grade, f"NSXY-API-{as_of.year - 1}-{i:03d}")],
                }
            )
    return records + _asset_records(world)


def _asset_records(world: DemoWorld, *, paid: IPAsset | None = None, later: bool = False) -> list[dict]:
    assets = IPAsset.objects.filter(owner__in=world.enterprises, archived_at__isnull=True).select_related("owner")
    seen = _seen(world, later=later)
    return [
        _asset_record(asset, seen=seen, paid=paid, as_of=world.as_of)
        for asset in assets.prefetch_related("co_owners").order_by("pk")
    ]


def _asset_record(asset: IPAsset, *, seen: str, paid: IPAsset | None, as_of) -> dict:
    reference = f"CNIPA-{as_of:%Y%m%d}-{asset.identifier}"
    facts = [
        ("legal_status", asset.legal_status),
        ("invalidation_pending", asset.invalidation_pending),
        ("co_owners", [_co_owner(c) for c in asset.co_owners.all()]),
    ]
    fee = asset.annual_fee_paid_through
    if paid is not None and asset.pk == paid.pk:
        fee = as_of + timedelta(days=395)  # the firm paid the next year's fee; the register has it
    if fee is not None:
        facts.append(("annual_fee_paid_through", fee.isoformat()))
    if asset.expiry_date is not None:
        facts.append(("expiry_date", asset.expiry_date.isoformat()))
    return {
        "source": "ip_register",
        "uscc": asset.owner.uscc,
        "ip_type": asset.ip_type,
        "identifier": asset.identifier,
        "facts": [{"name": n, "value": v, "reference": reference, "observed_at": seen} for n, v in facts],
    }


def _co_owner(co) -> dict:
    share = None if co.share_percent is None else str(co.share_percent)
    return {"name": co.name, "uscc": co.uscc, "share_percent": share}
