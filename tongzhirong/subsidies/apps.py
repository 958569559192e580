from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "tongzhirong.subsidies"
    label = "subsidies"
    verbose_name = _("Subsidies 贴息补贴")
