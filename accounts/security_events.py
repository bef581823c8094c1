"""Sign-in events for the security log (RELIABILITY B7): one line per login, failure and logout.

Django sends ``user_logged_in``, ``user_login_failed`` and ``user_logged_out``. Django hands receivers
the credentials with the password already masked; only the username is taken from them. Attempts
refused by a delay (``login_throttled``), bursts and one-time links are written where they happen
(accounts.views, accounts.services).
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core.logging import FAILURE, SUCCESS, security_event

# Set on the request before a logout the person did not ask for (accounts.middleware).
LOGOUT_REASON_ATTRIBUTE = "logout_reason"


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    security_event("login", outcome=SUCCESS, request=request, actor=user)


@receiver(user_login_failed)
def log_login_failure(sender, credentials, request=None, **kwargs):
    security_event("login", outcome=FAILURE, request=request, actor=credentials.get("username"))


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    if user is None:
        return  # an anonymous POST to the logout URL ends nothing
    reason = getattr(request, LOGOUT_REASON_ATTRIBUTE, "requested")
    security_event("logout", outcome=SUCCESS, request=request, actor=user, reason=reason)
