"""The domain's one way to move a status: ``core.state.transition`` (checked, locked, audited) with the audit
row chained as evidence in the same transaction."""

from __future__ import annotations

from django.db import models, transaction

from tongzhirong.core.models import StatusChange
from tongzhirong.core.state import transition as core_transition

from .services import evidence_append

# What a status change proves; its time is the entry's (the demo backdates the row's own created_at).
STATUS_CHANGE_FIELDS = ("content_type", "object_id", "from_status", "to_status", "actor", "reason")


def transition(
    obj: models.Model, *, to: str, actor, reason: str = "", extra_fields: tuple[str, ...] = ()
) -> StatusChange:
    """Move ``obj`` to ``to`` as ``core.state.transition`` does and chain the audit row. The fields saved with
    the move (``extra_fields``: an amount approved, a date paid) are chained too, as they stood at the move."""
    with transaction.atomic():
        change = core_transition(obj, to=to, actor=actor, reason=reason, extra_fields=extra_fields)
        moved = {name: getattr(obj, obj._meta.get_field(name).attname) for name in extra_fields}
        evidence_append(
            actor=actor,
            kind="status_change",
            record=change,
            fields=STATUS_CHANGE_FIELDS,
            subject=obj,
            context={"with": moved} if moved else None,
        )
    return change
