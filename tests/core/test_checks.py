import pytest
from django.core.checks import run_checks
from django.test import override_settings

from core import checks


def ids(problems):
    return {problem.id for problem in problems}


def test_current_settings_pass_every_project_check():
    assert [p for p in run_checks() if p.id.startswith("portal.")] == []


def test_csp_checks_fire(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != checks.CSP_MIDDLEWARE]
    settings.SECURE_CSP = {"script-src": ["'self'", "'unsafe-inline'"]}
    assert ids(checks.check_content_security_policy(None)) == {"portal.E001", "portal.E002", "portal.E003"}


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
        ({"MIDDLEWARE": ["django.contrib.sessions.middleware.SessionMiddleware"]}, "portal.E040"),
    ],
)
def test_authentication_checks_fire(overrides, expected):
    assert checks.check_authentication(None) == []
    with override_settings(**overrides):
        assert expected in ids(checks.check_authentication(None))


def test_upload_checks_fire():
    with override_settings(UPLOAD_MAX_BYTES=500 * 1024 * 1024):
        assert ids(checks.check_upload_limits(None)) == {"portal.E020"}
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):
        assert ids(checks.check_upload_limits(None)) == {"portal.E021"}
    for overrides in (
        {"DATA_UPLOAD_MAX_MEMORY_SIZE": 5 * 1024 * 1024},
        {"DATA_UPLOAD_MAX_NUMBER_FIELDS": None},
        {"DATA_UPLOAD_MAX_NUMBER_FILES": 100},
    ):
        with override_settings(**overrides):
            assert ids(checks.check_upload_limits(None)) == {"portal.E022"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"CELERY_TASK_ACKS_LATE": False}, "portal.E030"),
        ({"CELERY_TASK_REJECT_ON_WORKER_LOST": False}, "portal.E030"),
        ({"CELERY_WORKER_PREFETCH_MULTIPLIER": 4}, "portal.E031"),
        ({"CELERY_TASK_TIME_LIMIT": 10_000}, "portal.E032"),
        ({"CELERY_ACCEPT_CONTENT": ["json", "pickle"]}, "portal.E033"),
        ({"CELERY_TASK_SERIALIZER": "pickle"}, "portal.E033"),
    ],
)
def test_celery_checks_fire(overrides, expected):
    with override_settings(**overrides):
        assert expected in ids(checks.check_celery_delivery(None))


def test_deploy_warns_while_uploads_are_scanned_by_the_stub():
    with override_settings(UPLOAD_SCANNER="stub"):
        assert ids(checks.check_upload_scanner(None)) == {"portal.W040"}
    with override_settings(UPLOAD_SCANNER="clamd:/run/clamav/clamd.ctl"):
        assert checks.check_upload_scanner(None) == []
