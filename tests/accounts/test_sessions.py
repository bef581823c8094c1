import os
import subprocess
import sys
import time
from importlib import import_module

import pytest
from django.urls import reverse

from accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from accounts.validators import ContextWordsValidator
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def test_htmx_request_after_expiry_gets_hx_redirect_to_login(client):
    response = client.get(reverse("communes:commune_list"), headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response["HX-Redirect"] == reverse("accounts:login")


def test_plain_request_without_login_is_redirected(client):
    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_session_ends_after_twelve_hours_in_all(client, settings):
    sign_in(client, factories.user())
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_authenticated_pages_are_not_cached(client):
    sign_in(client, factories.user())
    response = client.get(reverse("communes:commune_list"))
    assert "no-store" in response["Cache-Control"]


def test_session_ends_after_thirty_idle_minutes(client, settings):
    sign_in(client, factories.user())
    session = client.session
    session[SESSION_SEEN_KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()  # written through to the cache too (cached_db): the page reads this copy
    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(session.session_key)


def test_activity_renews_the_idle_clock_at_most_once_a_minute(client):
    sign_in(client, factories.user())
    session = client.session
    session[SESSION_SEEN_KEY] = int(time.time()) - 120
    session.save()
    client.get(reverse("communes:commune_list"))
    renewed = client.session[SESSION_SEEN_KEY]
    assert time.time() - renewed < 5
    from tests.assertions import count_queries

    with count_queries() as first:
        client.get(reverse("communes:commune_list"))
    assert client.session[SESSION_SEEN_KEY] == renewed  # not rewritten within the minute
    assert not any("UPDATE" in q["sql"] and "django_session" in q["sql"] for q in first.captured_queries)


@pytest.mark.parametrize("password", ["DaNang-2025-secure", "ketnghia!!2025x", "my-Đà-Nẵng-pass-1"])
def test_context_words_are_refused(password):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ContextWordsValidator().validate(password)


def test_username_inside_password_is_refused():
    from django.core.exceptions import ValidationError

    user = factories.user(username="officer-20257")
    with pytest.raises(ValidationError):
        ContextWordsValidator().validate("xx-Officer-20257-yy", user)
    ContextWordsValidator().validate("correct horse battery staple", user)


# --- The session engine (config/settings/base.py) ---------------------------------------------


def production_settings(**environ) -> list[str]:
    """The session engine, its cache's backend and the user backend as production's settings set them, read
    in a fresh interpreter (the test settings differ) with production's environment plus ``environ``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "REDIS_URL"}
    env |= {"DJANGO_SECRET_KEY": "production-like-key-for-this-test-only-0123456789", **environ}
    code = (
        "import config.settings.base as s;"
        "print(s.SESSION_ENGINE, s.CACHES[s.SESSION_CACHE_ALIAS]['BACKEND'], s.AUTHENTICATION_BACKENDS[-1])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()


def test_with_redis_sessions_are_cached_db_on_a_fail_open_cache():
    # A plain Redis backend would fail every signed-in request while Redis is down (RELIABILITY J3).
    assert production_settings(REDIS_URL="redis://redis:6379/0") == [
        "django.contrib.sessions.backends.cached_db",
        "core.cache.FailOpenRedisCache",
        "accounts.backends.CachedModelBackend",
    ]


def test_without_redis_sessions_are_database_sessions_and_nothing_is_cached():
    # A per-process copy would outlive a logout or a deactivation made in another process.
    assert production_settings() == [
        "django.contrib.sessions.backends.db",
        "django.core.cache.backends.dummy.DummyCache",
        "accounts.backends.CachedModelBackend",
    ]


def test_logout_deletes_the_session_row_and_its_cached_copy(client):
    from django.conf import settings
    from django.contrib.sessions.models import Session

    sign_in(client, factories.user())
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    client.post(reverse("accounts:logout"))

    assert not Session.objects.filter(session_key=key).exists()
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(key)  # nor its cached copy
