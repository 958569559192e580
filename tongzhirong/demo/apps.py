from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo world (``manage.py seed_demo``) and the benchmarks' load (``manage.py generate_load``). No models."""

    name = "tongzhirong.demo"
    label = "demo"
    verbose_name = _("Demo data 演示数据")
