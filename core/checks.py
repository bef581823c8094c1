"""System checks for what Django's own --deploy checks do not cover. Each has a test that fires it."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
SESSION_MIDDLEWARE = "accounts.middleware.SessionLifetimeMiddleware"
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*")


@register(Tags.security)
def check_content_security_policy(app_configs, **kwargs):
    problems = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(Error("The CSP middleware is not installed.", id="portal.E001"))
    policy = getattr(settings, "SECURE_CSP", None) or {}
    if not policy.get("default-src"):
        problems.append(Error("SECURE_CSP has no default-src.", id="portal.E002"))
    for directive, sources in policy.items():
        unsafe = [source for source in sources if str(source) in UNSAFE_SOURCES]
        if unsafe:
            problems.append(Error(f"SECURE_CSP {directive} allows {', '.join(unsafe)}.", id="portal.E003"))
    return problems


@register(Tags.security)
def check_sessions(app_configs, **kwargs):
    problems = []
    idle = getattr(settings, "SESSION_IDLE_SECONDS", 0)
    if (
        not 0 < idle <= 30 * 60
        or settings.SESSION_COOKIE_AGE > 30 * 60
        or SESSION_MIDDLEWARE not in settings.MIDDLEWARE
    ):
        problems.append(Error("Sessions must expire after at most 30 minutes idle.", id="portal.E010"))
    if getattr(settings, "SESSION_ABSOLUTE_SECONDS", 0) <= 0 or settings.SESSION_ABSOLUTE_SECONDS > 12 * 3600:
        problems.append(Error("Sessions must end after at most 12 hours in all.", id="portal.E011"))
    if settings.SESSION_COOKIE_SECURE and not settings.SESSION_COOKIE_NAME.startswith("__Host-"):
        problems.append(Warning("Secure session cookies should use the __Host- prefix.", id="portal.W012"))
    if settings.CSRF_COOKIE_SECURE and not settings.CSRF_COOKIE_NAME.startswith("__Host-"):
        problems.append(Warning("Secure CSRF cookies should use the __Host- prefix.", id="portal.W013"))
    return problems


MFA_MIDDLEWARE = "accounts.middleware.MFARequiredMiddleware"


@register(Tags.security)
def check_authentication(app_configs, **kwargs):
    """The TOTP step actually enforced (the sign-in delays are checked by accounts.checks)."""
    problems = []
    if MFA_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(Error("The two-step sign-in middleware is not installed.", id="portal.E040"))
    return problems


@register(Tags.security)
def check_upload_limits(app_configs, **kwargs):
    limit = getattr(settings, "UPLOAD_MAX_BYTES", None)
    if not limit or limit > 50 * 1024 * 1024:
        return [Error("UPLOAD_MAX_BYTES must be set and at most 50 MB.", id="portal.E020")]
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None:
        return [Error("DATA_UPLOAD_MAX_MEMORY_SIZE must be set.", id="portal.E021")]
    fields, files = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, settings.DATA_UPLOAD_MAX_NUMBER_FILES
    if (
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE > 2.5 * 1024 * 1024
        or fields is None
        or fields > 1000
        or files is None
        or files > 20
    ):
        return [Error("Request bodies: at most 2.5 MB besides files, 1,000 fields and 20 files.", id="portal.E022")]
    return []


@register()
def check_celery_delivery(app_configs, **kwargs):
    """A report must survive a worker crash: late ack, re-delivery when the child dies, one at a time."""
    problems = []
    if not getattr(settings, "CELERY_TASK_ACKS_LATE", False) or not getattr(
        settings, "CELERY_TASK_REJECT_ON_WORKER_LOST", False
    ):
        problems.append(Error("Celery must ack late and reject on worker loss.", id="portal.E030"))
    if getattr(settings, "CELERY_WORKER_PREFETCH_MULTIPLIER", 4) != 1:
        problems.append(Error("Celery workers must prefetch one task at a time.", id="portal.E031"))
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if settings.CELERY_TASK_TIME_LIMIT >= visibility:
        problems.append(Error("The task time limit must stay below the broker's visibility timeout.", id="portal.E032"))
    # A pickled message is code run by the worker: whoever can write to Redis could run anything.
    serializers = {
        getattr(settings, "CELERY_TASK_SERIALIZER", "json"),
        getattr(settings, "CELERY_RESULT_SERIALIZER", "json"),
    }
    if list(getattr(settings, "CELERY_ACCEPT_CONTENT", [])) != ["json"] or serializers != {"json"}:
        problems.append(Error("Celery must serialize and accept JSON only (no pickle).", id="portal.E033"))
    return problems


@register()
def check_database_resilience(app_configs, **kwargs):
    """A lost database fails fast, and no statement holds a connection for ever (RELIABILITY J2)."""
    problems = []
    database = settings.DATABASES["default"]
    connect_timeout = database.get("OPTIONS", {}).get("connect_timeout")
    if not database.get("CONN_HEALTH_CHECKS") or connect_timeout is None or not 0 < int(connect_timeout) <= 3:
        problems.append(
            Error("The database needs CONN_HEALTH_CHECKS and a connect_timeout of 1–3 s.", id="portal.E050")
        )
    web, worker = getattr(settings, "WEB_STATEMENT_TIMEOUT", 0), getattr(settings, "WORKER_STATEMENT_TIMEOUT", 0)
    if not 0 < web <= 30 or worker < web:
        problems.append(
            Error(
                "WEB_STATEMENT_TIMEOUT must be 1–30 s and WORKER_STATEMENT_TIMEOUT at least as long.", id="portal.E051"
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_upload_scanner(app_configs, **kwargs):
    """Production scans uploads with a real antivirus; the stub only knows the EICAR test string."""
    if getattr(settings, "UPLOAD_SCANNER", "stub") == "stub":
        return [Warning("UPLOAD_SCANNER is the test stub: uploads are not scanned for malware.", id="portal.W040")]
    return []
