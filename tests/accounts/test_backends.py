"""accounts.backends.PortalModelBackend: Django's ModelBackend, with get_user's SQL compiled once."""

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse

from accounts.backends import PortalModelBackend
from accounts.models import Role
from tests import factories
from tests.assertions import count_queries

pytestmark = pytest.mark.django_db


def field_values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_axes_checks_a_login_before_the_password_backend():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "accounts.backends.PortalModelBackend",
    ]


def test_get_user_equals_model_backends_with_the_unit_in_one_query():
    officer = factories.user(Role.UNIT_OFFICER, commune=factories.commune())
    expected = ModelBackend().get_user(officer.pk)

    with count_queries() as queries:
        user = PortalModelBackend().get_user(officer.pk)
        commune_name = user.commune.name

    assert len(queries) == 1
    assert field_values(user) == field_values(expected)
    assert commune_name == expected.commune.name


def test_get_user_takes_the_key_as_the_session_stores_it():
    user = factories.user()

    assert PortalModelBackend().get_user(str(user.pk)) == user


def test_get_user_answers_none_for_an_inactive_user():
    user = factories.user(is_active=False)

    assert PortalModelBackend().get_user(user.pk) is None


def test_get_user_answers_none_for_a_key_that_matches_nobody():
    assert PortalModelBackend().get_user(10**12) is None
    assert PortalModelBackend().get_user(None) is None


def test_a_deactivated_user_is_anonymous_on_the_next_request(client):
    user = factories.user()
    client.force_login(user)
    assert client.get(reverse("communes:commune_list")).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_password_changed_elsewhere_ends_the_session(client):
    user = factories.user()
    client.force_login(user)

    user.set_password("another long passphrase 42")
    user.save()

    response = client.get(reverse("communes:commune_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_login_stores_this_backend_in_the_session(client):
    user = factories.user(Role.LEADERSHIP)
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": factories.PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "accounts.backends.PortalModelBackend"
