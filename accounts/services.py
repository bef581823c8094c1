"""Account operations that touch more than one table."""

import logging
import zlib
from datetime import timedelta
from functools import partial
from importlib import import_module

import pghistory
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from core.logging import DENIED, SUCCESS, security_event

from . import throttle
from .models import PASSWORD_CHANGED_EVENT, PASSWORD_SET_BY_LINK_EVENT, Role, SignInAlert, SignInLink
from .quotas import lock
from .tasks import send_sign_in_link_task

SIGN_IN_LINK_SALT = "accounts.sign_in_link"
logger = logging.getLogger(__name__)


def end_sessions(users, *, by) -> int:
    """Delete every live session of ``users`` (a lost phone, a person leaving): their next request is
    anonymous. Sessions are stored signed, not indexed by user, so each live one is decoded; a portal
    of a few hundred accounts has at most a few thousand. Each is deleted through the session engine,
    which also drops the cached copy (cached_db)."""
    wanted = {str(pk) for pk in users.values_list("pk", flat=True)}
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) in wanted
    ]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in ended:
        store().delete(session_key)
    security_event("sessions_ended", outcome=SUCCESS, actor=by, sessions=len(ended), user_ids=sorted(wanted))
    return len(ended)


@transaction.atomic
def change_password(*, user, new_password: str, event: str = PASSWORD_CHANGED_EVENT) -> None:
    """Store a new password (already validated by the form) and record the change in the user's
    history: the hash column is not tracked, so the event is written here, with the request's actor.

    Every other session of the user ends at its next request: Django checks each session's copy of the
    password hash (``get_session_auth_hash``). The caller keeps its own session with
    ``update_session_auth_hash``.
    """
    user.set_password(new_password)
    user.save(update_fields=["password"])
    pghistory.create_event(user, label=event)


def set_password_by_link(*, user, new_password: str) -> None:
    """The first password chosen at a set-password link; the person proved by the link is the actor.
    Changing the hash spends the link (Django's token is derived from it)."""
    with pghistory.context(user=user.pk):
        change_password(user=user, new_password=new_password, event=PASSWORD_SET_BY_LINK_EVENT)


@transaction.atomic
def alert_on_burst(*, username: str, address: str | None) -> list[SignInAlert]:
    """After a failed sign-in: when the failures for ``username`` or from ``address`` within the burst
    window reach the burst threshold, record one alert, one security event and e-mail the
    administrators, once per burst (not again while an alert for the same key is within the window)."""
    raised = []
    checks = (
        (SignInAlert.Kind.USERNAME, username, settings.SIGN_IN_BURST_PER_USERNAME, {"username": username}),
        (SignInAlert.Kind.ADDRESS, address, settings.SIGN_IN_BURST_PER_ADDRESS, {"address": address}),
    )
    since = timezone.now() - settings.SIGN_IN_BURST_WINDOW
    for kind, key, threshold, counted in checks:
        if not key:
            continue
        lock("sign_in_alert:" + kind, zlib.crc32(key.encode()) - 2**31)
        failures = throttle.burst_failures(**counted)
        if failures < threshold or SignInAlert.objects.filter(kind=kind, key=key, raised_at__gt=since).exists():
            continue
        alert = SignInAlert.objects.create(kind=kind, key=key, failures=failures)
        security_event("sign_in_burst", outcome=DENIED, actor=None, reason=kind, key=key, failures=failures)
        transaction.on_commit(partial(tell_administrators_of_burst, alert))
        raised.append(alert)
    return raised


