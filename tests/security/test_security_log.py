"""The security event log (RELIABILITY B7, G4): exactly one JSON line per event, with a UTC timestamp,
the event, its outcome, the actor, the client address, the route and the object id; no line can be
forged through a username or a path; no password, session id or CSRF token is ever written.

Everything goes through the real handler and formatter configured in LOGGING (the ``security_log``
fixture only points the handler's stream at memory), and through the real views and forms.
"""

import datetime
import json
import logging
from collections import Counter

import pytest
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import path, reverse

from accounts.models import Role
from commitments.models import Commitment
from tests import factories
from tests.security.helpers import commitment_data
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
WRONG_PASSWORD = "sai-mat-khau-bi-mat-7731"
FIELDS = ("timestamp", "level", "event", "outcome", "actor", "ip", "route", "object_id")


def assert_well_formed(event: dict) -> None:
    assert tuple(event)[: len(FIELDS)] == FIELDS
    stamp = datetime.datetime.fromisoformat(event["timestamp"])
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.UTC) - stamp) < datetime.timedelta(minutes=5)


def assert_no_secrets(text: str, client: Client | None = None, session_ids=()) -> None:
    """No password typed in these tests, no session id or CSRF cookie of ``client`` and no other
    session id seen during the test."""
    assert factories.PASSWORD not in text and WRONG_PASSWORD not in text
    secrets = [cookie.value for cookie in client.cookies.values()] if client is not None else []
    for secret in [*secrets, *session_ids]:
        assert not secret or secret not in text, "a session id or CSRF token was written to the log"


class SignalCount:
    """How many times each sign-in signal was really sent: the ground truth for "100% of events"."""

    SIGNALS = {
        "login success": user_logged_in,
        "login failure": user_login_failed,
        "logout success": user_logged_out,
    }

    def __init__(self):
        self.sent = Counter()
        self.receivers = {}
        for key, signal in self.SIGNALS.items():
            self.receivers[key] = self.counter(key)
            signal.connect(self.receivers[key], weak=False)

    def counter(self, key):
        def count(sender, **kwargs):
            if key != "logout success" or kwargs.get("user") is not None:
                self.sent[key] += 1

        return count

    def disconnect(self):
        for key, signal in self.SIGNALS.items():
            signal.disconnect(self.receivers[key])


@pytest.fixture
def signals():
    counting = SignalCount()
    yield counting
    counting.disconnect()


def attempt(client, username, password, ip):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_every_login_failure_refusal_and_logout_is_exactly_one_json_record(security_log, signals, caplog):
    factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="officer-a")
    factories.user(Role.LEADERSHIP, username="leader-b")
    client = Client()
    session_ids, refused = [], 0
    with caplog.at_level(logging.DEBUG):
        for n in range(3):  # three sign-ins and sign-outs from three addresses
            assert attempt(client, "officer-a", factories.PASSWORD, f"10.0.0.{n + 1}").status_code == 302
            session_ids.append(client.cookies["sessionid"].value)
            assert client.post(LOGOUT, REMOTE_ADDR=f"10.0.0.{n + 1}").status_code == 302
        for _ in range(5):
            assert attempt(client, "leader-b", WRONG_PASSWORD, "10.0.1.9").status_code == 200
        # Five failures: the next attempts wait (refused unchecked, whatever the password).
        for password in (WRONG_PASSWORD, WRONG_PASSWORD, factories.PASSWORD):
            assert attempt(client, "leader-b", password, "10.0.1.9").status_code == 429
            refused += 1
        assert attempt(client, "nobody-here", WRONG_PASSWORD, "10.0.2.1").status_code == 200
        client.post(LOGOUT)  # not signed in: nothing ends, nothing is logged
    events = security_log.events()
    assert len(events) == len(security_log.lines())
    logged = Counter(f"{e['event']} {e['outcome']}" for e in events)
    assert signals.sent == Counter({"login success": 3, "logout success": 3, "login failure": 6})
    assert logged == signals.sent + Counter({"login_throttled denied": refused}), "one record per event"
    for event in events:
        assert_well_formed(event)
    successes = security_log.events("login", "success")
    assert [(e["actor"], e["ip"], e["route"]) for e in successes] == [
        ("officer-a", f"10.0.0.{n}", LOGIN) for n in (1, 2, 3)
    ]
    assert [e["ip"] for e in security_log.events("logout")] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    refusals = security_log.events("login_throttled")
    assert {(e["actor"], e["ip"], e["reason"]) for e in refusals} == {("leader-b", "10.0.1.9", "username")}
    assert security_log.events("login", "failure")[-1]["actor"] == "nobody-here"
    # The passwords typed appear nowhere: not in the security log, not in any other logger's records.
    assert len(set(session_ids)) == 3
    assert_no_secrets(security_log.text, client, session_ids)
    assert_no_secrets(caplog.text, client, session_ids)
    assert_no_secrets(" ".join(str(record.args) for record in caplog.records), client, session_ids)


