"""System checks for sign-in and sessions: accounts' own middleware and axes' lockout settings."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

SESSION_MIDDLEWARE = "accounts.middleware.SessionLifetimeMiddleware"


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
    """Brute force without office-wide lockouts (axes), and the TOTP step actually enforced."""
    problems = []
    if MFA_MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(Error("The two-step sign-in middleware is not installed.", id="portal.E040"))
    parameters = getattr(settings, "AXES_LOCKOUT_PARAMETERS", None)
    if parameters != [["username", "ip_address"]] or not 0 < getattr(settings, "AXES_FAILURE_LIMIT", 0) <= 10:
        problems.append(Error("axes must lock username + address pairs after at most 10 failures.", id="portal.E041"))
    if not getattr(settings, "AXES_COOLOFF_TIME", None):
        problems.append(Error("axes needs a cool-off time (otherwise a lock is permanent).", id="portal.E042"))
    if not 0 < getattr(settings, "AXES_USERNAME_FAILURE_LIMIT", 0) <= 100 or not getattr(
        settings, "AXES_ENABLE_ACCESS_FAILURE_LOG", False
    ):
        problems.append(Error("The per-username cap needs the failure log and at most 100 failures.", id="portal.E043"))
    return problems
