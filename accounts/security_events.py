"""Sign-in events for the security log (RELIABILITY B7): one line per login, failure, lockout, logout.

Django sends ``user_logged_in``, ``user_login_failed`` and ``user_logged_out``; django-axes sends
``user_locked_out`` for the attempt that reaches the limit and for every attempt refused while the
lock holds (that attempt is also a failed login: Django reports it first). Django hands receivers the
credentials with the password already masked; only the username is taken from them.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core.logging import DENIED, FAILURE, SUCCESS, security_event

# Set on the request by accounts.lockout when the per-username cap (not the username + address pair)
# caused the lock.
USERNAME_CAP_ATTRIBUTE = "axes_username_cap_reached"
# Set on the request before a logout the person did not ask for (accounts.middleware).
LOGOUT_REASON_ATTRIBUTE = "logout_reason"


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    security_event("login", outcome=SUCCESS, request=request, actor=user)


@receiver(user_login_failed)
def log_login_failure(sender, credentials, request=None, **kwargs):
    security_event("login", outcome=FAILURE, request=request, actor=credentials.get("username"))


@receiver(user_locked_out)
def log_lockout(sender, request, username, ip_address, **kwargs):
    reason = "username_cap" if getattr(request, USERNAME_CAP_ATTRIBUTE, False) else "username_and_address"
    security_event("lockout", outcome=DENIED, request=request, actor=username, reason=reason)


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    if user is None:
        return  # an anonymous POST to the logout URL ends nothing
    reason = getattr(request, LOGOUT_REASON_ATTRIBUTE, "requested")
    security_event("logout", outcome=SUCCESS, request=request, actor=user, reason=reason)
