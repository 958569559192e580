from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "tongzhirong.web"
    label = "web"
    verbose_name = _("Web pages 网页")

    def ready(self):
        from tongzhirong.notifications.mail import notice_words_use

        from .templatetags.words import notice_words

        # The e-mail copy of a notice says what the notification page says (the notifications sit below the words).
        notice_words_use(notice_words)
