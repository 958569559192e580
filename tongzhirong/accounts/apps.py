from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tongzhirong.accounts"
    label = "accounts"
    verbose_name = _("Organisations and people")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .sessions import start_session_clock

        # Django's own update_last_login hangs on the same signal: every sign-in, whichever view makes it.
        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
