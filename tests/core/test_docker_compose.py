"""docker-compose.yml is for production; no Docker engine runs here, so its consistency is checked."""

import importlib
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ["web", "worker", "beat"]


def settings_variables() -> set[str]:
    """Names the settings read from the environment (env("X"), env.bool("X"), …)."""
    source = "\n".join(path.read_text() for path in (ROOT / "config").rglob("*.py"))
    return set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z0-9_]+)["']""", source))


def test_expected_services_with_healthchecks():
    assert set(COMPOSE["services"]) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in COMPOSE["services"].items():
        assert "healthcheck" in service, name


def test_app_commands_name_real_modules():
    web = shlex.split(COMPOSE["services"]["web"]["command"])
    assert web[0] == "gunicorn"
    module, attribute = web[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    for name in ["worker", "beat"]:
        command = shlex.split(COMPOSE["services"][name]["command"])
        assert command[:2] == ["celery", "-A"]
        app_module = importlib.import_module(command[2])
        assert app_module.celery_app.main == "ketnghia"


def test_every_variable_set_for_the_app_is_read_by_the_settings():
    known = settings_variables() | {"DJANGO_SETTINGS_MODULE"}
    for name in APP_SERVICES:
        variables = set(COMPOSE["services"][name]["environment"])
        assert variables <= known, f"{name}: {variables - known} are not read by the settings"


def test_env_example_documents_every_setting_variable():
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert settings_variables() - {"DJANGO_ENV_FILE"} <= documented


def test_redis_keeps_queued_jobs():
    command = COMPOSE["services"]["redis"]["command"]
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert "--requirepass" in command


def test_worker_consumes_the_reports_queue():
    from django.conf import settings

    queues = shlex.split(COMPOSE["services"]["worker"]["command"])
    listed = queues[queues.index("--queues") + 1].split(",")
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed <= set(listed)


PRELOAD_PROBE = """
import gc
import config.wsgi
from django.db import connections
print(gc.get_threshold() == config.wsgi.WEB_GC_THRESHOLDS != (700, 10, 10))
print(gc.get_freeze_count() > 1000, sum(connection.connection is not None for connection in connections.all()))
"""


def test_a_preloaded_web_application_opens_no_database_connection_before_the_fork():
    """gunicorn --preload imports the application once in the master and forks the workers from it: a
    connection opened at import would be shared by every worker's process. What it loaded is frozen
    (gc.freeze) so that the workers' collections do not scan it, and they run less often than by default."""
    import os
    import subprocess
    import sys

    assert "--preload" in shlex.split(COMPOSE["services"]["web"]["command"])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", PRELOAD_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tuned, frozen, connected = done.stdout.split()[-3:]
    assert connected == "0"
    assert frozen == "True"  # what the master loaded is out of the workers' garbage collections
    assert tuned == "True"  # and young collections run less often than Python's default (every 700)


def test_the_web_entry_point_compiles_every_template_before_serving():
    """config.wsgi loads the templates into the cached loader (once in the preloading master)."""
    import config.wsgi

    templates = list((ROOT / "templates").rglob("*.html"))
    assert config.wsgi.compile_templates() == len(templates) > 40
