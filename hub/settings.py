"""Settings for the safeguarding hub, read from the environment (see README "Configuration").

Development defaults are safe: DEBUG is off unless set, and SECRET_KEY must be given whenever
DEBUG is off. There is no production-only settings module: what runs in tests runs live.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-use-outside-a-laptop")
else:
    SECRET_KEY = env_str("SECRET_KEY", "")  # raises ImproperlyConfigured when unset
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The application connects as a role with no more than it needs (see docs/database-roles.md);
# migrations run with MIGRATION_DATABASE_URL through `make migrate`.
DATABASE_URL = env_url(
    "DATABASE_URL", "postgres://hub_app@127.0.0.1:5432/hub", ("postgres", "postgresql")
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "") or None}

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", ("redis", "rediss"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "guardian",
    "govuk_frontend_django",
    "agencies",
    "audit",
    "concerns",
    "consent",
    "hub",
    "hub.risk",
    "hub.matching",
    "hub.triage",
    "hub.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The GOV.UK Frontend package is installed from the npm registry by `make` (never committed).
STATICFILES_DIRS = [("govuk-frontend", BASE_DIR / "node_modules" / "govuk-frontend")]
# WhiteNoise serves static files from the app server (gunicorn) too; with finders on, no
# collectstatic step is needed for a demo or the tests.
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# Celery: JSON only, time limits, tasks acknowledged after they finish (a killed worker's task
# is redelivered; tasks are idempotent).
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# Logs carry ids and actions, never names, dates of birth or concern text.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}


# --- Matching (docs/matching.md): thresholds are match probabilities, from the environment. ---
def _probability(name: str, default: str) -> float:
    raw = env_str(name, default)
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a probability, not {raw!r}") from exc
    if not 0 < value < 1:
        raise ImproperlyConfigured(f"{name} must be between 0 and 1")
    return value


MATCHING = {
    "AUTO_LINK_PROBABILITY": _probability("MATCHING_AUTO_LINK_PROBABILITY", "0.999"),
    "REVIEW_PROBABILITY": _probability("MATCHING_REVIEW_PROBABILITY", "0.5"),
    "CAUTIOUS_FORENAMES": env_bool("MATCHING_CAUTIOUS_FORENAMES", default=True),
    "NEW_ADULT_DAYS": env_int("MATCHING_NEW_ADULT_DAYS", 30),
}
if MATCHING["REVIEW_PROBABILITY"] >= MATCHING["AUTO_LINK_PROBABILITY"]:
    raise ImproperlyConfigured(
        "MATCHING_REVIEW_PROBABILITY must be below MATCHING_AUTO_LINK_PROBABILITY"
    )

# --- Agency systems API (hub/api, see docs/api.md) ---------------------------------------------
INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
# The default cache stays in-process (Django's default); the "api" cache is shared by every web
# worker so that per-client throttling counts across processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "hub-api",
        "TIMEOUT": 3600,
    },
}
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
# Requests per client (credential, or person for session use) per minute; see hub/api/throttling.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "6000/min")
API_BULK_MAX_ITEMS = env_int("API_BULK_MAX_ITEMS", 1000)
# A credential's last-used time is written at most this often (seconds), not on every request.
API_LAST_USED_RESOLUTION = env_int("API_LAST_USED_RESOLUTION", 60)
# Mounts the benchmark's rule-free baseline endpoint; set only by `manage.py bench_api`.
API_BENCH_BARE = env_bool("API_BENCH_BARE", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Safeguarding hub API",
    "DESCRIPTION": "Agency systems submit concerns and read back what they are entitled to. "
    "Errors are RFC 9457 problem details; see docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["hub.api.schema.only_api_v1"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hub.api.schema.add_problem_responses",
    ],
}
# Concern-file upload page (concerns/upload_views.py). Larger files go through
# `manage.py import_concerns` or the API; a web request should not import for minutes.
IMPORT_UPLOAD_MAX_ROWS = env_int("IMPORT_UPLOAD_MAX_ROWS", 1_000)
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", 2 * 1024 * 1024)

# --- MASH triage (docs/triage.md) -------------------------------------------------------------
# The working-time clock for RAG deadlines and acknowledgements. Bank holidays are data
# (triage.BankHoliday); per-area RAG timescales are data (triage.RagTimescale).
TRIAGE_TIME_ZONE = env_str("TRIAGE_TIME_ZONE", "Europe/London")
TRIAGE_WORKDAY_START = env_str("TRIAGE_WORKDAY_START", "09:00")
TRIAGE_WORKDAY_END = env_str("TRIAGE_WORKDAY_END", "17:00")
CELERY_BEAT_SCHEDULE["triage-acknowledgements"] = {
    "task": "triage.send_acknowledgements",
    "schedule": 600.0,
}

# --- Audit (docs/audit.md) -------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402

# Checkpoints of the audit chain's head go to a table hub_app cannot write and to this
# append-only file, which operations ship off the host. Empty disables the file copy.
AUDIT_CHECKPOINT_FILE = env_str(
    "AUDIT_CHECKPOINT_FILE", str(BASE_DIR / "var" / "audit-checkpoints.jsonl")
)
AUDIT_CHECKPOINT_EVERY = env_int("AUDIT_CHECKPOINT_EVERY", 1000)  # events between checkpoints
AUDIT_CHECKPOINT_INTERVAL_SECONDS = env_int("AUDIT_CHECKPOINT_INTERVAL_SECONDS", 600)
# Access monitoring: working hours (local time, weekdays) and the "many children" threshold.
AUDIT_WORKING_HOURS = (
    env_int("AUDIT_WORKDAY_START_HOUR", 8),
    env_int("AUDIT_WORKDAY_END_HOUR", 18),
)
AUDIT_MANY_CHILDREN_THRESHOLD = env_int("AUDIT_MANY_CHILDREN_THRESHOLD", 30)
# Callables explaining an access by a relationship: each takes the day's accesses
# (audit.explainers.Access) and returns the (actor_id, child_id) pairs it explains.
AUDIT_ACCESS_EXPLAINERS = [
    "audit.explainers.agency_holds_concern",
    "audit.explainers.child_in_area_triage",
]
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "audit.tasks.audit_checkpoint",
    "schedule": float(AUDIT_CHECKPOINT_INTERVAL_SECONDS),
}
CELERY_BEAT_SCHEDULE["audit-access-monitoring"] = {
    "task": "audit.tasks.access_monitoring_daily",
    "schedule": crontab(hour=5, minute=30),
}

# --- Consent (docs/consent.md): how long a MASH manager's break-glass access lasts.
CONSENT_BREAK_GLASS_MINUTES = env_int("CONSENT_BREAK_GLASS_MINUTES", 60)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "safeguarding-hub@localhost")

# --- Combined risk (hub/risk, docs/risk.md): the nightly sweep (decay moves every score) and the
# outbox drain that recomputes people whose after-commit enqueue failed (broker down).

CELERY_BEAT_SCHEDULE["risk-recompute-all-nightly"] = {
    "task": "risk.recompute_all",
    "schedule": crontab(hour=2, minute=15),
}
CELERY_BEAT_SCHEDULE["risk-drain-outbox"] = {"task": "risk.drain_outbox", "schedule": 60.0}
# A publish to a dead broker fails fast (one quick retry, not redis-py's backoff of several
# seconds): a person saving a concern never waits on Redis; the outbox covers the recompute.
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
)
