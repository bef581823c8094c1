"""Two-step sign-in (RELIABILITY B5, A6): everything goes through the real forms with a plain Client.

The rest of the suite signs in with ``force_login``, which tests/conftest.py completes with the second
step; here nothing is completed for us.
"""

import base64
import re
import time

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import DEMO_TOTP_SECRET, PENDING_KEY_SESSION_KEY, give_demo_device, hex_key_from_base32
from accounts.middleware import MFARequiredMiddleware
from accounts.models import Role
from tests import factories
from tests.routes import declared_routes
from tests.security.helpers import table_snapshot

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-step/"
ENROL = "/accounts/two-step/enrol/"


# A fixed instant a few minutes ahead (sessions saved while travelling must not be expired in real time),
# at the start of a 30-second step.
NOW = (int(time.time()) // 30 + 4) * 30


def password_login(client: Client, user, password: str = factories.PASSWORD):
    response = client.post(LOGIN, {"username": user.username, "password": password})
    assert response.status_code == 302, response.content[:300]
    return response


def code_for(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def device_of(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def test_password_alone_serves_no_protected_url(world):
    """B5: the whole route table (GET, htmx GET, POST) and the admin site, after the password only."""
    client = Client()
    password_login(client, world.city)
    served, checked = [], 0
    for route in declared_routes():
        if route.name in MFARequiredMiddleware.OPEN_BEFORE_CODE:
            continue
        # Each route's objects are built in a savepoint rolled back afterwards (some tables are unique per period).
        with transaction.atomic():
            query = route.query(world) if callable(route.query) else route.query
            url = reverse(route.name, kwargs=route.kwargs(world)) + query
            data = route.post_data(world)  # may build the rows it names, before the snapshot
            before = table_snapshot()
            for method in ("get", "htmx", "post"):
                if method == "post":
                    response = client.post(url, data)
                else:
                    response = client.get(url, headers={"HX-Request": "true"} if method == "htmx" else {})
                checked += 1
                if method == "htmx":
                    refused = response.status_code == 401 and response["HX-Redirect"] == VERIFY
                else:
                    refused = response.status_code == 302 and response["Location"].startswith(VERIFY + "?next=")
                if not refused:
                    served.append(f"{method.upper()} {url} → {response.status_code}")
            if table_snapshot() != before:
                served.append(f"{url} changed the database")
            transaction.set_rollback(True)
    for url in ("/admin/", "/admin/accounts/user/", "/admin/otp_totp/totpdevice/"):
        response = client.get(url)
        checked += 1
        if not (response.status_code == 302 and response["Location"].startswith(VERIFY)):
            served.append(f"GET {url} → {response.status_code}")
    assert checked > 100
    assert served == [], served


def test_a_correct_code_opens_the_portal_and_returns_to_the_page_asked_for(world):
    client = Client()
    password_login(client, world.city)
    asked = reverse("partnerships:partnership_list")
    response = client.get(asked)
    assert response["Location"] == f"{VERIFY}?next={asked}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert 'autocomplete="one-time-code"' in content and 'inputmode="numeric"' in content
    response = client.post(VERIFY, {"code": code_for(device_of(world.city)), "next": asked})
    assert response.status_code == 302 and response["Location"] == asked
    assert client.get(asked).status_code == 200
    assert client.get("/admin/").status_code == 302  # city staff are not administrators: the admin login


def test_wrong_code_is_refused_in_vietnamese_and_logged(world, security_log):
    client = Client()
    password_login(client, world.city)
    good = code_for(device_of(world.city))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    security_log.clear()
    response = client.post(VERIFY, {"code": wrong}, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    assert "Mã không đúng" in response.content.decode()
    [event] = security_log.events()
    assert (event["event"], event["outcome"], event["actor"], event["ip"]) == (
        "mfa_verify",
        "failure",
        "city",
        "10.9.8.7",
    )
    assert wrong not in security_log.text
    assert client.get(reverse("communes:commune_list")).status_code == 302
    response = client.post(VERIFY, {"code": "12ab"})
    assert "đúng 6 chữ số" in response.content.decode()


def test_a_code_right_after_a_wrong_one_waits_for_the_throttle(world):
    client = Client()
    password_login(client, world.city)
    device = device_of(world.city)
    good = code_for(device)
    client.post(VERIFY, {"code": f"{(int(good) + 1) % 1_000_000:06d}"})
    response = client.post(VERIFY, {"code": good})
    assert response.status_code == 200 and "Hãy đợi" in response.content.decode()


def test_a_used_code_is_refused_the_second_time():
    user = factories.user(Role.CITY_STAFF)
    device = device_of(user)
    with time_machine.travel(NOW, tick=False):
        code = code_for(device)
        first = Client()
        password_login(first, user)
        assert first.post(VERIFY, {"code": code}).status_code == 302
        # The same code, still inside its 30-second window, from a second browser.
        second = Client()
        password_login(second, user)
        response = second.post(VERIFY, {"code": code})
        assert response.status_code == 200 and "đã được dùng" in response.content.decode()
        assert second.get(reverse("communes:commune_list")).status_code == 302
    # The next step's code (30 s later) is accepted.
    with time_machine.travel(NOW + 31, tick=False):
        response = second.post(VERIFY, {"code": code_for(device)})
        assert response.status_code == 302
        assert second.get(reverse("communes:commune_list")).status_code == 200


def test_totp_uses_a_thirty_second_step_and_six_digits():
    device = device_of(factories.user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    assert (device.step, device.digits) == (30, 6)
    assert code_for(device, at=1_790_000_010) == code_for(device, at=1_790_000_019)  # same 30 s window
    assert "period=30" in device.config_url and "digits=6" in device.config_url


def test_htmx_request_before_the_code_gets_hx_redirect(world):
    client = Client()
    password_login(client, world.city)
    response = client.get(reverse("communes:commune_list"), headers={"HX-Request": "true"})
    assert response.status_code == 401 and response["HX-Redirect"] == VERIFY


def test_next_cannot_point_outside_the_portal(world):
    client = Client()
    password_login(client, world.city)
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = client.get(VERIFY, {"next": target})
        assert response.status_code == 200
        # The code is single use per step: each attempt from the same step would be a replay.
        TOTPDevice.objects.filter(user=world.city).update(last_t=-1, throttling_failure_count=0)
        response = client.post(VERIFY, {"code": code_for(device_of(world.city)), "next": target})
        assert response.status_code == 302 and response["Location"] == reverse("reports:dashboard")
        client.post(reverse("accounts:logout"))
        password_login(client, world.city)


def test_administrator_needs_the_code_for_the_admin_site(world):
    client = Client()
    password_login(client, world.admin)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code_for(device_of(world.admin))})
    assert client.get("/admin/").status_code == 200


def secret_on_page(html: str) -> str:
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert found, "no secret on the enrolment page"
    return found.group(1).replace(" ", "")


def code_from_secret(secret: str) -> str:
    padded = secret + "=" * (-len(secret) % 8)
    return f"{TOTP(base64.b32decode(padded)).token():06d}"


def test_city_staff_without_an_app_enrol_after_the_password():
    user = factories.user(Role.CITY_STAFF)
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    password_login(client, user)
    response = client.get(reverse("reports:dashboard"))
    assert response["Location"].startswith(VERIFY)
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html and "Mã QR" in html
    secret = secret_on_page(html)
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1))
    assert svg.startswith(b"<?xml") or b"<svg" in svg[:200]
    assert "otpauth://totp/" in html and f"secret={secret}" in html
    assert client.session[PENDING_KEY_SESSION_KEY]
    assert not TOTPDevice.objects.filter(user=user).exists()  # nothing stored before a code confirms it

    response = client.post(ENROL, {"code": f"{(int(code_from_secret(secret)) + 1) % 1_000_000:06d}"})
    assert response.status_code == 200 and "Mã không khớp" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()

    response = client.post(ENROL, {"code": code_from_secret(secret)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get(reverse("communes:commune_list")).status_code == 200

    # Next time, password then code; and a stolen password cannot enrol another app.
    other = Client()
    password_login(other, user)
    assert other.get(reverse("communes:commune_list"))["Location"].startswith(VERIFY)
    response = other.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert other.post(ENROL, {"code": code_from_secret(secret)})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("who", ["leader", "officer"])
def test_leadership_and_officers_are_not_forced(world, who):
    user = getattr(world, who)
    client = Client()
    password_login(client, user)
    assert client.get(reverse("communes:commune_list")).status_code == 200


def test_an_officer_may_enrol_and_is_then_asked_for_the_code(world):
    client = Client()
    password_login(client, world.officer)
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = secret_on_page(page.content.decode())
    with time_machine.travel(NOW, tick=False):
        assert client.post(ENROL, {"code": code_from_secret(secret)}).status_code == 302
    assert client.get(reverse("communes:commune_list")).status_code == 200
    assert "đang bật" in client.get(ENROL).content.decode()

    later = Client()
    password_login(later, world.officer)
    assert later.get(reverse("commitments:my_unit"))["Location"].startswith(VERIFY)
    with time_machine.travel(NOW + 60, tick=False):
        assert later.post(VERIFY, {"code": code_from_secret(secret)}).status_code == 302
    assert later.get(reverse("commitments:my_unit")).status_code == 200


def test_the_demo_secret_is_the_documented_one(world):
    TOTPDevice.objects.filter(user=world.city).delete()
    assert give_demo_device(world.city)
    assert not give_demo_device(world.city)  # idempotent
    assert device_of(world.city).key == hex_key_from_base32(DEMO_TOTP_SECRET)
    client = Client()
    password_login(client, world.city)
    assert client.post(VERIFY, {"code": code_from_secret(DEMO_TOTP_SECRET)}).status_code == 302


def test_a_second_app_signs_in_without_throttling_the_first(world):
    second = TOTPDevice.objects.create(user=world.city, name="second", confirmed=True)
    client = Client()
    password_login(client, world.city)
    assert client.post(VERIFY, {"code": code_for(second)}).status_code == 302
    first = TOTPDevice.objects.filter(user=world.city).exclude(pk=second.pk).get()
    assert first.throttling_failure_count == 0
