"""docker-compose.yml is for production; no Docker engine runs here, so its consistency is checked."""

import importlib
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ["web", "web-2", "worker", "beat"]


def settings_variables() -> set[str]:
    """Names the settings read from the environment (env("X"), env.bool("X"), …)."""
    source = "\n".join(path.read_text() for path in (ROOT / "config").rglob("*.py"))
    return set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z0-9_]+)["']""", source))


def test_expected_services_with_healthchecks():
    assert set(COMPOSE["services"]) == {"migrate", "web", "web-2", "nginx", "worker", "beat", "postgres", "redis"}
    for name, service in COMPOSE["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"  # one-shot: runs to completion before the others start
        else:
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
    for name in [*APP_SERVICES, "migrate"]:
        variables = set(COMPOSE["services"][name]["environment"])
        assert variables <= known, f"{name}: {variables - known} are not read by the settings"


def test_env_example_documents_every_setting_variable():
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert settings_variables() - {"DJANGO_ENV_FILE"} <= documented


def database_user(service: str) -> str:
    return urlsplit(COMPOSE["services"][service]["environment"]["DATABASE_URL"]).username


def env_files(service: str) -> list[str]:
    files = COMPOSE["services"][service].get("env_file", [])
    return [files] if isinstance(files, str) else files


def init_script_default(variable: str) -> str:
    """The role name deploy/postgres-init/10-roles.sh uses when the variable is not set (as in compose)."""
    script = (ROOT / "deploy" / "postgres-init" / "10-roles.sh").read_text()
    return re.search(rf"\$\{{{variable}:-([a-z_]+)\}}", script).group(1)


def test_the_portal_runs_as_the_application_role_and_migrates_as_the_owner():
    """RELIABILITY A7: web, worker and beat sign in as a role that owns nothing, only after migrate (as
    the owner, which then grants that role) has succeeded, and never see the owner's password."""
    app, owner = init_script_default("POSTGRES_APP_ROLE"), init_script_default("POSTGRES_OWNER_ROLE")
    assert app != owner
    for name in APP_SERVICES:
        service = COMPOSE["services"][name]
        assert database_user(name) == app, name
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert "postgres.env" not in env_files(name), name
        assert "DATABASE_APP_ROLE" not in service["environment"], name
        assert "OWNER" not in yaml.safe_dump(service), name
    migrate = COMPOSE["services"]["migrate"]
    assert database_user("migrate") == owner
    assert urlsplit(migrate["environment"]["DATABASE_URL"]).password is None  # PGPASSWORD, from postgres.env
    assert 'PGPASSWORD="$$POSTGRES_OWNER_PASSWORD"' in migrate["entrypoint"][2]
    assert migrate["environment"]["DATABASE_APP_ROLE"] == app
    assert "postgres.env" in env_files("migrate")
    assert shlex.split(migrate["command"]) == ["python", "manage.py", "migrate", "--no-input"]


def test_postgres_creates_the_roles_on_a_new_volume_and_redis_and_postgres_are_not_published():
    postgres = COMPOSE["services"]["postgres"]
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert env_files("postgres") == ["postgres.env"]
    assert "POSTGRES_USER" not in postgres["environment"]  # the superuser is "postgres", used by no service
    scripts = sorted(path.name for path in (ROOT / "deploy" / "postgres-init").iterdir())
    assert scripts == ["10-roles.sh", "20-superuser-local-only.sh"]
    for name in ["postgres", "redis"]:
        assert "ports" not in COMPOSE["services"][name], name  # reachable on the compose network only
    for name in ("web", "web-2"):
        assert "ports" not in COMPOSE["services"][name], name  # behind nginx only
    assert COMPOSE["services"]["nginx"]["ports"] == ["80:80", "443:443"]


def test_every_password_compose_needs_is_documented():
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (ROOT / "docker-compose.yml").read_text()))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert interpolated <= documented
    postgres_env = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / "deploy" / "postgres.env.example").read_text(), re.M))
    assert postgres_env == {"POSTGRES_PASSWORD", "POSTGRES_OWNER_PASSWORD"}
    assert not postgres_env & documented  # not in .env, which web, worker and beat read
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "postgres.env"} <= set(ignored)  # nor baked into the image


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
from config.web_process import WEB_GC_THRESHOLDS
from django.db import connections
print(gc.get_threshold() == WEB_GC_THRESHOLDS != (700, 10, 10))
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
    from config.web_process import compile_templates

    templates = list((ROOT / "templates").rglob("*.html"))
    assert compile_templates() == len(templates) > 40


def test_nginx_sits_in_front_of_both_web_processes_with_the_portals_limits():
    """Issue 21 items 9 and 10: the template docker-compose mounts is the one tests/core/test_multi_host.py
    runs; every ${VAR} it uses is set, its upstreams are the two web services on gunicorn's port, and its
    body limit is REQUEST_MAX_BYTES."""
    from django.conf import settings

    nginx = COMPOSE["services"]["nginx"]
    template = ROOT / "deploy" / "nginx" / "ketnghia.conf.template"
    assert f"./{template.relative_to(ROOT)}:/etc/nginx/templates/ketnghia.conf.template:ro" in nginx["volumes"]
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", template.read_text()))
    assert used == set(nginx["environment"])
    bind = shlex.split(COMPOSE["services"]["web"]["command"])
    port = bind[bind.index("--bind") + 1].rsplit(":", 1)[1]
    assert {nginx["environment"]["WEB_1"], nginx["environment"]["WEB_2"]} == {f"web:{port}", f"web-2:{port}"}
    assert COMPOSE["services"]["web-2"]["command"] == COMPOSE["services"]["web"]["command"]
    limit = re.search(r"client_max_body_size (\d+)m;", template.read_text()).group(1)
    assert int(limit) * 1024 * 1024 == settings.REQUEST_MAX_BYTES
    assert set(nginx["depends_on"]) == {"web", "web-2"}


def test_the_report_worker_has_a_smaller_cpu_share_than_the_web():
    """Reports never wait inside a task for a quiet machine: the deployment caps the worker's CPU
    (docs/OPERATIONS.md §6) and weighs it below the web services, which keep the default weight."""
    worker = COMPOSE["services"]["worker"]
    cap = re.fullmatch(r"\$\{WORKER_CPUS:-([0-9.]+)\}", str(worker["cpus"]))
    assert cap is not None and 0 < float(cap.group(1)) <= 1
    for name in ["web", "web-2"]:
        assert worker["cpu_shares"] < COMPOSE["services"][name].get("cpu_shares", 1024), name
