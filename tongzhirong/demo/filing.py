"""Abnormal-filing and bad-faith-trademark flags in the demo world, raised by the real refresh after everyone has
applied (a register's findings arrive while applications are under review): a firm reviewed at the demo bank
whose portfolio holds a trivially varied re-filing of the patent it pledged, one of its patents named on CNIPA's
notified list (imported as the platform imports it), and a mark of its copying a well-known one. No random draw:
the world's others stay as they were.

The generator gives each firm's patents different subjects (demo.assets), so no other firm reads as a
near-duplicate filer: a refresh on a demo server (a new registration, the nightly run) flags only this case."""

from __future__ import annotations

from tongzhirong.accounts.models import User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.reference import IPType
from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.flagging import filing_flags_refresh, notified_list_import
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus

from .reference import DEMO_BANK
from .world import DemoWorld

REVIEWED = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
NOTIFIED_BATCH = "国知局非正常专利申请通报（第三批）"
LOOKALIKE = "华为智联"
PATENTS = (IPType.UTILITY_MODEL, IPType.INVENTION_PATENT)


def seed_filing_flags(world: DemoWorld) -> None:
    found = flagged_firm(world)
    if found is None:
        return
    firm, pledged, refiled = found
    # The re-filing: another of its patents retitled as a trivial variant of the pledged one (similarity ≈ 0.8).
    refiled.title = f"{pledged.title}（改进型）"
    IPAsset.objects.filter(pk=refiled.pk).update(title=refiled.title)
    patents = [a for a in world.assets_of[firm.pk] if a.ip_type in PATENTS]
    notified = next((a for a in patents if a.pk not in (pledged.pk, refiled.pk)), None)
    marks = [a for a in world.assets_of[firm.pk] if a.ip_type == IPType.TRADEMARK]
    if marks:
        nice = (marks[0].nice_classes or [9])[0]
        IPAsset.objects.filter(pk=marks[0].pk).update(title=f"{LOOKALIKE}（第{nice}类）")
    if notified is not None:
        platform = User.objects.get(username="demo-admin")
        notified_day = world.as_of.replace(day=1).isoformat()
        row = {"application_number": notified.identifier, "batch": NOTIFIED_BATCH, "notified_on": notified_day}
        notified_list_import(actor=platform, rows=[row], now=world.at(world.as_of, minutes=9 * 60))
    filing_flags_refresh(enterprise_id=firm.pk, today=world.as_of)


def flagged_firm(world: DemoWorld) -> tuple[Enterprise, IPAsset, IPAsset] | None:
    """The first firm (after the demo SME) under review at the demo bank — else anywhere — with a mark, a patent
    it pledged and two more patents, one of the pledged one's type: the firm, that pledged patent, the other."""
    bank = world.banks[DEMO_BANK]
    reviewed = ApplicationAsset.objects.filter(application__status__in=REVIEWED).select_related("application__product")
    pledged: dict[int, set[int]] = {}
    at_bank: set[int] = set()
    for link in reviewed:
        pledged.setdefault(link.application.enterprise_id, set()).add(link.asset_id)
        if link.application.product.bank_id == bank.pk:
            at_bank.add(link.application.enterprise_id)
    candidates = []
    for firm in world.enterprises[1:]:
        assets = world.assets_of[firm.pk]
        if firm.pk not in pledged or not any(a.ip_type == IPType.TRADEMARK for a in assets):
            continue
        patents = [a for a in assets if a.ip_type in PATENTS]
        for mine in (a for a in patents if a.pk in pledged[firm.pk]):
            other = next((a for a in patents if a.ip_type == mine.ip_type and a.pk not in pledged[firm.pk]), None)
            if other is not None and len(patents) >= 3:
                candidates.append((firm, mine, other))
                break
    return next((c for c in candidates if c[0].pk in at_bank), candidates[0] if candidates else None)
