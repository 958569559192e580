from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from .models import DeadLetter, OutboxMessage


def outbox_health() -> dict:
    """The backlog a readiness probe reports: messages not yet finished, how long the oldest has waited, and dead
    letters not yet sent again. Degraded once the oldest has waited past the sweeper's deadline."""
    pending = OutboxMessage.objects.filter(done_at__isnull=True).aggregate(
        backlog=Count("id"), oldest=Min("created_at")
    )
    oldest = pending["oldest"]
    age = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return {
        "status": "degraded" if age > settings.OUTBOX_REDELIVER_AFTER else "ok",
        "backlog": pending["backlog"],
        "oldest_undelivered_seconds": age,
        "dead_letters": DeadLetter.objects.filter(resent_at__isnull=True).count(),
    }