def test_a_refused_attempt_names_its_cause_and_wait(security_log, settings):
    settings.SIGN_IN_ADDRESS_FREE_FAILURES = 3
    factories.user(Role.LEADERSHIP, username="leader-c")
    client = Client()
    for n in range(3):  # three usernames from one address: the address waits, not the usernames
        attempt(client, f"someone-{n}", WRONG_PASSWORD, "10.0.3.1")
    assert attempt(client, "leader-c", factories.PASSWORD, "10.0.3.1").status_code == 429
    for n in range(5):  # one username from five addresses: the username waits
        attempt(client, "leader-c", WRONG_PASSWORD, f"10.0.4.{n}")
    assert attempt(client, "leader-c", factories.PASSWORD, "10.0.4.99").status_code == 429
    refusals = security_log.events("login_throttled")
    assert [(e["reason"], e["wait_seconds"]) for e in refusals] == [("address", 30), ("username", 30)]


@pytest.mark.parametrize(
    "username", ['evil\r\nFORGED {"event":"login"}', "red\x1b[31mFORGED\x1b[0m", "a\u2028FORGED\x85x"]
)
def test_a_username_with_cr_lf_or_ansi_cannot_forge_a_line(security_log, username):
    Client().post(LOGIN, {"username": username, "password": WRONG_PASSWORD}, REMOTE_ADDR="10.0.4.1")
    [line] = security_log.lines()
    assert "\r" not in security_log.text and "\x1b" not in security_log.text and "\u2028" not in security_log.text
    assert security_log.text.isascii()
    assert not any(line.startswith("FORGED") for line in security_log.text.splitlines())
    event = json.loads(line)
    assert (event["event"], event["outcome"], event["actor"]) == ("login", "failure", username)


def test_a_path_with_encoded_cr_lf_cannot_forge_a_line(client, world, security_log):
    sign_in(client, world.outsider_officer)
    security_log.clear()
    url = reverse("commitments:commitment_detail", args=[world.commitment.pk]) + "%0D%0AFORGED%1B[31m"
    client.get(url)  # matches no route: a plain 404 …
    client.get("/commitments/%0d%0aFORGED/")
    assert security_log.text == "", "… and an unknown URL is not a security event"


def test_a_refused_object_lookup_is_one_authorization_failure(client, world, security_log):
    sign_in(client, world.outsider_officer)
    security_log.clear()
    url = reverse("commitments:commitment_detail", args=[world.commitment.pk])
    assert client.get(url, REMOTE_ADDR="10.0.5.5").status_code == 404
    [event] = security_log.events()
    assert_well_formed(event)
    assert (event["event"], event["outcome"], event["actor"], event["ip"], event["route"], event["object_id"]) == (
        "authorization_failure",
        "denied",
        world.outsider_officer.username,
        "10.0.5.5",
        url,
        str(world.commitment.pk),
    )
    assert (event["view"], event["status"]) == ("commitments:commitment_detail", 404)
    assert_no_secrets(security_log.text, client)


def test_a_refused_role_is_one_authorization_failure(client, world, security_log):
    sign_in(client, world.leader)
    security_log.clear()
    url = reverse("commitments:commitment_update", args=[world.commitment.pk])
    assert client.post(url).status_code == 403
    [event] = security_log.events()
    assert (event["event"], event["status"], event["object_id"]) == (
        "authorization_failure",
        403,
        str(world.commitment.pk),
    )


def test_a_missing_page_is_not_an_authorization_failure(client, world, security_log):
    sign_in(client, world.city)
    security_log.clear()
    assert client.get("/no-such-page/").status_code == 404
    assert client.get(reverse("commitments:commitment_detail", args=[world.commitment.pk])).status_code == 200
    assert security_log.text == ""


