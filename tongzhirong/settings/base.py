"""Settings driven by environment variables.

Every default is safe for a newcomer's laptop: SQLite, Celery eager, debug on. Set ``DATABASE_URL``
and ``CELERY_BROKER_URL`` to run on PostgreSQL and Redis with real workers. ``.env.example`` lists
every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from .databases import REPLICA, databases

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

ENVIRONMENT = env.str("DJANGO_ENVIRONMENT", default="local")
# Public, for a laptop only: the production settings refuse it (and any short or known key).
LOCAL_SECRET_KEY = "insecure-local-only-key-change-me-in-production-0123456789"  # noqa: S105 - public on purpose
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=LOCAL_SECRET_KEY)
# Off unless a developer asks: `make run` shows the site's own error pages, as people will see them.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "pgtrigger",
    "tongzhirong.core",
    "tongzhirong.accounts",
    "tongzhirong.evidence",
    "tongzhirong.enterprises",
    "tongzhirong.assets",
    "tongzhirong.facts",
    "tongzhirong.products",
    "tongzhirong.financing",
    "tongzhirong.notifications",
    "tongzhirong.idempotency",
    "tongzhirong.outbox",
    "tongzhirong.risksharing",
    "tongzhirong.subsidies",
    "tongzhirong.monitoring",
    "tongzhirong.reporting",
    "tongzhirong.lending",
    "tongzhirong.web",
    "scoring",
    "api",
    "tongzhirong.demo",  # seed_demo and generate_load; nothing imports it
]

MIDDLEWARE = [
    # First, so that it sees every response: any error under /api/ leaves as problem+json (api/middleware.py).
    "api.middleware.ProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends a browser session after SESSION_IDLE_TIMEOUT without requests or SESSION_ABSOLUTE_LIFETIME after sign-in.
    "tongzhirong.accounts.sessions.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out admin sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tongzhirong.urls"
WSGI_APPLICATION = "tongzhirong.wsgi.application"
ASGI_APPLICATION = "tongzhirong.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tongzhirong" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",  # LANGUAGE_CODE: templates pick zh or en text
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The primary; DATABASE_REPLICA_URL adds a replica the city's figures are read from (README "Scale");
# DATABASE_POOL_MAX_SIZE > 0 pools connections per process on PostgreSQL (psycopg_pool).
DATABASES = databases(
    env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    env.str("DATABASE_REPLICA_URL", default=""),
    conn_max_age=env.int("DATABASE_CONN_MAX_AGE", default=0),
    pool_max_size=env.int("DATABASE_POOL_MAX_SIZE", default=0),
    pool_min_size=env.int("DATABASE_POOL_MIN_SIZE", default=1),
    pool_timeout=env.float("DATABASE_POOL_TIMEOUT", default=10.0),
)
DATABASE_ROUTERS = ["tongzhirong.core.db_routing.ReportingReplicaRouter"]
REPORTING_DATABASE = REPLICA if REPLICA in DATABASES else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# API throttle counters live in this cache (login lockouts live in the database, django-axes). The local-memory
# default is per process: with several workers set CACHE_URL to Redis (redis://redis:6379/1) so limits hold.
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    # Where the throttles count while the default cache is unreachable (tongzhirong.core.throttling).
    "throttle-fallback": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-fallback"},
}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that stops answering must not hold every request: give up after half a second (then fail over).
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 0.5, "socket_timeout": 0.5})

# Proxies (load balancer, nginx) between the clients and the application, each appending to X-Forwarded-For.
# 0, the default, ignores the header: a client connecting directly could write anything into it. Throttles and
# sign-in lockouts count by the address the outermost trusted proxy saw (tongzhirong.core.throttling.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Simplified Chinese first, English second.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# One date format on every page (2026-12-07, 2026-12-07 14:30) in both languages.
FORMAT_MODULE_PATH = ["tongzhirong.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve app static files (admin, Swagger UI from drf-spectacular-sidecar) without collectstatic locally.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Largest application document (PDF or image) accepted, in bytes.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- Celery -------------------------------------------------------------------------------------
# No broker configured means "run tasks inline": a newcomer needs neither Redis nor a worker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
# A message is acknowledged when its task has finished, not when a worker took it; a pool process killed under a
# task puts the message back at once. A worker killed outright leaves its message unacknowledged in Redis, which
# hands it out again after the visibility timeout: longer than any task may run (the time limit) plus the longest
# retry wait, so a slow task is never handed to a second worker while the first still runs it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
    "socket_connect_timeout": 3,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks still running when the worker loses the broker are stopped: their messages come back and run again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = TIME_ZONE
# The retry policy of every task (tongzhirong.outbox.retry): on a database or broker error, up to this many
# retries, waiting 1, 2, 4 … seconds, at most this long between two.
TASK_MAX_RETRIES = env.int("TASK_MAX_RETRIES", default=10)
TASK_RETRY_BACKOFF_MAX = env.int("TASK_RETRY_BACKOFF_MAX", default=60)
# The transactional outbox (tongzhirong.outbox): a message no worker has finished this many seconds after it was
# published is published again (the same task id; tasks are idempotent), by a sweep every OUTBOX_SWEEP_SECONDS.
OUTBOX_REDELIVER_AFTER = env.int("OUTBOX_REDELIVER_AFTER", default=900)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=60)

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.tokens.JWTSignInAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only (multipart on the upload endpoints alone) and JSON answers only: one shape per operation.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.DefaultPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # DRF's own, counting by tongzhirong.core.throttling.client_ip and in local memory while the cache is down.
    # ScopedRateThrottle applies only to views that set ``throttle_scope`` (sign-in uses "auth").
    "DEFAULT_THROTTLE_CLASSES": [
        "tongzhirong.core.throttling.AnonRateThrottle",
        "tongzhirong.core.throttling.UserRateThrottle",
        "tongzhirong.core.throttling.ScopedRateThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_RATE_ANON", default="60/min"),
        "user": env.str("THROTTLE_RATE_USER", default="600/min"),
        "auth": env.str("THROTTLE_RATE_AUTH", default="10/min"),
    },
}

# Content-Security-Policy (django-csp): scripts and styles from our own static files, or inline only with the
# request's nonce ({{ request.csp_nonce }}); no style attributes, no eval, no other origin. The pages, the admin,
# Swagger UI and ReDoc keep to it (tests/browser fail on any violation). data: images are the icons inside Pico's,
# Swagger UI's and ReDoc's CSS; ReDoc's search runs in a worker it starts from a blob.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# JWT for API clients; refresh tokens rotate and the replaced one is blacklisted. A password, role, organisation
# or active-flag change revokes every token of that person (api/auth/tokens.py), and no rotation carries a sign-in
# past JWT_REFRESH_ABSOLUTE_LIFETIME.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "TOKEN_OBTAIN_SERIALIZER": "api.auth.tokens.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "api.auth.tokens.TokenRefreshSerializer",
}
JWT_REFRESH_ABSOLUTE_LIFETIME = timedelta(days=env.int("JWT_REFRESH_ABSOLUTE_DAYS", default=7))

# Browser sessions (pages, admin): signed out after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS
# after signing in, whatever the activity (tongzhirong/accounts/sessions.py); the cookie lasts no longer either.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())

# Login lockout (django-axes) for the admin and the JWT endpoint: a username is locked from one address after
# AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_MINUTES. The API answers 429 locked_out with Retry-After.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# The pair, never the username alone: failures from one address lock that username out for that address only, so
# nobody can lock another person out from elsewhere. The address is the real client's (TRUSTED_PROXY_COUNT).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "tongzhirong.core.throttling.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "api.auth.lockout.lockout_response"

SPECTACULAR_SETTINGS = {
    # ASCII and English: a generated client takes its package name from the title; api.schema builds the
    # document in English whatever the caller's language, and api.schema.postprocess adds the contract's rules.
    "TITLE": "Tongzhirong API",
    "DESCRIPTION": "通知融 Tongzhirong: IP pledge financing marketplace and risk scoring for Nantong.",
    "DEFAULT_GENERATOR_CLASS": "api.schema.EnglishSchemaGenerator",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.postprocess"],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RejectReasonEnum": "tongzhirong.financing.models.RejectReason",
        "ApplicationStatusEnum": "tongzhirong.financing.models.ApplicationStatus",
        "DocumentKindEnum": "tongzhirong.financing.models.DocumentKind",
        "RepaymentMethodEnum": "tongzhirong.core.reference.RepaymentMethod",
        "DistrictEnum": "tongzhirong.core.reference.District",
        "ClusterEnum": "tongzhirong.core.reference.Cluster",
        # Named for what they are, not for the serializer field that happened to carry them first.
        "TechMarkerEnum": "tongzhirong.core.reference.TechMarker",
        "OrganisationKindEnum": "tongzhirong.accounts.models.OrganisationKind",
        "LoanStatusEnum": "tongzhirong.financing.models.LoanStatus",
        "SigningPartyEnum": "tongzhirong.financing.models.SigningParty",
        "RegistryEnum": "tongzhirong.financing.models.Registry",
        "CoverKindEnum": "tongzhirong.risksharing.models.CoverKind",
        "RiskClaimKindEnum": "tongzhirong.risksharing.models.ClaimKind",
        "RiskClaimStatusEnum": "tongzhirong.risksharing.models.ClaimStatus",
        "PoolFilingStatusEnum": "tongzhirong.risksharing.models.FilingStatus",
        "DisposalRouteEnum": "tongzhirong.risksharing.models.DisposalRoute",
        "DisposalStatusEnum": "tongzhirong.risksharing.models.DisposalStatus",
        "RecoverySourceEnum": "tongzhirong.risksharing.models.RecoverySource",
        "WaterfallStepEnum": "tongzhirong.risksharing.waterfall.STEPS",
        "LossPartyEnum": "tongzhirong.risksharing.waterfall.PARTIES",
        "SubsidyClaimStatusEnum": "tongzhirong.subsidies.models.ClaimStatus",
        "CollateralFlagStatusEnum": "tongzhirong.monitoring.models.FlagStatus",
        "FlagSeverityEnum": "tongzhirong.monitoring.models.Severity",
        "TargetReadingEnum": "tongzhirong.reporting.models.TargetReading",
        "TargetMeasureEnum": "tongzhirong.reporting.models.TargetMeasure",
        "MatchReasonCodeEnum": "api.catalogue.serializers.MATCH_REASON_CODES",
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="通知融 <noreply@tongzhirong.local>")

# Demo accounts share one password, taken from the environment.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="tongzhirong-demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO: the fact sources' batches would drown the log.
    # fontTools logs each step of subsetting the filing package's PDF font at INFO.
    "loggers": {"httpx": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Versioned model artefacts (skops), see scoring/registry.py.
ML_MODELS_DIR = env.path("ML_MODELS_DIR", default=BASE_DIR / "ml_models")
# PSI at or above which the nightly drift task raises an alarm (0.10 watch, 0.25 act).
SCORING_PSI_ALARM = env.float("SCORING_PSI_ALARM", default=0.25)

# The Ed25519 key that signs the evidence chain's checkpoints (tongzhirong/evidence/keys.py): a PEM file outside
# the database, never in the repository. The default sits in the git-ignored .keys/ for local use; create it
# with `manage.py evidence_keygen`. In production, mount it read-only from a secret store.
EVIDENCE_SIGNING_KEY = env.path("EVIDENCE_SIGNING_KEY", default=BASE_DIR / ".keys" / "evidence-ed25519.pem")

# The font the filing package's PDF is set in (tongzhirong/financing/package_pdf.py): Noto Sans CJK, its
# simplified-Chinese face when the file is a collection. Debian's fonts-noto-cjk puts it here (make setup and the
# Dockerfile install it); any Noto Sans CJK / Source Han Sans OTF or TTC will do.
FILING_PDF_FONT = env.path("FILING_PDF_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# Where facts come from (tongzhirong/facts/sources, docs/fact-sources.md). Each source is read through one
# backend: "http" (the provider at FACTS_HTTP_URL, JSON contract in docs/fact-sources.md), "file" (only the
# extracts the city receives through 知慧通, imported with `manage.py import_fact_feed`) or "none". The default
# URL is the register simulator `make run` starts; credentials come from the environment only.
FACT_SOURCES = env.dict(
    "FACT_SOURCES",
    default={
        "enterprise_register": "http",
        "court_enforcement": "http",
        "tax_credit": "http",
        "certification": "http",
        "ip_register": "http",
    },
)
FACTS_HTTP_URL = env.str("FACTS_HTTP_URL", default="http://127.0.0.1:8001")
FACTS_HTTP_TOKEN = env.str("FACTS_HTTP_TOKEN", default="")
# Seconds to connect and to read one answer; attempts per request (waits 0.2, 0.4 … s, jittered, at most 2 s).
FACTS_HTTP_TIMEOUT = env.float("FACTS_HTTP_TIMEOUT", default=5.0)
FACTS_HTTP_ATTEMPTS = env.int("FACTS_HTTP_ATTEMPTS", default=3)
# Subjects per request: the provider answers a batch in one round trip.
FACTS_HTTP_BATCH = env.int("FACTS_HTTP_BATCH", default=100)
# After this many failed requests in a row the provider is not called for FACTS_HTTP_BREAKER_RESET seconds.
FACTS_HTTP_BREAKER_FAILURES = env.int("FACTS_HTTP_BREAKER_FAILURES", default=5)
FACTS_HTTP_BREAKER_RESET = env.int("FACTS_HTTP_BREAKER_RESET", default=60)
# Where the circuits keep their state. On Redis every worker sees a circuit another worker opened, so a provider
# that is down costs the whole deployment FACTS_HTTP_BREAKER_FAILURES requests, not that many per process. The
# default is the cache's Redis, else the broker's; empty (the embedded default, no Redis) keeps it per process.
FACTS_HTTP_BREAKER_REDIS_URL = env.str(
    "FACTS_HTTP_BREAKER_REDIS_URL",
    default=next(
        (url for url in (env.str("CACHE_URL", default=""), CELERY_BROKER_URL) if url.startswith(("redis:", "rediss:"))),
        "",
    ),
)
# How long what a source said counts as current, in days, per source; a decision refetches what is older.
FACT_FRESHNESS_DAYS = {
    "enterprise_register": env.int("FACT_FRESHNESS_ENTERPRISE_REGISTER_DAYS", default=30),
    "credit_report": env.int("FACT_FRESHNESS_CREDIT_REPORT_DAYS", default=30),
    "court_enforcement": env.int("FACT_FRESHNESS_COURT_DAYS", default=7),
    "tax_credit": env.int("FACT_FRESHNESS_TAX_DAYS", default=365),
    "certification": env.int("FACT_FRESHNESS_CERTIFICATION_DAYS", default=180),
    # Pledged collateral is watched daily: the register is asked every night, before the collateral monitor.
    "ip_register": env.int("FACT_FRESHNESS_IP_REGISTER_DAYS", default=1),
}

# Days an application may wait on the firm (a request for information, an offer) before it expires.
APPLICATION_EXPIRY_DAYS = env.int("APPLICATION_EXPIRY_DAYS", default=30)

CELERY_BEAT_SCHEDULE = {
    # Nightly in Asia/Shanghai (CELERY_TIMEZONE), after the day's applications are in.
    "scoring-drift-nightly": {"task": "scoring.tasks.compute_drift", "schedule": crontab(hour=2, minute=30)},
    # Valuations move with the date (age, remaining term): the pages read one at most a day old.
    "scoring-value-assets-nightly": {"task": "scoring.tasks.value_live_assets", "schedule": crontab(hour=3, minute=0)},
    # Abnormal-filing and bad-faith-trademark flags move with the date too (a transfer ages out of its window, a
    # year's filing volume rolls); changes to an asset refresh its owner's at once (tongzhirong.lending.assets).
    "facts-filing-flags-nightly": {
        "task": "tongzhirong.facts.tasks.refresh_all_filing_flags",
        "schedule": crontab(hour=3, minute=20),
    },
    # Open applications rescored on the night's valuations, fanned out as chunks over every worker
    # (scoring.batches); an application whose inputs did not change keeps its score.
    "scoring-rescore-nightly": {
        "task": "scoring.tasks.rescore_open_applications",
        "schedule": crontab(hour=3, minute=30),
    },
    "loans-due-reminders-daily": {
        "task": "tongzhirong.financing.tasks.send_due_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    "loans-delinquency-daily": {
        "task": "tongzhirong.lending.tasks.refresh_delinquency",
        "schedule": crontab(hour=0, minute=15),
    },
    # After the delinquency refresh, before office hours: the day's flags reach the parties in the morning.
    "collateral-monitor-daily": {
        "task": "tongzhirong.monitoring.tasks.monitor_collateral",
        "schedule": crontab(hour=1, minute=0),
    },
    # What the sources say, asked again where older than its freshness window (tongzhirong.facts.sources), before
    # the collateral monitor reads the register's facts at 01:00 and the nightly rescore.
    "facts-refresh-nightly": {
        "task": "tongzhirong.facts.tasks.refresh_stale_facts",
        "schedule": crontab(hour=0, minute=40),
    },
    # A repaid loan stops counting against its pool's capacity.
    "risksharing-release-repaid-daily": {
        "task": "tongzhirong.risksharing.tasks.release_repaid_filings",
        "schedule": crontab(hour=0, minute=30),
    },
    # Cover asked for applications that ended around the lending workflow (which closes it at once) lapses.
    # Applications left waiting on the firm (information asked for, an offer) for APPLICATION_EXPIRY_DAYS expire.
    "lending-expire-stale-applications-daily": {
        "task": "tongzhirong.lending.tasks.expire_stale_applications",
        "schedule": crontab(hour=0, minute=30),
    },
    "risksharing-lapse-ended-cover-daily": {
        "task": "tongzhirong.risksharing.tasks.lapse_ended_cover_requests",
        "schedule": crontab(hour=0, minute=35),
    },
    # The evidence chain's head, signed with the key outside the database (tongzhirong.evidence.checkpoints).
    "evidence-checkpoint-hourly": {
        "task": "tongzhirong.evidence.tasks.make_checkpoint",
        "schedule": crontab(minute=41),
    },
    # What a commit called for and no worker has finished: published again (tongzhirong.outbox).
    "outbox-sweep": {"task": "tongzhirong.outbox.tasks.sweep_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    # Idempotency keys answer for 24 hours; older records only take space.
    "idempotency-purge-hourly": {
        "task": "tongzhirong.idempotency.tasks.purge_idempotency_records",
        "schedule": crontab(minute=17),
    },
}
