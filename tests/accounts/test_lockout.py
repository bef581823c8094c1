"""RELIABILITY B1 and "R7 locking out a whole office": progressive delays per username and per address
instead of a lockout, the bound on guesses they give, a burst alert, and the real person still signing
in during an attack (a TOTP code with the password, or a one-time link by e-mail)."""

import datetime
import re
from unittest import mock

import pytest
import time_machine
from axes.models import AccessFailureLog
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.checks import MOST_GUESSES_PER_DAY, check_sign_in_throttling
from accounts.models import Role, SignInAlert, SignInLink
from accounts.throttle import Schedule, username_schedule
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LINK_REQUEST = "/accounts/login/link/"
WRONG = "sai-mat-khau"


def attempt(client, username, password, ip="10.1.2.3", code=None, **headers):
    data = {"username": username, "password": password}
    if code is not None:
        data["code"] = code
    return client.post(LOGIN, data, REMOTE_ADDR=ip, headers=headers)


def fail(client, username, times, ip="10.1.2.3", **headers):
    for _ in range(times):
        assert attempt(client, username, WRONG, ip, **headers).status_code == 200


def without_csrf_tokens(html: str) -> str:
    """The page without what changes on every response (CSRF tokens, CSP nonces)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'("X-CSRFToken": "|nonce=")[^"]+"', "", html)


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def start():
    # At the start of a 30-second TOTP step, so a code computed now is still current a few seconds on.
    instant = (int(timezone.now().timestamp()) // 30 + 1) * 30
    with time_machine.travel(instant, tick=False) as traveller:
        yield traveller


# --- Delays ------------------------------------------------------------------------------------


def test_after_five_free_failures_each_attempt_waits_twice_as_long(client, start):
    factories.user(username="city")
    fail(client, "city", 5)
    waits = []
    for _ in range(6):
        refused = attempt(client, "city", factories.PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        start.shift(waits[-1])
        fail(client, "city", 1)  # checked once the delay is over, and counted
    assert waits == [30, 60, 120, 240, 480, 960]
    refused = attempt(client, "city", factories.PASSWORD)
    assert int(refused["Retry-After"]) == 1800  # the ceiling: 30 minutes, never a lock
    start.shift(1800)
    assert attempt(client, "city", factories.PASSWORD).status_code == 302


def test_a_refused_attempt_says_how_long_to_wait_in_vietnamese_and_checks_nothing(client, start):
    factories.user(username="city")
    fail(client, "city", 5)
    failures = AccessFailureLog.objects.count()
    response = attempt(client, "city", factories.PASSWORD)
    content = response.content.decode()
    assert response.status_code == 429
    assert "hãy đợi 30 giây rồi thử lại" in content and "khóa" not in content
    assert 'name="code"' in content and reverse("accounts:sign_in_link_request") in content
    assert AccessFailureLog.objects.count() == failures, "an attempt inside the delay is not even checked"
    assert 'value="city"' in content and "mật khẩu chính xác" not in content, "nor its password"
    wrong = attempt(client, "city", WRONG).content.decode()
    assert without_csrf_tokens(wrong) == without_csrf_tokens(content), "right or wrong, the same answer"
    start.shift(29)
    assert "hãy đợi 1 giây" in attempt(client, "city", WRONG).content.decode()
    start.shift(1)
    assert attempt(client, "city", factories.PASSWORD).status_code == 302


def test_no_more_than_57_passwords_a_day_can_be_tried_for_one_username(client, start):
    """NIST SP 800-63B: at most 100. An attacker who rotates addresses and tries again the moment each
    delay ends gets 57 passwords checked in 24 hours, as the schedule computes."""
    factories.user(username="city")
    ends = timezone.now() + datetime.timedelta(hours=24)
    checked = refused = 0
    while timezone.now() < ends:
        response = attempt(client, "city", WRONG, ip=f"10.{checked % 250}.{refused % 250}.1")
        if response.status_code == 429:
            refused += 1
            start.shift(int(response["Retry-After"]))
        else:
            checked += 1
    assert checked == username_schedule().most_attempts_within(datetime.timedelta(hours=24)) == 57
    assert checked <= MOST_GUESSES_PER_DAY
    assert AccessFailureLog.objects.filter(username="city").count() == checked


def test_another_spelling_of_the_username_is_the_same_username(client, start):
    """authenticate() reads the username in NFKC: fullwidth letters reach the same account, so they
    must reach the same count, or every spelling would get five free guesses of its own."""
    factories.user(username="city")
    fail(client, "city", 3)
    fail(client, "ｃｉｔｙ", 1)
    fail(client, "cｉty", 1)
    assert attempt(client, "ｃity", factories.PASSWORD).status_code == 429
    assert AccessFailureLog.objects.filter(username="city").count() == 5


def test_the_bound_is_computed_from_the_schedule():
    hour = datetime.timedelta(hours=1)
    schedule = Schedule(free=2, first_delay=hour, max_delay=hour, window=hour * 24)
    assert schedule.most_attempts_within(hour * 3) == 4  # two free, then one at 0 h… and at 1 h, 2 h
    assert [schedule.delay_after(n) for n in (0, 1, 2, 3)] == [datetime.timedelta(0)] * 2 + [hour] * 2


def test_the_checks_refuse_a_lockout_or_a_schedule_without_a_bound(settings):
    assert check_sign_in_throttling(None) == []
    settings.SIGN_IN_USERNAME_MAX_DELAY = datetime.timedelta(minutes=10)  # 144 a day
    assert [error.id for error in check_sign_in_throttling(None)] == ["portal.E043"]
    settings.AXES_LOCK_OUT_AT_FAILURE = True
    assert "portal.E041" in [error.id for error in check_sign_in_throttling(None)]


def test_a_success_starts_the_count_again(client, start):
    factories.user(username="city")
    fail(client, "city", 5)
    start.shift(30)
    assert attempt(client, "city", factories.PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    start.shift(1)
    fail(client, "city", 4)
    assert attempt(client, "city", factories.PASSWORD).status_code == 302


# --- Addresses ---------------------------------------------------------------------------------


def test_a_forged_forwarded_for_header_neither_evades_nor_resets_the_delay(client, start):
    factories.user(username="city")
    for number in range(5):
        attempt(client, "city", WRONG, X_Forwarded_For=f"203.0.113.{number}")
    assert attempt(client, "city", factories.PASSWORD, X_Forwarded_For="198.51.100.7").status_code == 429
    assert attempt(client, "city", factories.PASSWORD).status_code == 429
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"10.1.2.3"}


def test_a_colleague_behind_the_same_office_address_is_not_slowed_down(client, start):
    """Someone else's failures on another username from the office address never delay a colleague's
    username; only the address's own allowance (30 failures an hour, for the whole office) does."""
    factories.user(username="city")
    factories.user(username="colleague")
    fail(client, "city", 5, ip="10.0.0.1")
    for number in range(24):
        fail(client, f"nobody-{number}", 1, ip="10.0.0.1")
    assert attempt(client, "colleague", factories.PASSWORD, ip="10.0.0.1").status_code == 302
    client.post("/accounts/logout/")
    fail(client, "nobody-else", 1, ip="10.0.0.1")  # the office's 30th failure within the hour
    response = attempt(client, "colleague", factories.PASSWORD, ip="10.0.0.1")
    assert response.status_code == 429 and "Từ mạng của bạn" in response.content.decode()
    assert attempt(client, "colleague", factories.PASSWORD, ip="10.0.0.2").status_code == 302


