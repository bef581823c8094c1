"""Sign-in throttling without lockouts (RELIABILITY B1): progressive delays per username and per address.

Failures are counted in django-axes' failure log (``AccessFailureLog``, one row per failed sign-in,
written from Django's ``user_login_failed`` signal), separately for the username typed and for the
client's address. After a few free failures, the next attempt must wait a delay that doubles with
each further failure, up to a ceiling, counted from the last failure. An attempt inside the delay is
refused before any password is checked (``accounts.views.LoginView``), so it costs the attacker time
and costs the real person nothing more than the wait: nobody is locked out.

The username count ignores addresses, so rotating addresses or forging ``X-Forwarded-For`` gains
nothing; it restarts at the username's last successful sign-in. The address count is generous enough
for a whole office behind one NAT address, and a colleague's failures on another username never delay
anyone's username.
"""

import zlib
from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max
from django.utils import timezone

from .quotas import lock


def client_address(request) -> str | None:
    """The address the per-address delay counts (AXES_CLIENT_IP_CALLABLE).

    Served directly, that is ``REMOTE_ADDR``, and any ``X-Forwarded-For`` a client sends is ignored.
    Behind the portal's nginx (``DJANGO_BEHIND_PROXY``), every request comes from nginx, which
    replaces ``X-Forwarded-For`` with the address it saw (deploy/nginx/ketnghia.conf.template): the
    header's last entry is then the client's, and nobody else's delay is shared with the whole city.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


@dataclass(frozen=True)
class Schedule:
    """How long an attempt waits after ``failures`` failures: nothing for the first ``free`` ones,
    then ``first_delay`` doubled for each further failure, never more than ``max_delay``."""

    free: int
    first_delay: timedelta
    max_delay: timedelta
    window: timedelta

    def delay_after(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 32)  # past the ceiling long before; keeps the number small
        return min(self.first_delay * 2**doublings, self.max_delay)

    def most_attempts_within(self, period: timedelta) -> int:
        """The most attempts that can be checked within ``period`` by someone who tries again the
        moment each delay ends (the count never falls back: the window is at least as long)."""
        if self.first_delay <= timedelta(0):
            raise ValueError("a schedule without delays has no bound")
        attempts, elapsed = 0, timedelta(0)
        while elapsed < period:
            attempts += 1
            elapsed += self.delay_after(attempts)
        return attempts


def username_schedule() -> Schedule:
    return Schedule(
        free=settings.SIGN_IN_USERNAME_FREE_FAILURES,
        first_delay=settings.SIGN_IN_FIRST_DELAY,
        max_delay=settings.SIGN_IN_USERNAME_MAX_DELAY,
        window=settings.SIGN_IN_USERNAME_WINDOW,
    )


def address_schedule() -> Schedule:
    return Schedule(
        free=settings.SIGN_IN_ADDRESS_FREE_FAILURES,
        first_delay=settings.SIGN_IN_FIRST_DELAY,
        max_delay=settings.SIGN_IN_ADDRESS_MAX_DELAY,
        window=settings.SIGN_IN_ADDRESS_WINDOW,
    )


@dataclass(frozen=True)
class Wait:
    """What an attempt must still wait, for its username and for its address (zero: it is checked)."""

    username: timedelta
    address: timedelta

    @property
    def longest(self) -> timedelta:
        return max(self.username, self.address)


def remaining(schedule: Schedule, failures) -> timedelta:
    """The rest of the delay ``failures`` (a queryset of failure log rows) impose now."""
    now = timezone.now()
    counted = failures.filter(attempt_time__gt=now - schedule.window).aggregate(
        count=Count("pk"), last=Max("attempt_time")
    )
    if not counted["count"]:
        return timedelta(0)
    return max(counted["last"] + schedule.delay_after(counted["count"]) - now, timedelta(0))


def username_failures(username: str):
    """Failures for ``username`` since its last successful sign-in (a success starts the count again)."""
    failures = AccessFailureLog.objects.filter(username=username)
    last_login = get_user_model().objects.filter(username=username).values_list("last_login", flat=True).first()
    if last_login is not None:
        failures = failures.filter(attempt_time__gt=last_login)
    return failures


def address_failures(address: str | None):
    return AccessFailureLog.objects.filter(ip_address=address)


def wait_before_attempt(*, username: str, address: str | None) -> Wait:
    return Wait(
        username=remaining(username_schedule(), username_failures(username)),
        address=remaining(address_schedule(), address_failures(address)),
    )


def hold(username: str) -> None:
    """Count one attempt per username at a time (until the transaction ends): two attempts sent at
    once cannot both slip into the moment a delay ends."""
    lock("sign_in:username", zlib.crc32(username.encode()) - 2**31)


def burst_failures(*, username: str | None = None, address: str | None = None) -> int:
    """Failures within the burst window for one username or from one address."""
    since = timezone.now() - settings.SIGN_IN_BURST_WINDOW
    failures = username_failures(username) if username is not None else address_failures(address)
    return failures.filter(attempt_time__gt=since).count()
