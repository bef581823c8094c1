"""System checks for sign-in throttling (RELIABILITY B1): no lockouts, and a bound on guesses."""

from datetime import timedelta

from django.conf import settings
from django.core.checks import Error, Tags, register

from .throttle import username_schedule

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