NGINX = "172.18.0.5"  # every request behind the proxy comes from its address


def test_behind_the_proxy_the_delay_counts_the_address_nginx_forwards(client, settings, start):
    settings.BEHIND_PROXY = True
    factories.user(username="city")
    for number in range(30):
        attempt(client, f"nobody-{number}", WRONG, ip=NGINX, X_Forwarded_For="203.0.113.9")
    assert attempt(client, "city", factories.PASSWORD, ip=NGINX, X_Forwarded_For="203.0.113.9").status_code == 429
    assert attempt(client, "city", factories.PASSWORD, ip=NGINX, X_Forwarded_For="198.51.100.7").status_code == 302


def test_served_directly_a_forwarded_for_header_is_ignored(client, settings, start):
    settings.BEHIND_PROXY = False
    factories.user(username="city")
    for number in range(30):
        attempt(client, f"nobody-{number}", WRONG, X_Forwarded_For=f"203.0.113.{number}")
    assert attempt(client, "city", factories.PASSWORD, X_Forwarded_For="198.51.100.7").status_code == 429


# --- The real person during an attack ----------------------------------------------------------


def test_the_real_user_with_totp_signs_in_during_an_attack(client, start, security_log):
    city = factories.user(Role.CITY_STAFF, username="city")
    device = TOTPDevice.objects.get(user=city)
    attacker = Client()
    fail(attacker, "city", 5, ip="203.0.113.5")
    assert attempt(client, "city", factories.PASSWORD, ip="10.0.0.1").status_code == 429
    response = attempt(client, "city", factories.PASSWORD, ip="10.0.0.1", code=code_for(device))
    assert response.status_code == 302 and response["Location"] == reverse("reports:dashboard")
    assert client.get(reverse("reports:dashboard")).status_code == 200, "the code was the second step too"
    [event] = security_log.events("login_while_throttled")
    assert (event["actor"], event["outcome"], event["method"]) == ("city", "success", "totp")


