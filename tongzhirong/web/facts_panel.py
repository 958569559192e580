"""What the sources say about an applicant, as the bank reads it beside the application: each fact with its
source, reference and day, the value the firm declared when it differs, the firm's disputes, and how current
each source is (fresh until, stale since, unavailable since: what the bank decides on, never a silent default)."""

from __future__ import annotations

from tongzhirong.enterprises.models import Enterprise
from tongzhirong.facts.freshness import State, source_states
from tongzhirong.facts.selectors import dispute_list, facts_of, shown

# How each source's state reads at a glance.
STATE_BADGES = {
    State.FRESH: "ok",
    State.STALE: "watch",
    State.NEVER: "",
    State.UNAVAILABLE: "fail",
    State.MALFORMED: "fail",
}


def facts_panel(*, user, enterprise: Enterprise) -> dict:
    facts = [c for c in facts_of(enterprise) if c.verified is not None or c.declared is not None]
    disputes = [
        {"dispute": d, "shown": shown(d.fact.name, d.fact.value)}
        for d in dispute_list(user=user).filter(enterprise=enterprise).order_by("-created_at", "-pk")
    ]
    sources = [{"state": state, "badge": STATE_BADGES[state.state]} for state in source_states(enterprise=enterprise)]
    return {"facts": facts, "disputes": disputes, "sources": sources}
