"""Test settings: only what makes the suite fast and deterministic."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inline unless a test explicitly hands them to a real worker (tests/integration).
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_AUTOREFRESH = True
