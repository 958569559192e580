from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "tongzhirong.reporting"
    label = "reporting"
    verbose_name = _("Reporting 统计监测")