def test_without_the_phone_no_password_is_checked_and_a_code_is_not_replayed(client, start):
    city = factories.user(Role.CITY_STAFF, username="city")
    device = TOTPDevice.objects.get(user=city)
    fail(client, "city", 5)
    failures = AccessFailureLog.objects.count()
    # A wrong code: refused, counted as a failure, and the real person's app is not throttled by it.
    code = code_for(device)
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"
    assert attempt(client, "city", factories.PASSWORD, code=wrong).status_code == 429
    assert AccessFailureLog.objects.count() == failures + 1
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert attempt(Client(), "city", factories.PASSWORD, code=code).status_code == 302
    start.shift(1)  # failures count after the last sign-in
    fail(client, "city", 5)  # slowed down again after that sign-in: the same code does not work twice
    assert attempt(client, "city", factories.PASSWORD, code=code).status_code == 429


def test_another_accounts_code_is_no_second_factor(client, start):
    factories.user(Role.CITY_STAFF, username="city")
    other = factories.user(Role.CITY_STAFF, username="other")
    fail(client, "city", 5)
    response = attempt(client, "city", factories.PASSWORD, code=code_for(TOTPDevice.objects.get(user=other)))
    assert response.status_code == 429


@pytest.fixture
def request_link(django_capture_on_commit_callbacks):
    """Ask for a link; the broker is outside the portal: its message is delivered here at once."""

    def deliver(args, **options):
        services.send_sign_in_link(link_id=args[0], site=args[1])

    def request(client, username, ip="10.1.2.3"):
        with mock.patch("accounts.services.send_sign_in_link_task.apply_async", side_effect=deliver) as publish:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(LINK_REQUEST, {"username": username}, REMOTE_ADDR=ip)
        return response, publish

    return request


def link_in(message) -> str:
    return re.search(r"http://testserver(/accounts/login/link/\S+/)", message.body).group(1)


def test_an_officer_without_totp_signs_in_once_with_a_link_from_the_email_on_record(
    client, start, request_link, security_log
):
    factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="officer-01", email="can.bo@example.vn")
    fail(Client(), "officer-01", 5, ip="203.0.113.5")
    response, _publish = request_link(client, "officer-01")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    [message] = mail.outbox
    assert message.to == ["can.bo@example.vn"]
    link = link_in(message)
    opened = client.get(link)
    assert opened.status_code == 302 and opened["Location"] == reverse("accounts:sign_in_link", args=["use"])
    assert "Bấm nút" in client.get(opened["Location"]).content.decode()  # opening the link spends nothing
    signed_in = client.post(opened["Location"])
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("reports:dashboard")
    dashboard = client.get(reverse("reports:dashboard"), follow=True)
    assert dashboard.status_code == 200 and dashboard.wsgi_request.user.username == "officer-01"
    [used] = security_log.events("sign_in_link_used")
    assert (used["actor"], used["outcome"], used["route"]) == ("officer-01", "success", "/accounts/login/link/use/")
    assert "link/use" in security_log.text and link.split("/")[-2] not in security_log.text, "no token in the log"
    # Used once: a second visit with the same link is refused.
    other = Client()
    assert other.post(other.get(link)["Location"]).content.decode().count("không hợp lệ, đã được dùng") == 1


