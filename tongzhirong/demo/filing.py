"""Abnormal-filing and bad-faith-trademark flags in the demo world, raised by the real refresh after everyone has
applied (a register's findings arrive while applications are under review): a firm reviewed at the demo bank
whose portfolio holds a trivially varied re-filing, one of its patents named on CNIPA's notified list (imported as
the platform imports it), and a mark of its copying a well-known one. No random draw: the world's others stay as
they were.

Only this firm is refreshed: the generator's titles repeat within many firms' portfolios, which the nightly
refresh would flag as the rules say; the demo shows one firm's case, with its evidence, on its asset pages and on
the demo bank's application page."""

from __future__ import annotations

from tongzhirong.accounts.models import User
from tongzhirong.assets.models import IPAsset
from tongzhirong.core.reference import IPType
from tongzhirong.facts.filing import NEAR_DUPLICATE
from tongzhirong.facts.flagging import filing_flags_refresh, filing_signals, notified_list_import
from tongzhirong.financing.models import ApplicationAsset, ApplicationStatus

from .reference import DEMO_BANK
from .world import DemoWorld

REVIEWED = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
NOTIFIED_BATCH = "国知局非正常专利申请通报（第三批）"
LOOKALIKE = "华为智联"


def seed_filing_flags(world: DemoWorld) -> None:
    firm = flagged_firm(world)
    if firm is None:
        return
    patents = [a for a in world.assets_of[firm.pk] if a.ip_type in (IPType.UTILITY_MODEL, IPType.INVENTION_PATENT)]
    duplicated = {s.asset_id for s in filing_signals(firm, today=world.as_of) if s.code == NEAR_DUPLICATE}
    notified = next((a for a in patents if a.pk not in duplicated), None)
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


def flagged_firm(world: DemoWorld):
    """The first firm (after the demo SME) under review at the demo bank with a near-duplicate among the patents
    it pledged, and a mark; else the first such firm under review anywhere."""
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
        if firm.pk not in pledged or not any(a.ip_type == IPType.TRADEMARK for a in world.assets_of[firm.pk]):
            continue
        signals = filing_signals(firm, today=world.as_of)
        if any(s.code == NEAR_DUPLICATE and s.asset_id in pledged[firm.pk] for s in signals):
            candidates.append(firm)
    return next((f for f in candidates if f.pk in at_bank), candidates[0] if candidates else None)
