"""Test settings: only what makes the suite fast and deterministic."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inline unless a test explicitly hands them to a real worker (tests/integration).
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_AUTOREFRESH = True
# No source is asked over the network unless a test starts the register simulator (tests/facts/simulator.py):
# a suite that waited on connection refusals from 127.0.0.1:8001 would only be slower, and not deterministic.
FACT_SOURCES = {}
# Circuits stay in each test process's memory even when the environment names a Redis: a circuit a test opened
# must not outlive it. tests/facts/test_breaker_storage.py puts them on Redis explicitly.
FACTS_HTTP_BREAKER_REDIS_URL = ""
# The replica is the primary's test database (Django's test mirror): tests/core/test_replica_routing.py sends
# the reporting reads to it with REPORTING_DATABASE = "replica"; elsewhere the reads stay on "default".
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
