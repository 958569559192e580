"""The abnormal-filing and bad-faith-trademark flags as a page shows them: what was flagged, about which right
(or the firm's filing as a whole), the evidence in the reader's language, and since when."""

from __future__ import annotations

from collections.abc import Iterable

from tongzhirong.assets.selectors import live_filing_flags
from tongzhirong.facts.filing import MARK_TYPES, PATENT_SIGNALS, PATENT_TYPES
from tongzhirong.facts.flagging import evidence_text


def filing_flag_items(*, enterprise_id: int, asset_ids: Iterable[int], ip_types: Iterable[str] = ()) -> list[dict]:
    """The live flags on these rights, and those about the firm's filing of the rights' kinds (patent signals
    beside a patent, trademark signals beside a mark; both when ``ip_types`` is empty)."""
    kinds = set(ip_types)
    items = []
    for flag in live_filing_flags(enterprise_ids=[enterprise_id], asset_ids=list(asset_ids)):
        if flag.asset_id is None and kinds:
            family = PATENT_TYPES if flag.code in PATENT_SIGNALS else MARK_TYPES
            if not kinds & family:
                continue
        items.append(
            {
                "code": flag.code,
                "label": flag.get_code_display(),
                "about": flag.asset.identifier if flag.asset_id else None,
                "evidence": evidence_text(flag.code, flag.evidence),
                "detected_at": flag.detected_at,
            }
        )
    return items
