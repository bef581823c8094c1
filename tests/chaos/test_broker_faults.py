"""L3, L4 and L5 (RELIABILITY.md): Redis crashes with work queued, Redis loses everything (FLUSHALL), and
Redis is down when a report is requested.

Redis is the test's own redis-server (AOF everysec, password, temp data folder); workers, beat and the
web server (gunicorn) are the test's own processes against the pytest database.
"""

import time
from pathlib import Path

import pytest

from reports.models import Report
from tests import factories
from tests.chaos.helpers import FINISHED, Browser, publish, wait_all
from tests.live_services import stored_pdfs, wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

RECOVERY_SECONDS = 120


def test_l3_redis_kill9_with_20_queued_reports_keeps_them_all(processes, redis, deadline, measured):
    world = factories.World.build()
    period = factories.period(2025, 4)
    reports = [
        Report.objects.create(period=period, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership, version=v)
        for v in range(1, 21)
    ]
    before = set(stored_pdfs())
    publish(redis.url, [report.pk for report in reports])  # no worker running: all 20 wait in Redis
    assert redis.queue_length() == 20
    time.sleep(1.5)  # appendfsync everysec: what a crash may lose is the last second

    redis.kill9()
    redis.start(deadline)  # same port, same folder: replays the append-only file
    assert redis.queue_length() == 20, "messages lost by the Redis crash"

    restarted = time.monotonic()
    processes.worker(redis, deadline, concurrency=2)
    rows = wait_all(reports, FINISHED, min(deadline, restarted + RECOVERY_SECONDS))
    measured("20/20 DONE after Redis + worker restart", time.monotonic() - restarted)

    done = [row for row in rows if row.status == Report.Status.DONE]
    assert len(done) == 20, processes.logs()
    assert all(row.attempts == 1 for row in rows)
    assert set(stored_pdfs()) - before == {Path(row.pdf.path) for row in rows}


def test_l4_redis_flushall_with_20_queued_reports_the_requeue_job_sends_them_again(
    processes, redis, deadline, measured
):
    """Total broker loss: the report rows in PostgreSQL are the source of truth, Redis only carries work."""
    world = factories.World.build()
    period = factories.period(2025, 4)
    reports = [
        Report.objects.create(period=period, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership, version=v)
        for v in range(1, 21)
    ]
    before = set(stored_pdfs())
    publish(redis.url, [report.pk for report in reports])
    assert redis.queue_length() == 20
    redis.client().flushall()
    assert redis.queue_length() == 0  # every message gone

    lost = time.monotonic()
    processes.beat(redis)  # the re-queue job is the only way back
    processes.worker(redis, deadline, concurrency=2)
    rows = wait_all(reports, FINISHED, min(deadline, lost + RECOVERY_SECONDS))
    measured("20/20 DONE after FLUSHALL, through the re-queue job", time.monotonic() - lost)

    done = [row for row in rows if row.status == Report.Status.DONE]
    assert len(done) == 20, processes.logs()
    assert all(row.attempts <= 3 for row in rows)
    assert set(stored_pdfs()) - before == {Path(row.pdf.path) for row in rows}  # exactly one file each


def test_l5_redis_down_when_a_report_is_requested(processes, redis, deadline, measured):
    world = factories.World.build()
    web, base = processes.web(redis, deadline)
    browser = Browser(base)
    browser.login(world.city.username, factories.PASSWORD)
    redis.kill9()

    for path in ("/", "/reports/", "/partnerships/", f"/partnerships/{world.partnership.pk}/", "/commitments/"):
        status, _headers, _html = browser.request(path)
        assert status == 200, (path, status, _headers.get("Location"))  # 0 5xx on other pages during the outage

    token = browser.csrf("/reports/")
    form = {
        "csrfmiddlewaretoken": token,
        "period_code": "2025-Q4",
        "kind": Report.Kind.PARTNERSHIP,
        "partnership": world.partnership.pk,
        "next_tasks": "",
        "signer_title": "PHÓ BÍ THƯ THƯỜNG TRỰC",
        "signer_name": "",
    }
    started = time.monotonic()
    status, headers, html = browser.request("/reports/", form)
    answered = time.monotonic() - started
    measured("POST answered with Redis down in", answered)
    assert status == 302, (status, html[-3000:], processes.logs())
    assert answered < 2
    report = Report.objects.get()
    assert report.status == Report.Status.QUEUED
    status, _headers, html = browser.request(headers["Location"])
    assert status == 200
    assert "báo cáo sẽ được tạo tự động" in html  # the user is told it will come, not shown an error

    redis.start(deadline)
    back = time.monotonic()
    processes.beat(redis)  # only the re-queue job can send it: the first message was never published
    worker = processes.worker(redis, deadline)
    wait_for(report, FINISHED, min(deadline, back + RECOVERY_SECONDS), worker.log)
    measured("DONE after Redis was back", time.monotonic() - back)
    assert report.status == Report.Status.DONE, report.error_message
    assert report.attempts == 1
