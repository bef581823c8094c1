"""config/celery.py: worker processes give the CPU to the web server first (WORKER_NICENESS, SCHED_IDLE)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, django
django.setup()
from config.celery import yield_the_cpu_to_people
before = os.nice(0)
yield_the_cpu_to_people()
print(before, os.nice(0), int(os.sched_getscheduler(0) == os.SCHED_IDLE))
"""


def test_a_worker_process_lowers_its_priority_by_the_configured_niceness():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WORKER_NICENESS": "7"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    before, after, idle = map(int, done.stdout.split())
    assert after == min(before + 7, 19)
    assert idle == 1  # SCHED_IDLE (WORKER_IDLE_SCHEDULING defaults to true)


def test_idle_scheduling_can_be_turned_off():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WORKER_IDLE_SCHEDULING": "false"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[2] == "0"


def test_the_hook_is_connected_to_worker_process_init():
    from celery.signals import worker_process_init

    from config.celery import yield_the_cpu_to_people

    assert any(receiver() is yield_the_cpu_to_people for _key, receiver in worker_process_init.receivers)
