"""An application's timeline: its status changes, the rescores that moved (or confirmed) the score the bank
reviews, each saying what changed, and the cover asked of insurers and guarantors with their decisions. The score
taken at submission is the submission's own entry."""

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
from tongzhirong.risksharing.models import CoverKind, CoverRequest, CoverRequestStatus

STATUS_CHANGE, RESCORE, COVER = "status_change", "rescore", "cover"


@dataclass
class RescoreEntry:
    """A rescore (or a cover request's step) on the timeline, shaped as a status change is (no status of the
    application moved: ``from_status`` and ``to_status`` are empty, ``days_in_stage`` None)."""

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
    entries.extend(cover_entries(application=application))
    return sorted(entries, key=lambda e: e.created_at)


def cover_entries(*, application: Application) -> list[RescoreEntry]:
    """Each cover request as asked, and its decision (accepted with conditions, declined with the reason,
    withdrawn by the bank, or lapsed with the application), shaped as the timeline's other entries."""
    entries = []
    for request in CoverRequest.objects.filter(application=application).select_related(
        "provider", "requested_by__organisation", "decided_by__organisation"
    ):
        words = {
            "kind": request.get_kind_display(),
            "provider": request.provider.name,
            "amount": f"{request.amount:,.2f}",
            "months": request.term_months,
        }
        entries.append(
            RescoreEntry(
                created_at=request.created_at,
                actor=request.requested_by,
                trigger="",
                changes=None,
                reason=_("%(kind)s asked of %(provider)s: %(amount)s yuan for %(months)s months") % words,
                kind=COVER,
            )
        )
        guarantee = request.kind == CoverKind.GUARANTEE  # a guarantor guarantees (担保), it does not underwrite
        if request.status == CoverRequestStatus.ACCEPTED:
            said = (
                _("Guarantee accepted by %(provider)s") if guarantee else _("%(kind)s accepted by %(provider)s")
            ) % (words)
            if request.conditions:
                conditions = (
                    _("%(said)s; conditions of the guarantee: %(conditions)s")
                    if guarantee
                    else _("%(said)s; conditions: %(conditions)s")
                )
                said = conditions % {"said": said, "conditions": request.conditions}
        elif request.status == CoverRequestStatus.DECLINED:
            declined = (
                _("Guarantee declined by %(provider)s: %(reason)s")
                if guarantee
                else _("%(kind)s declined by %(provider)s: %(reason)s")
            )
            said = declined % {**words, "reason": request.decline_reason}
        elif request.status == CoverRequestStatus.WITHDRAWN:
            said = _("%(kind)s request to %(provider)s withdrawn by the bank") % words
        elif request.status == CoverRequestStatus.LAPSED:
            said = _("%(kind)s request to %(provider)s lapsed: %(reason)s") % {
                **words,
                "reason": request.get_lapse_reason_display(),
            }
        else:
            continue
        entries.append(
            RescoreEntry(
                created_at=request.decided_at or request.updated_at,
                actor=request.decided_by or request.requested_by,
                trigger="",
                changes=None,
                reason=said,
                kind=COVER,
            )
        )
    return entries


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
