from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "tongzhirong.outbox"
    label = "outbox"
    verbose_name = _("Task outbox")

    def ready(self) -> None:
        # Celery's signals tell the outbox which of its tasks finished or failed for good, in the worker
        # and inline (eager) alike; the readiness probe reports the backlog.
        from tongzhirong.core import health

        from . import receivers, selectors

        receivers.connect()
        health.register("outbox", selectors.outbox_health)
