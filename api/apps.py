from django.apps import AppConfig
from django.core.signals import got_request_exception


class ApiConfig(AppConfig):
    name = "api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        from .middleware import remember_exception

        got_request_exception.connect(remember_exception, dispatch_uid="api.remember_exception")