def test_a_link_expires_and_a_forged_one_is_refused(client, start, request_link):
    factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="officer-01", email="can.bo@example.vn")
    request_link(client, "officer-01")
    link = link_in(mail.outbox[0])
    start.shift(15 * 60 + 1)
    assert "không hợp lệ" in client.post(client.get(link)["Location"]).content.decode()
    forged = link.replace(link.split("/")[-2], "1:1vXyZ:forged")
    assert "không hợp lệ" in client.post(client.get(forged)["Location"]).content.decode()
    assert "_auth_user_id" not in client.session


def test_asking_for_a_link_reveals_nothing_and_is_limited(client, start, request_link):
    factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="officer-01", email="can.bo@example.vn")
    known, published_known = request_link(client, "officer-01")
    unknown, published_unknown = request_link(client, "nobody-here")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert published_known.call_count == published_unknown.call_count == 1, "the same work either way"
    assert len(mail.outbox) == 1
    for _ in range(2):
        request_link(client, "nobody-here")
    refused, _publish = request_link(client, "nobody-here")
    assert refused.status_code == 429 and "Hãy đợi 60 phút" in refused.content.decode()
    for number in range(6):  # ten requests an hour from one address, whatever the usernames
        assert request_link(client, f"someone-{number}")[0].status_code == 302
    assert request_link(client, "officer-01")[0].status_code == 429
    assert SignInLink.objects.count() == 10


def test_an_administrator_sends_a_link(client, world, django_capture_on_commit_callbacks):
    world.officer.email = "can.bo@example.vn"
    world.officer.save()
    sign_in(client, world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "send_sign_in_links", "_selected_action": [world.officer.pk, world.leader.pk]},
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["can.bo@example.vn"]
    assert SignInLink.objects.get().issued_by == world.admin


# --- Burst alert -------------------------------------------------------------------------------


def test_a_burst_on_one_username_alerts_the_administrators_once(
    client, start, django_capture_on_commit_callbacks, security_log
):
    factories.user(Role.ADMINISTRATOR, username="quan-tri", email="quan.tri@example.vn")
    factories.user(username="city")
    with django_capture_on_commit_callbacks(execute=True):
        fail(client, "city", 5)
        for wait in (30, 60, 120, 240, 480):  # 8 failures within 210 s, then 2 more within the window
            start.shift(wait)
            fail(client, "city", 1)
    [message] = mail.outbox
    assert message.to == ["quan.tri@example.vn"] and "city" in message.subject
    assert SignInAlert.objects.get().kind == SignInAlert.Kind.USERNAME
    [event] = security_log.events("sign_in_burst")
    assert (event["reason"], event["key"], event["failures"]) == ("username", "city", 8)


def test_a_burst_from_one_address_alerts_once(client, start, django_capture_on_commit_callbacks):
    factories.user(Role.ADMINISTRATOR, username="quan-tri", email="quan.tri@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(35):
            attempt(client, f"nobody-{number}", WRONG, ip="203.0.113.7")
            start.shift(1)
    assert [(alert.kind, alert.key) for alert in SignInAlert.objects.all()] == [("address", "203.0.113.7")]
    assert len(mail.outbox) == 1


def test_ordinary_typos_raise_no_alert(client, start, django_capture_on_commit_callbacks):
    factories.user(Role.ADMINISTRATOR, username="quan-tri", email="quan.tri@example.vn")
    factories.user(username="city")
    with django_capture_on_commit_callbacks(execute=True):
        fail(client, "city", 5)
        start.shift(30)
        assert attempt(client, "city", factories.PASSWORD).status_code == 302
    assert mail.outbox == [] and not SignInAlert.objects.exists()


def test_the_system_checks_pass_as_configured():
    call_command("check", "--tag", "security")
