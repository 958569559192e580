from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    """No models: the workflows that join financing with scoring and risk sharing, above all three."""

    name = "tongzhirong.lending"
    label = "lending"
    verbose_name = _("Lending workflows 融资流程")
