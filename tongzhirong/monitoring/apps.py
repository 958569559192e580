from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "tongzhirong.monitoring"
    label = "monitoring"
    verbose_name = _("Collateral monitoring 质押物监测")
