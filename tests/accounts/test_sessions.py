import time

import pytest
from django.urls import reverse

from accounts.middleware import SESSION_STARTED_KEY
from accounts.validators import ContextWordsValidator
from tests import factories

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
    client.force_login(factories.user())
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_authenticated_pages_are_not_cached(client):
    client.force_login(factories.user())
    response = client.get(reverse("communes:commune_list"))
    assert "no-store" in response["Cache-Control"]


def test_idle_timeout_is_thirty_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST


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
