"""accounts.backends.CachedModelBackend: Django's ModelBackend with the signed-in user kept in the cache."""

import logging

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.backends import CachedModelBackend, cache_key
from accounts.models import Role
from tests import factories
from tests.assertions import count_queries
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PAGE = "/communes/"
LOGIN = reverse("accounts:login")

# Nothing listens there: every cache call fails as with Redis down.
UNREACHABLE = {
    "BACKEND": "core.cache.FailOpenRedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "KEY_PREFIX": "unreachable",
    "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
}


def field_values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if '"accounts_user"' in q["sql"].split(" WHERE ")[0]]


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    assert client.get(PAGE).status_code == 200  # the user is now cached
    return client


def test_axes_checks_a_login_before_the_password_backend():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "accounts.backends.CachedModelBackend",
    ]


def test_get_user_equals_model_backends_and_is_then_read_from_the_cache_unit_included():
    officer = factories.user(Role.UNIT_OFFICER, commune=factories.commune(name="Phường Hải Châu"))
    expected = ModelBackend().get_user(officer.pk)
    assert field_values(CachedModelBackend().get_user(officer.pk)) == field_values(expected)

    with count_queries() as queries:
        user = CachedModelBackend().get_user(officer.pk)
        unit = user.commune.name

    assert len(queries) == 0
    assert field_values(user) == field_values(expected)
    assert unit == "Phường Hải Châu"


def test_get_user_answers_none_for_a_key_that_matches_nobody():
    assert CachedModelBackend().get_user(987654321) is None
    assert caches[settings.SESSION_CACHE_ALIAS].get(cache_key(987654321)) is None


def test_saving_the_user_forgets_the_cached_copy():
    user = factories.user(Role.LEADERSHIP, first_name="An")
    CachedModelBackend().get_user(user.pk)
    user.first_name = "Bình"
    user.save(update_fields=["first_name"])

    assert caches[settings.SESSION_CACHE_ALIAS].get(cache_key(user.pk)) is None
    assert CachedModelBackend().get_user(user.pk).first_name == "Bình"


def test_a_copy_cached_by_another_request_before_the_commit_is_dropped_at_the_commit(
    django_capture_on_commit_callbacks,
):
    user = factories.user(Role.LEADERSHIP, first_name="An")
    stale = CachedModelBackend().get_user(user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        user.first_name = "Bình"
        user.save()
        caches[settings.SESSION_CACHE_ALIAS].set(cache_key(user.pk), stale)  # a concurrent request read the old row
    assert CachedModelBackend().get_user(user.pk).first_name == "Bình"


def test_deleting_the_user_forgets_the_cached_copy():
    user = factories.user(Role.LEADERSHIP)
    CachedModelBackend().get_user(user.pk)
    user.delete()

    assert CachedModelBackend().get_user(user.pk) is None


def test_renaming_the_unit_forgets_its_officers_cached_copies():
    commune = factories.commune(name="Xã Hòa Bắc")
    officer = factories.user(Role.UNIT_OFFICER, commune=commune)
    client = signed_in(officer)
    commune.name = "Xã Hòa Bắc mới"
    commune.save()

    assert "Xã Hòa Bắc mới" in client.get(PAGE).content.decode()  # the header shows the unit


def test_a_deactivated_user_is_signed_out_at_the_next_request_although_they_were_cached():
    user = factories.user(Role.LEADERSHIP)
    client = signed_in(user)
    with count_queries() as queries:
        assert client.get(PAGE).status_code == 200
    assert user_queries(queries) == []  # served from the cache
    user.is_active = False
    user.save()

    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_changed_password_ends_a_cached_users_other_sessions():
    user = factories.user(Role.LEADERSHIP)
    client = signed_in(user)
    user.set_password("một mật khẩu mới thật dài 2026")
    user.save()

    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_cached_copy_of_an_inactive_user_still_signs_nobody_in():
    user = factories.user(Role.LEADERSHIP, is_active=False)
    assert CachedModelBackend().get_user(user.pk) is None
    assert CachedModelBackend().get_user(user.pk) is None  # from the cache this time


def test_a_signed_in_page_reads_neither_the_session_nor_the_user_from_postgresql():
    client = signed_in(factories.user(Role.UNIT_OFFICER, commune=factories.commune()))
    with count_queries() as queries:
        assert client.get(PAGE).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any("django_session" in statement for statement in sql), sql
    assert user_queries(queries) == []


def test_with_the_cache_down_users_sign_in_browse_and_sign_out_from_postgresql(settings):
    settings.CACHES = {**settings.CACHES, settings.SESSION_CACHE_ALIAS: UNREACHABLE}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    user = factories.user(Role.UNIT_OFFICER, commune=factories.commune(name="Xã Hòa Vang"))
    client = Client()
    logging.getLogger("core.cache").disabled = True  # one warning per outage: not what this test reads
    try:
        response = client.post(LOGIN, {"username": user.username, "password": factories.PASSWORD})
        assert response.status_code == 302
        page = client.get(PAGE)
        assert page.status_code == 200 and "Xã Hòa Vang" in page.content.decode()
        user.is_active = False
        user.save()  # the cache cannot be told: the user is read from PostgreSQL anyway
        response = client.get(PAGE)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    finally:
        logging.getLogger("core.cache").disabled = False
