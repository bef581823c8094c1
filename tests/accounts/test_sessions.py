import time

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
    session.save()
    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302


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


# --- The session engine -------------------------------------------------------------------------


def test_sessions_are_djangos_database_sessions_so_they_survive_a_redis_outage():
    from django.conf import settings

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_logout_deletes_the_session_row(client):
    from django.contrib.sessions.models import Session

    sign_in(client, factories.user())
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    client.post(reverse("accounts:logout"))

    assert not Session.objects.filter(session_key=key).exists()
