from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksharingConfig(AppConfig):
    name = "tongzhirong.risksharing"
    label = "risksharing"
    verbose_name = _("Risk sharing 风险分担")
