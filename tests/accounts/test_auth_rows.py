"""RELIABILITY rows that are cheap to check directly: B2 password policy, B4 storage, B8 no open redirect,
C1 rotation on login, C2 logout, C4 deactivation, A4 cookies, J3 sessions without Redis."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def log_in(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    return response


# --- B2, B4 ----------------------------------------------------------------------------------------


def test_b2_short_and_common_passwords_are_refused_long_passphrases_accepted():
    user = factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="officer-x")
    for weak in ("ngan-11char", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    for length in (64, 128):
        phrase = ("Chúng tôi cùng xây nhà đại đoàn kết ở vùng cao " * 4)[:length]
        assert len(phrase) == length
        validate_password(phrase, user)  # no composition rules, diacritics welcome


def test_b2_no_truncation_two_passwords_differing_at_character_100_are_distinct():
    first = "x" * 99 + "a" + "tail-of-the-passphrase"
    second = "x" * 99 + "b" + "tail-of-the-passphrase"
    user = factories.user(Role.LEADERSHIP)
    user.set_password(first)
    assert user.check_password(first) and not user.check_password(second)


def test_b4_production_hashes_with_argon2id():
    import config.settings.base as production  # tests swap in MD5 for speed

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("một mật khẩu đủ dài", hasher=Argon2PasswordHasher())
    assert encoded.startswith("argon2$argon2id$")


# --- B8 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "///evil.example"])
def test_b8_login_never_redirects_off_site(target):
    user = factories.user(Role.LEADERSHIP)
    client = Client()
    response = client.post(f"{LOGIN}?next={target}", {"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:dashboard")


# --- C1, C2, C4 ------------------------------------------------------------------------------------


def test_c1_the_session_id_changes_at_login_and_the_old_one_is_gone():
    user = factories.user(Role.LEADERSHIP)
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    log_in(client, user)
    after = client.session.session_key
    assert before != after
    assert not Session.objects.filter(session_key=before).exists()


def test_c2_logout_deletes_the_server_side_session_and_the_old_cookie_is_refused():
    user = factories.user(Role.LEADERSHIP)
    client = Client()
    log_in(client, user)
    key = client.session.session_key
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    response = replay.get(reverse("communes:commune_list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_c4_a_deactivated_user_is_anonymous_on_the_next_request():
    user = factories.user(Role.LEADERSHIP)
    client = Client()
    log_in(client, user)
    assert client.get(reverse("communes:commune_list")).status_code == 200
    user.is_active = False
    user.save()
    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- A4 --------------------------------------------------------------------------------------------


@override_settings(
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SESSION_COOKIE_NAME="__Host-sessionid",
    CSRF_COOKIE_NAME="__Host-csrftoken",
)
def test_a4_cookies_are_host_prefixed_secure_httponly_and_lax():
    user = factories.user(Role.LEADERSHIP)
    client = Client()
    client.get(LOGIN, secure=True)
    response = client.post(LOGIN, {"username": user.username, "password": factories.PASSWORD}, secure=True)
    session = response.cookies["__Host-sessionid"]
    assert session["secure"] and session["httponly"] and session["path"] == "/" and not session["domain"]
    assert session["samesite"] in ("Lax", "Strict")
    csrf = client.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["path"] == "/" and not csrf["domain"]
    assert settings.SESSION_COOKIE_HTTPONLY


def test_a4_production_settings_name_the_cookies_host_prefixed_when_secure():
    # The test settings turn secure cookies off, so production's values are read in a fresh interpreter
    # with the environment production has (no DJANGO_DEBUG, no DJANGO_SECURE_COOKIES).
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SECRET_KEY"] = "production-like-key-for-this-test-only-0123456789"
    code = (
        "import config.settings.base as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)"
    )
    printed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert printed.stdout.split() == ["True", "True", "__Host-sessionid", "__Host-csrftoken"]


# --- J2, J3 ----------------------------------------------------------------------------------------


def test_j2_j3_sessions_and_lockouts_live_in_postgresql_with_health_checks():
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    assert issubclass(import_module(settings.SESSION_ENGINE).SessionStore, DatabaseSessionStore)
    assert settings.AXES_HANDLER.endswith("AxesDatabaseHandler") and settings.AXES_ENABLE_ACCESS_FAILURE_LOG
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
