"""An application's timeline: its status changes and the rescores that moved (or confirmed) the score the bank
reviews, each saying what changed. The score taken at submission is the submission's own entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from scoring.features import APPLICATION_TERMS, DECLARED, VERIFIED
from scoring.ml.schema import INPUT_WORDS
from scoring.models import ScoreChange, ScoreTrigger
from tongzhirong.financing.models import Application
from tongzhirong.financing.selectors import application_timeline as status_timeline
from tongzhirong.financing.selectors import timeline_with_durations

STATUS_CHANGE, RESCORE = "status_change", "rescore"


@dataclass
class RescoreEntry:
    """A rescore on the timeline, shaped as a status change is (no status moved: ``from_status`` and
    ``to_status`` are empty, ``days_in_stage`` None)."""

    created_at: dt.datetime
    actor: Any
    trigger: str
    changes: dict
    reason: str
    kind: str = RESCORE
    from_status: str = ""
    to_status: str = ""
    days_in_stage: float | None = None
    band: str = ""
    extra: dict = field(default_factory=dict)


def application_timeline(*, application: Application) -> list:
    """Status changes (with their days in stage) and rescores, in time order."""
    entries = timeline_with_durations(status_timeline(application=application))
    for entry in entries:
        entry.kind, entry.changes = STATUS_CHANGE, None
    rescores = (
        ScoreChange.objects.filter(application=application)
        .exclude(trigger=ScoreTrigger.SUBMISSION)
        .select_related("actor__organisation", "score")
        .order_by("created_at", "id")
    )
    for change in rescores:
        entries.append(
            RescoreEntry(
                created_at=change.created_at,
                actor=change.actor,
                trigger=change.trigger,
                changes=change.changes,
                reason=describe(change.trigger, change.changes),
                band=change.score.band,
            )
        )
    return sorted(entries, key=lambda e: e.created_at)


def describe(trigger: str, changes: dict) -> str:
    """One sentence of what a rescore changed, in the reader's language."""
    who = ScoreTrigger(trigger).label
    if not changes:
        return _("%(who)s: nothing changed.") % {"who": who}
    parts = []
    if "band" in changes:
        parts.append(_("band %(before)s → %(after)s") % dict(zip(("before", "after"), changes["band"], strict=True)))
    if "pd" in changes:
        before, after = changes["pd"]
        parts.append(_("PD %(before)s → %(after)s") % {"before": _short(before), "after": _short(after)})
    english = (get_language() or "").startswith("en")
    provenance = changes.get("provenance", {})
    for name, (before, after) in changes.get("inputs", {}).items():
        words = INPUT_WORDS.get(name, (name, name))[1 if english else 0]
        status = provenance.get(name, [None, None])[1]
        parts.append(f"{words} {_value(before)} → {_value(after)}{_status(status)}")
    for name, (before, after) in provenance.items():
        if name not in changes.get("inputs", {}):
            words = INPUT_WORDS.get(name, (name, name))[1 if english else 0]
            parts.append(f"{words}: {_status_word(before)} → {_status_word(after)}")
    if "conflicts" in changes:
        parts.append(
            _("declared values disagreeing with their sources: %(count)s") % {"count": len(changes["conflicts"][1])}
        )
    if "model_version" in changes:
        parts.append(_("a new model version"))
    return _("%(who)s: %(what)s.") % {"who": who, "what": "; ".join(parts)}


def _short(pd: str | None) -> str:
    return "—" if pd is None else f"{float(pd):.3f}"


def _value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _status_word(status: str | None) -> str:
    return {VERIFIED: _("verified"), DECLARED: _("declared"), APPLICATION_TERMS: _("application terms")}.get(
        status or "", "—"
    )


def _status(status: str | None) -> str:
    return f" ({_status_word(status)})" if status in (VERIFIED, DECLARED) else ""
