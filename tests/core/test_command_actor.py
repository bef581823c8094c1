"""Audit events written by management commands name the command (issue 21 item 6).

Reports made with ``manage.py generate_report`` left audit events with no user, no task and no command.
Here the real ``manage.py`` runs in a subprocess against the test database, as an operator would.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pghistory.models import Events

from core.commands import UNAUDITED_COMMANDS, command_name
from tests.live_services import database_url

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DJANGO_ENV_FILE": "/dev/null",
            "DATABASE_URL": database_url(),
            "REDIS_URL": "",  # --sync: rendered in the command's own process
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def actor(context: dict | None) -> str | None:
    context = context or {}
    return next((f"{key}={context[key]}" for key in ("user", "task", "command") if context.get(key)), None)


@pytest.mark.django_db(transaction=True)
def test_generate_report_from_the_command_line_names_the_command(world):
    before = set(Events.objects.values_list("pgh_id", "pgh_model"))
    result = manage("generate_report", "--period", "2025-Q4", "--scope", f"unit:{world.outsider.code}", "--sync")
    assert result.returncode == 0, result.stderr[-3000:]
    written = [event for event in Events.objects.all() if (event.pgh_id, event.pgh_model) not in before]
    assert any(event.pgh_model == "reports.ReportEvent" for event in written), written
    # The rendering (reports/tasks.py) adds its task to the same context: the command stays named.
    assert all(actor(event.pgh_context) for event in written)
    assert {(event.pgh_context or {}).get("command") for event in written} == {"generate_report"}


@pytest.mark.django_db(transaction=True)
def test_a_change_made_in_the_shell_names_the_shell(world):
    code = (
        f"from communes.models import Commune; Commune.objects.filter(pk={world.outsider.pk}).update(name='Sơn Trà 2')"
    )
    result = manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr[-3000:]
    event = Events.objects.filter(pgh_model="communes.CommuneEvent", pgh_label="update").get()
    assert actor(event.pgh_context) == "command=shell"


def test_only_the_benchmark_seeder_runs_without_a_context():
    assert UNAUDITED_COMMANDS == {"seed_scale"}
    assert command_name(["manage.py"]) is None and command_name(["manage.py", "--version"]) is None
    assert command_name(["manage.py", "generate_report", "--sync"]) == "generate_report"