def test_a_csrf_failure_is_one_json_line_without_the_token(world, security_log):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.city)
    client.get(reverse("commitments:commitment_list"))
    security_log.clear()
    url = reverse("commitments:commitment_update", args=[world.commitment.pk])
    response = client.post(url, {"csrfmiddlewaretoken": "x" * 32}, REMOTE_ADDR="10.0.6.6")
    assert response.status_code == 403 and "Chưa gửi được biểu mẫu" in response.content.decode()
    [event] = security_log.events()
    assert_well_formed(event)
    assert (event["event"], event["outcome"], event["actor"], event["ip"], event["route"]) == (
        "csrf_failure",
        "denied",
        "city",
        "10.0.6.6",
        url,
    )
    assert "CSRF" in event["reason"]
    assert_no_secrets(security_log.text, client)


def test_a_tampered_field_is_one_json_line_naming_the_field_not_the_value(client, world, security_log):
    sign_in(client, world.officer)
    security_log.clear()
    url = reverse("commitments:commitment_update", args=[world.commitment.pk])
    version = Commitment.objects.get(pk=world.commitment.pk).version
    # The owner is shown disabled to officers: the browser never sends it; this request did.
    data = commitment_data(world, owner=world.outsider.code, version=version, reason="Theo khảo sát")
    assert client.post(url, data).status_code == 302
    assert Commitment.objects.get(pk=world.commitment.pk).owner_id == world.commitment.owner_id
    [event] = security_log.events()
    assert_well_formed(event)
    assert (event["event"], event["outcome"], event["actor"], event["route"], event["fields"]) == (
        "tampered_field",
        "denied",
        world.officer.username,
        url,
        ["owner"],
    )
    assert world.outsider.code not in security_log.text


def test_a_choice_never_offered_and_a_broken_hidden_field_are_one_line(client, world, security_log):
    sign_in(client, world.city)
    security_log.clear()
    url = reverse("commitments:commitment_update", args=[world.commitment.pk])
    data = commitment_data(world, support_form="bitcoin", version="not-a-number")
    assert client.post(url, data).status_code == 200
    [event] = security_log.events()
    assert (event["event"], event["fields"]) == ("tampered_field", ["support_form", "version"])


def test_an_ordinary_mistake_is_not_tampering(client, world, security_log):
    sign_in(client, world.city)
    security_log.clear()
    url = reverse("commitments:commitment_update", args=[world.commitment.pk])
    version = Commitment.objects.get(pk=world.commitment.pk).version
    assert client.post(url, commitment_data(world, title="", version=version)).status_code == 200
    assert security_log.text == ""


def test_an_upload_rejection_is_one_json_line(client, world, security_log):
    sign_in(client, world.officer)
    security_log.clear()
    url = reverse("commitments:progress_create", args=[world.commitment.pk])
    fake = SimpleUploadedFile("ban-giao.jpg", b"MZ\x90\x00 not an image at all")
    data = {"achieved_quantity": "1", "narrative": "Đã bàn giao", "evidence": [fake]}
    assert client.post(url, data).status_code == 200
    [line] = security_log.lines()
    event = json.loads(line)
    assert_well_formed(event)
    assert (event["event"], event["outcome"], event["actor"], event["route"], event["reason"]) == (
        "upload_rejected",
        "denied",
        world.officer.username,
        url,
        "wrong_type",
    )
    assert event["file_name"] == "ban-giao.jpg"


def explode(request, pk):
    raise RuntimeError("boom")


urlpatterns = [path("explode/<int:pk>/", explode)]
handler500 = "core.views.server_error"


@override_settings(DEBUG=False, ROOT_URLCONF="tests.security.test_security_log")
def test_a_500_is_one_json_line(world, security_log):
    client = Client(raise_request_exception=False)
    sign_in(client, world.city)
    security_log.clear()
    assert client.get("/explode/7/", REMOTE_ADDR="10.0.7.7").status_code == 500
    [event] = security_log.events()
    assert_well_formed(event)
    assert (event["event"], event["outcome"], event["actor"], event["ip"], event["route"]) == (
        "server_error",
        "error",
        "city",
        "10.0.7.7",
        "/explode/7/",
    )
    assert (event["status"], event["error"], event["level"]) == (500, "RuntimeError", "ERROR")
    assert "boom" not in security_log.text and "Traceback" not in security_log.text
    assert_no_secrets(security_log.text, client)


def test_a_plain_message_on_the_security_logger_is_still_one_escaped_line(security_log):
    logging.getLogger("portal.security").warning("note %s", "x\r\ny\x1b")
    [line] = security_log.lines()
    assert json.loads(line)["message"] == "note x\r\ny\x1b"
