"""Production settings: only hardens the base settings."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOCAL_SECRET_KEY, env

ENVIRONMENT = "production"
DEBUG = False

# Keys that have been public: the local default, the one docker-compose.yml once shipped, and the usual
# placeholders. Anyone holding the key can sign a session or a token for any user, a superuser included.
KNOWN_SECRET_KEYS = frozenset(
    {
        LOCAL_SECRET_KEY,
        "compose-local-only-secret-key-change-me-0123456789abcdefghij",
        "changeme",
        "change-me",
        "secret",
        "django-insecure",
    }
)
PLACEHOLDER_MARKS = ("change-me", "changeme", "change_me", "django-insecure-", "insecure-local-only")
SECRET_KEY_MIN_LENGTH = 50  # what Django's check --deploy asks for (security.W009)
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def refuse_weak_secret_key(key: str) -> str:
    """The key itself, or ImproperlyConfigured saying what is wrong with it (never the key)."""
    if key in KNOWN_SECRET_KEYS or any(mark in key.lower() for mark in PLACEHOLDER_MARKS):
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is a published placeholder key. Make a new one: {MAKE_A_KEY}")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} random characters (it has {len(key)}). "
            f"Make one: {MAKE_A_KEY}"
        )
    return key


# No default: django-environ raises ImproperlyConfigured naming the variable when it is missing.
SECRET_KEY = refuse_weak_secret_key(env.str("DJANGO_SECRET_KEY"))
# Old keys still accepted for signatures (sessions, password-reset links) while they expire, comma-separated.
SECRET_KEY_FALLBACKS = [refuse_weak_secret_key(key) for key in env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])]
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
WHITENOISE_USE_FINDERS = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# Strict-Transport-Security: browsers that saw it use only HTTPS for the site for that long. One year with
# subdomains and preload is what the browsers' preload list (hstspreload.org) asks before it accepts a domain;
# the header alone puts no domain on the list, submitting it there does. A deployment that must keep a subdomain
# on plain HTTP, or never be preloaded, says so explicitly, and check --deploy takes that as the decision it is.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SILENCED_SYSTEM_CHECKS = [
    *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
    *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
