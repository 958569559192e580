import statistics

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class _SQLiteMedian:
    """SQLite has no median; ``selectors.performance.Median`` calls this aggregate there (PostgreSQL:
    percentile_cont)."""

    def __init__(self) -> None:
        self.values: list = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def _register_median(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _SQLiteMedian)


class ReportingConfig(AppConfig):
    name = "tongzhirong.reporting"
    label = "reporting"
    verbose_name = _("Reporting 统计监测")

    def ready(self) -> None:
        connection_created.connect(_register_median, dispatch_uid="reporting_sqlite_median")
