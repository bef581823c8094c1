"""The pipeline with a REAL Celery worker and a REAL Redis (RELIABILITY.md I3, L1).

Skipped locally without Redis; under CI=true a missing Redis fails (tests/conftest.py ``redis_url``).
Each test starts its own worker against the pytest database and kills every process it started.
Redis: the tests use database 5 of the REDIS_URL server and flush only that database.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from celery import Celery
from django.conf import settings

from reports.models import Report
from tests import factories
from tests.live_services import ROOT, database_url, redis_db_url, stored_pdfs, wait_for
from tests.reports.programme import city_programme

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REDIS_DB = 5
TIME_LIMIT = 60  # seconds per test, worker start included


def environment(redis: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DJANGO_ENV_FILE": "/dev/null",
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis,
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    return env


class Worker:
    """A `celery -A config worker` subprocess in its own process group, always killed at the end."""

    def __init__(self, redis: str, log: Path, concurrency: int = 1):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "reports,celery",
                "-c",
                str(concurrency),
                "-P",
                "prefork",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=environment(redis),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log = log

    def pool_children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if "ready." in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.2)
        raise AssertionError("worker did not start:\n" + self.log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # our own process group: the worker and its children
        self.process.wait(timeout=10)


@pytest.fixture
def redis(redis_url):
    import redis as redis_client

    url = redis_db_url(redis_url, REDIS_DB)
    client = redis_client.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def deadline():
    return time.monotonic() + TIME_LIMIT


@pytest.fixture
def start_worker(redis, tmp_path, deadline):
    workers = []

    def start(concurrency: int = 1) -> Worker:
        worker = Worker(redis, tmp_path / f"worker-{len(workers)}.log", concurrency)
        workers.append(worker)
        worker.wait_ready(deadline)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def publisher(redis):
    app = Celery("integration-test", broker=redis)
    app.conf.broker_connection_retry_on_startup = False
    yield app
    app.close()


def test_a_request_is_rendered_by_the_worker(redis, start_worker, deadline, tmp_path):
    """The real path: generate_report requests (on commit, through Redis), the worker renders, it prints the path."""
    world = city_programme()
    worker = start_worker()
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "generate_report",
            "--period",
            "2025-Q4",
            "--scope",
            f"partnership:{world.partnership.pk}",
            "--timeout",
            "45",
        ],
        cwd=ROOT,
        env=environment(redis),
        capture_output=True,
        text=True,
        timeout=max(1, deadline - time.monotonic()),
    )
    assert result.returncode == 0, result.stderr + worker.log.read_text(errors="replace")[-2000:]
    report = Report.objects.get()
    assert report.status == Report.Status.DONE
    assert result.stdout.strip() == report.pdf.path
    assert report.worker and report.worker.split(":")[1] != str(os.getpid())
    assert Path(report.pdf.path).read_bytes().startswith(b"%PDF-")
    # The workbook follows the PDF, as a task of its own through the same broker and worker.
    while time.monotonic() < deadline and report.xlsx_status == Report.WorkbookStatus.PENDING:
        time.sleep(0.05)
        report.refresh_from_db()
    assert report.xlsx_status == Report.WorkbookStatus.DONE, worker.log.read_text(errors="replace")[-2000:]
    assert Path(report.xlsx.path).read_bytes().startswith(b"PK")


def test_the_same_message_delivered_twice_makes_one_file(start_worker, publisher, deadline):
    world = city_programme()
    report = Report.objects.create(
        period=factories.period(2025, 4), kind=Report.Kind.PARTNERSHIP, partnership=world.partnership
    )
    before = set(stored_pdfs())
    worker = start_worker(concurrency=2)  # the two deliveries may run at the same time
    task_id = str(uuid.uuid4())
    for _ in range(2):
        publisher.send_task("reports.tasks.render_report_task", args=[report.pk], queue="reports", task_id=task_id)
    wait_for(report, {Report.Status.DONE}, deadline, worker.log)
    # Let the second delivery finish too, then check it changed nothing.
    # (The workbook follow-up task succeeds in the log too: count the renderings only.)
    renderings = re.compile(r"render_report_task\[[^\]]+\] succeeded in")
    while time.monotonic() < deadline and len(renderings.findall(worker.log.read_text(errors="replace"))) < 2:
        time.sleep(0.1)
    assert len(renderings.findall(worker.log.read_text(errors="replace"))) == 2
    report.refresh_from_db()
    assert report.attempts == 1
    assert set(stored_pdfs()) - before == {Path(report.pdf.path)}


def test_a_worker_killed_mid_report_completes_it_after_restart(start_worker, publisher, deadline):
    city_programme(partnerships=30)  # a city report of several pages: rendering takes a few seconds
    report = Report.objects.create(period=factories.period(2025, 4), kind=Report.Kind.CITY)
    before = set(stored_pdfs())
    worker = start_worker()
    publisher.send_task("reports.tasks.render_report_task", args=[report.pk], queue="reports")
    wait_for(report, {Report.Status.RUNNING}, deadline, worker.log)
    children = worker.pool_children()
    assert children, "no pool process"
    for child in children:
        child.send_signal(signal.SIGKILL)  # the pool child rendering the report, started by this test
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING, "the report finished before the kill: make it bigger"
    wait_for(report, {Report.Status.DONE, Report.Status.FAILED}, deadline, worker.log)
    assert report.status == Report.Status.DONE, report.error_message
    assert report.attempts == 2
    assert set(stored_pdfs()) - before == {Path(report.pdf.path)}
