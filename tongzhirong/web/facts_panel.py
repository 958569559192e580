"""What the sources say about an applicant, as the bank reads it beside the application: each fact with its
source, reference and day, the value the firm declared when it differs, and the firm's disputes."""

from __future__ import annotations

from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.selectors import dispute_list, facts_of, shown


def facts_panel(*, user, enterprise: Enterprise) -> dict:
    facts = [c for c in facts_of(enterprise) if c.verified is not None or c.declared is not None]
    disputes = [
        {"dispute": d, "shown": shown(d.fact.name, d.fact.value)}
        for d in dispute_list(user=user).filter(enterprise=enterprise).order_by("-created_at", "-pk")
    ]
    return {"facts": facts, "disputes": disputes}
