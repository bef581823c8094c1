"""System checks for sign-in and sessions: accounts' own middleware, and throttling without lockouts (RELIABILITY B1)."""

from datetime import timedelta

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from core.cache import FailOpenRedisCache

from .throttle import username_schedule

SESSION_MIDDLEWARE = "accounts.middleware.SessionLifetimeMiddleware"
SESSION_ENGINES_IN_POSTGRESQL = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


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
    return problems + check_session_store()


def check_session_store() -> list[Error]:
    """RELIABILITY J3: sessions are kept in PostgreSQL, and the cache that holds copies of them and of
    the signed-in users (cached_db, accounts.backends) answers as a miss while Redis is down."""
    problems = []
    if settings.SESSION_ENGINE not in SESSION_ENGINES_IN_POSTGRESQL:
        problems.append(
            Error("Sessions must be kept in PostgreSQL: the db or cached_db session engine.", id="portal.E014")
        )
    cache = settings.CACHES.get(settings.SESSION_CACHE_ALIAS)
    backend = import_string(cache["BACKEND"]) if cache else None
    if backend is None or (issubclass(backend, RedisCache) and not issubclass(backend, FailOpenRedisCache)):
        problems.append(
            Error(
                "The sessions' cache must be a core.cache.FailOpenRedisCache (or an in-process cache): "
                "with a plain Redis cache every signed-in request fails while Redis is down.",
                id="portal.E015",
            )
        )
    return problems


MFA_MIDDLEWARE = "accounts.middleware.MFARequiredMiddleware"


@register(Tags.security)
def check_authentication(app_configs, **kwargs):
    """The TOTP step actually enforced (the sign-in delays: check_sign_in_throttling)."""
    problems = []
    if MFA_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(Error("The two-step sign-in middleware is not installed.", id="portal.E040"))
    return problems


# NIST SP 800-63B: at most 100 consecutive failed attempts on one account.
MOST_GUESSES_PER_DAY = 100


@register(Tags.security)
def check_sign_in_throttling(app_configs, **kwargs):
    problems = []
    if getattr(settings, "AXES_LOCK_OUT_AT_FAILURE", True) or not getattr(
        settings, "AXES_ENABLE_ACCESS_FAILURE_LOG", False
    ):
        problems.append(Error("axes must keep the failure log and never lock out (delays instead).", id="portal.E041"))
    if not settings.SIGN_IN_FIRST_DELAY or not settings.SIGN_IN_USERNAME_MAX_DELAY:
        problems.append(Error("Sign-in throttling needs a first and a longest delay.", id="portal.E042"))
    elif username_schedule().most_attempts_within(timedelta(hours=24)) > MOST_GUESSES_PER_DAY:
        problems.append(
            Error("The sign-in delays let one username try more than 100 passwords a day.", id="portal.E043")
        )
    return problems
