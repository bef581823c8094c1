"""accounts.checks: each sign-in and session check fires on the setting it guards (the throttling
checks E041–E043: tests/accounts/test_lockout.py)."""

import pytest
from django.test import override_settings

from accounts import checks


def ids(problems):
    return {problem.id for problem in problems}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SESSION_COOKIE_AGE": 3600}, "portal.E010"),
        ({"SESSION_IDLE_SECONDS": 3600}, "portal.E010"),
        ({"SESSION_ABSOLUTE_SECONDS": 24 * 3600}, "portal.E011"),
        ({"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_NAME": "sessionid"}, "portal.W012"),
        ({"CSRF_COOKIE_SECURE": True, "CSRF_COOKIE_NAME": "csrftoken"}, "portal.W013"),
    ],
)
def test_session_checks_fire(overrides, expected):
    with override_settings(**overrides):
        assert expected in ids(checks.check_sessions(None))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.cache"}, "portal.E014"),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}, "portal.E014"),
        ({"SESSION_CACHE_ALIAS": "nowhere"}, "portal.E015"),
    ],
)
def test_session_store_checks_fire(overrides, expected):
    assert checks.check_session_store() == []
    with override_settings(**overrides):
        assert expected in ids(checks.check_session_store())


def test_a_plain_redis_cache_for_the_sessions_is_refused(settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.SESSION_CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    assert ids(checks.check_session_store()) == {"portal.E015"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"MIDDLEWARE": ["django.contrib.sessions.middleware.SessionMiddleware"]}, "portal.E040"),
    ],
)
def test_authentication_checks_fire(overrides, expected):
    assert checks.check_authentication(None) == []
    with override_settings(**overrides):
        assert expected in ids(checks.check_authentication(None))