def tell_administrators_of_burst(alert: SignInAlert) -> int:
    recipients = list(
        get_user_model()
        .objects.filter(role=Role.ADMINISTRATOR, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    window = int(settings.SIGN_IN_BURST_WINDOW.total_seconds() // 60)
    if alert.kind == SignInAlert.Kind.USERNAME:
        subject = _("Đăng nhập sai dồn dập vào tài khoản %(key)s") % {"key": alert.key}
        what = _("tài khoản “%(key)s”") % {"key": alert.key}
    else:
        subject = _("Đăng nhập sai dồn dập từ địa chỉ %(key)s") % {"key": alert.key}
        what = _("địa chỉ %(key)s") % {"key": alert.key}
    body = _(
        "Cổng thông tin kết nghĩa ghi nhận %(failures)s lần đăng nhập sai đối với %(what)s trong %(minutes)s "
        "phút qua. Mỗi lần thử tiếp theo phải chờ lâu dần, tài khoản không bị khóa.\n\n"
        "Nếu người dùng thật không đăng nhập được, họ có thể nhập mã xác thực hai bước cùng mật khẩu, "
        "hoặc nhận liên kết đăng nhập một lần qua e-mail; quản trị viên cũng có thể gửi liên kết này "
        "trong trang quản trị (Người dùng → Gửi liên kết đăng nhập một lần)."
    ) % {"failures": alert.failures, "what": what, "minutes": window}
    return send_mail(subject, body, None, recipients)


class TooManyLinkRequests(Exception):
    """Sign-in links were asked for this username or from this address too often in the last hour."""

    def __init__(self, wait: timedelta):
        super().__init__(wait)
        self.wait = wait


@transaction.atomic
def request_sign_in_link(*, username: str, address: str | None, site: str) -> SignInLink:
    """Someone at the login page asks for a one-time link for ``username``. The same work is done
    whether or not the username exists or has an e-mail address (a row and a queued message); only
    the task decides whether a mail goes out, so the answer and its timing reveal nothing."""
    lock("sign_in_link:address", zlib.crc32((address or "").encode()) - 2**31)
    lock("sign_in_link:username", zlib.crc32(username.encode()) - 2**31)
    hour_ago = timezone.now() - timedelta(hours=1)
    for recent, limit in (
        (SignInLink.objects.filter(username=username, issued_by=None), settings.SIGN_IN_LINKS_PER_USERNAME_PER_HOUR),
        (
            SignInLink.objects.filter(requested_from=address, issued_by=None),
            settings.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR,
        ),
    ):
        times = list(
            recent.filter(created_at__gt=hour_ago).order_by("-created_at").values_list("created_at", flat=True)
        )
        if len(times) >= limit:
            raise TooManyLinkRequests(times[limit - 1] + timedelta(hours=1) - timezone.now())
    user = get_user_model().objects.filter(username=username, is_active=True).exclude(email="").first()
    link = SignInLink.objects.create(username=username, user=user, requested_from=address)
    security_event("sign_in_link_requested", outcome=SUCCESS, actor=None, object_id=link.pk)
    transaction.on_commit(partial(enqueue_sign_in_link, link.pk, site))
    return link


def enqueue_sign_in_link(link_id: int, site: str) -> None:
    """Publish the e-mail message; with the broker down no mail goes out, and the person may ask again
    or be sent a link by an administrator (the page answers the same either way)."""
    try:
        send_sign_in_link_task.apply_async(
            args=[link_id, site],
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5},
        )
    except BrokerError:
        logger.warning("Broker unavailable: sign-in link %s was not sent", link_id)


def sign_in_link_token(link: SignInLink) -> str:
    """Signed and timestamped (``SIGN_IN_LINK_MAX_AGE``); it names only the link row."""
    return signing.dumps(link.pk, salt=SIGN_IN_LINK_SALT)


def send_sign_in_link(*, link_id: int, site: str) -> bool:
    """E-mail the link to the address on record; a request for an unknown username sends nothing."""
    link = SignInLink.objects.filter(pk=link_id, used_at=None).select_related("user").first()
    if link is None or link.user is None or not link.user.email:
        return False
    url = site.rstrip("/") + reverse("accounts:sign_in_link", kwargs={"token": sign_in_link_token(link)})
    minutes = int(settings.SIGN_IN_LINK_MAX_AGE.total_seconds() // 60)
    body = _(
        "Kính gửi %(name)s,\n\n"
        "Có yêu cầu đăng nhập Cổng thông tin kết nghĩa bằng liên kết một lần cho tài khoản “%(username)s”. "
        "Mở liên kết sau trong %(minutes)s phút để đăng nhập (chỉ dùng được một lần):\n\n%(url)s\n\n"
        "Nếu bạn không yêu cầu, hãy bỏ qua thư này và báo cho quản trị viên."
    ) % {"name": link.user, "username": link.user.username, "minutes": minutes, "url": url}
    send_mail(_("Liên kết đăng nhập Cổng thông tin kết nghĩa"), body, None, [link.user.email])
    return True


@transaction.atomic
def issue_sign_in_links(users, *, by, site: str) -> int:
    """An administrator sends a one-time link to each selected active user with an e-mail address."""
    sent = 0
    for user in users.filter(is_active=True).exclude(email="").order_by("username"):
        link = SignInLink.objects.create(username=user.username, user=user, issued_by=by)
        security_event("sign_in_link_issued", outcome=SUCCESS, actor=by, object_id=user.pk)
        transaction.on_commit(partial(send_sign_in_link, link_id=link.pk, site=site))
        sent += 1
    return sent


@transaction.atomic
def use_sign_in_link(*, token: str) -> SignInLink | None:
    """Spend the link ``token`` names (and every other unused link of its user); None for a forged,
    expired or already used link. The row lock makes two uses at once succeed once."""
    try:
        link_id = signing.loads(token, salt=SIGN_IN_LINK_SALT, max_age=settings.SIGN_IN_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    link = (
        SignInLink.objects.select_for_update()
        .filter(pk=link_id, used_at=None, user__is_active=True)
        .select_related("user")
        .first()
    )
    if link is None:
        return None
    now = timezone.now()
    SignInLink.objects.filter(user=link.user, used_at=None).update(used_at=now)
    link.used_at = now
    return link
