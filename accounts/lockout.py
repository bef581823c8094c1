"""Login throttling on top of django-axes: per username + address, plus a cap per username (RELIABILITY B1).

axes counts failures per lockout parameter combination with one limit, and forgets them after the
cool-off (15 min), so "20 failures in 24 hours from anywhere" cannot be said in its settings. The
failure log (``AccessFailureLog``, one row per failure, in PostgreSQL) can: when a username has
``AXES_USERNAME_FAILURE_LIMIT`` failures within ``AXES_USERNAME_FAILURE_WINDOW`` and since its last
successful login, the username is locked whatever the address. Colleagues behind the same office
address are not affected, and a forged ``X-Forwarded-For`` changes nothing (the cap ignores addresses).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .security_events import USERNAME_CAP_ATTRIBUTE


def client_address(request) -> str | None:
    """The address the per-address lock counts (AXES_CLIENT_IP_CALLABLE).

    Served directly, that is ``REMOTE_ADDR``, and any ``X-Forwarded-For`` a client sends is ignored.
    Behind the portal's nginx (``DJANGO_BEHIND_PROXY``), every request comes from nginx, which
    replaces ``X-Forwarded-For`` with the address it saw (deploy/nginx/ketnghia.conf.template): the
    header's last entry is then the client's, and nobody else's lock is shared with the whole city.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def username_failures(username: str) -> int:
    """Failures for ``username`` in the window, after its last successful login."""
    since = timezone.now() - settings.AXES_USERNAME_FAILURE_WINDOW
    last_success = AccessLog.objects.filter(username=username).aggregate(last=Max("attempt_time"))["last"]
    if last_success is not None and last_success > since:
        since = last_success
    return AccessFailureLog.objects.filter(username=username, attempt_time__gt=since).count()


class PortalAxesHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            return failures
        username = get_client_username(request, credentials)
        if username and username_failures(username) >= settings.AXES_USERNAME_FAILURE_LIMIT:
            setattr(request, USERNAME_CAP_ATTRIBUTE, True)  # the lockout event names the cause
            return limit
        return failures
