"""Connection resilience (RELIABILITY J2): connect_timeout ≤ 3 s, and statements cancelled after 30 s in
web processes and 300 s in Celery workers; management commands and tests keep no limit.

The web and worker cases start the real entry points (config.wsgi, config.asgi, the worker_init
signal of config.celery) in a fresh interpreter, connected to the test database.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings

from config.database import database_settings, limit_statements
from core import checks

ROOT = Path(__file__).resolve().parents[2]


def run_process(code: str, **environment) -> dict:
    """Run ``code`` in a new interpreter on the test database; it prints one JSON line."""
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db["HOST"].startswith("/"):
        url = f"postgresql://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={db['HOST']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url, **environment}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


SHOW_TIMEOUT = """
    import json
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        print(json.dumps({"statement_timeout": cursor.fetchone()[0]}))
"""


def test_every_connection_has_a_connect_timeout_of_at_most_3_seconds():
    options = database_settings("postgresql://u@db.example/portal")["OPTIONS"]
    assert 0 < int(options["connect_timeout"]) <= 3
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == options["connect_timeout"]
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert "statement_timeout" not in options.get("options", "")  # only entry points add it


def test_limit_statements_replaces_a_previous_limit_and_keeps_other_flags():
    databases = {"default": database_settings("postgresql://u@db.example/portal")}
    limit_statements(databases, 30)
    limit_statements(databases, 300)
    assert databases["default"]["OPTIONS"]["options"] == "-c jit=off -c statement_timeout=300s"


@pytest.mark.django_db
@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_web_processes_cancel_statements_after_30_seconds(module):
    shown = run_process(f"import {module}\n" + textwrap.dedent(SHOW_TIMEOUT))
    assert shown == {"statement_timeout": "30s"}


@pytest.mark.django_db
def test_celery_workers_allow_300_seconds():
    start_worker = """
        from celery.signals import worker_init
        import config.celery
        worker_init.send(sender=None)
    """
    shown = run_process(textwrap.dedent(start_worker) + textwrap.dedent(SHOW_TIMEOUT))
    assert shown == {"statement_timeout": "5min"}


@pytest.mark.django_db
def test_management_commands_and_tests_have_no_statement_limit():
    """migrate, seed_scale, backup and restore run here, outside the web and the worker."""
    assert run_process("import django; django.setup()\n" + textwrap.dedent(SHOW_TIMEOUT)) == {"statement_timeout": "0"}
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.django_db
def test_a_web_statement_longer_than_the_limit_is_cancelled():
    """The web's entry point with the limit lowered to 1 s (the mechanism is the same at 30 s)."""
    outcome = run_process(
        """
        import json, time
        import config.wsgi
        from django.db import OperationalError, connection
        started = time.monotonic()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(3)")
            print(json.dumps({"cancelled": False}))
        except OperationalError as error:
            print(json.dumps({"cancelled": True, "error": str(error), "seconds": time.monotonic() - started}))
        """,
        WEB_STATEMENT_TIMEOUT="1",
    )
    assert outcome["cancelled"], outcome
    assert "statement timeout" in outcome["error"]
    assert outcome["seconds"] < 2.5


def test_resilience_checks_fire(settings):
    assert checks.check_database_resilience(None) == []
    options = settings.DATABASES["default"]["OPTIONS"]
    with mock.patch.dict(options):
        del options["connect_timeout"]
        assert {problem.id for problem in checks.check_database_resilience(None)} == {"portal.E050"}
    with override_settings(WEB_STATEMENT_TIMEOUT=120):
        assert {problem.id for problem in checks.check_database_resilience(None)} == {"portal.E051"}
    with override_settings(WORKER_STATEMENT_TIMEOUT=10):
        assert {problem.id for problem in checks.check_database_resilience(None)} == {"portal.E051"}
