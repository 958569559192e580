"""State machines as data: a model declares ``TRANSITIONS = {from: {to, ...}}`` and moves only here."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .errors import InvalidTransition
from .models import StatusChange


def allowed_targets(model: type[models.Model], status: str) -> frozenset[str]:
    return frozenset(model.TRANSITIONS.get(status, ()))


def transition(
    obj: models.Model, *, to: str, actor, reason: str = "", extra_fields: tuple[str, ...] = ()
) -> StatusChange:
    """Move ``obj`` to status ``to`` and write the audit row, in one transaction; return that row.

    The row is re-read under ``select_for_update`` so two concurrent moves cannot both pass the check.
    ``extra_fields`` are saved alongside the status (set them on ``obj`` before calling).
    Raises ``InvalidTransition`` and changes nothing when the move is not in ``TRANSITIONS``.
    """
    model = type(obj)
    with transaction.atomic():
        current = model.objects.select_for_update().only("status").get(pk=obj.pk).status
        if to not in allowed_targets(model, current):
            raise InvalidTransition(
                f"{model._meta.model_name} cannot go from {current} to {to}.",
                from_status=current,
                to_status=to,
            )
        obj.status = to
        obj.save(update_fields=["status", *extra_fields, *_auto_now_fields(model)])
        return StatusChange.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            object_id=obj.pk,
            from_status=current,
            to_status=to,
            actor=actor,
            reason=reason,
        )


def history(obj: models.Model):
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).select_related("actor")


def _auto_now_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
