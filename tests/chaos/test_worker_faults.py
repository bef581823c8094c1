"""L2 and L9 (RELIABILITY.md): a worker dies (SIGKILL) or is stopped (SIGTERM) in the middle of a report.

Each test starts its own Redis (AOF), beat (the re-queue job every 5 s, heartbeat timeout 10 s: see
tests/chaos/settings.py) and workers against the pytest database, and kills only those processes.
"""

import signal
import time
from pathlib import Path

import pytest

from reports.models import Report
from tests import factories
from tests.chaos.helpers import FINISHED, publish, wait_all
from tests.chaos.procs import remaining
from tests.live_services import stored_pdfs, wait_for
from tests.reports.programme import city_programme

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

RECOVERY_SECONDS = 120  # DONE within this long after the new worker started


def test_l2_whole_worker_sigkilled_mid_report_is_done_after_restart(processes, redis, deadline, measured):
    city_programme(partnerships=10)  # a city report of a few pages: the kill lands while it renders
    report = Report.objects.create(period=factories.period(2025, 4), kind=Report.Kind.CITY)
    before = set(stored_pdfs())
    processes.beat(redis)
    worker = processes.worker(redis, deadline)
    publish(redis.url, [report.pk])
    wait_for(report, {Report.Status.RUNNING}, deadline, worker.log)

    worker.kill_group()  # main process and pool children: the group this test started
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING, "the report finished before the kill: make it bigger"
    time.sleep(5)  # "restart 5 s later"

    restarted = time.monotonic()
    new_worker = processes.worker(redis, deadline)
    measured("new worker ready after", time.monotonic() - restarted)
    wait_for(report, FINISHED, min(deadline, restarted + RECOVERY_SECONDS), new_worker.log)
    measured("DONE after restart", time.monotonic() - restarted)

    assert report.status == Report.Status.DONE, report.error_message
    assert report.attempts == 2  # the killed one, then the re-queued one
    assert set(stored_pdfs()) - before == {Path(report.pdf.path)}


def test_l9_sigterm_mid_report_then_a_new_worker_loses_nothing(processes, redis, deadline, measured):
    world = city_programme(partnerships=10)
    period = factories.period(2025, 4)
    rendering = Report.objects.create(period=period, kind=Report.Kind.CITY)
    waiting = [
        Report.objects.create(period=period, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership, version=v)
        for v in (1, 2)
    ]
    reports = [rendering, *waiting]
    before = set(stored_pdfs())
    processes.beat(redis)
    worker = processes.worker(redis, deadline)
    publish(redis.url, [report.pk for report in reports])
    wait_for(rendering, {Report.Status.RUNNING}, deadline, worker.log)

    stopped = time.monotonic()
    worker.signal(signal.SIGTERM)  # a deploy: warm shutdown of the main process
    code = worker.wait_exit(timeout=min(90, remaining(deadline)))
    assert code is not None, "the worker did not stop within 90 s of SIGTERM"
    rendering.refresh_from_db()
    measured(f"old worker exited after SIGTERM (its report: {rendering.status}) in", time.monotonic() - stopped)

    restarted = time.monotonic()
    processes.worker(redis, deadline)
    rows = wait_all(reports, FINISHED, min(deadline, restarted + RECOVERY_SECONDS))
    measured("all 3 DONE after the new worker started", time.monotonic() - restarted)

    assert [row.status for row in rows] == [Report.Status.DONE] * 3, processes.logs()
    assert all(row.attempts <= 2 for row in rows), [row.attempts for row in rows]
    assert set(stored_pdfs()) - before == {Path(row.pdf.path) for row in rows}  # one file each, 0 lost
