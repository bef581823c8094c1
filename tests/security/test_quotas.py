"""Quotas counted in PostgreSQL (RELIABILITY §2.9, K6): report requests per person per hour, reports
waiting in all, uploads per person per day (files and bytes). Refused with a Vietnamese message and
the form as typed; concurrent requests cannot both slip under a limit."""

import datetime
import threading
import time

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.quotas import QuotaExceeded, charge_uploads
from commitments.models import Evidence, ProgressUpdate
from partnerships.models import Document
from reports.models import Report
from reports.services import request_report
from tests import factories
from tests.security.helpers import jpeg_bytes, media_snapshot, pdf_bytes, post_progress, upload
from tests.signin import sign_in


def ask(user, note: str) -> Report:
    return request_report(period="2025-Q4", kind=Report.Kind.CITY, requested_by=user, next_tasks=note, enqueue=False)


@pytest.mark.django_db
def test_report_requests_per_person_per_hour(settings, world):
    settings.REPORT_REQUESTS_PER_USER_PER_HOUR = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(world.city, "một")
        ask(world.city, "hai")
        with pytest.raises(QuotaExceeded, match="tối đa"):
            ask(world.city, "ba")
        ask(world.admin, "của người khác")  # a colleague is not affected
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        ask(world.city, "ba")
    assert Report.objects.filter(requested_by=world.city).count() == 3


@pytest.mark.django_db
def test_waiting_reports_are_capped_for_everyone(settings, world):
    settings.REPORT_QUEUE_LIMIT = 2
    ask(world.city, "một")
    ask(world.admin, "hai")
    with pytest.raises(QuotaExceeded, match="quá nhiều báo cáo"):
        ask(factories.user(Role.CITY_STAFF), "ba")
    Report.objects.filter(next_tasks="một").update(status=Report.Status.DONE)
    ask(world.city, "ba")


@pytest.mark.django_db
def test_a_refused_report_request_keeps_what_was_typed(client, settings, world):
    settings.REPORT_REQUESTS_PER_USER_PER_HOUR = 1
    ask(world.city, "trước")
    sign_in(client, world.city)
    data = {"period_code": "2025-Q4", "kind": "city", "next_tasks": "Nội dung đã gõ dài", "signer_title": "BÍ THƯ"}
    response = client.post(reverse("reports:report_list"), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "mức tối đa" in content and "Nội dung đã gõ dài" in content
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_evidence_beyond_the_daily_file_count_is_refused_with_nothing_stored(client, settings, world):
    factories.current_period()
    settings.UPLOAD_FILES_PER_USER_PER_DAY = 2
    before = media_snapshot()
    files = [upload(f"{n}.jpg", jpeg_bytes()) for n in range(3)]
    response = post_progress(client, world, files)
    assert response.status_code == 200
    content = response.content.decode()
    assert "trong 24 giờ qua" in content and "Đã bàn giao" in content  # the narrative typed is kept
    assert (ProgressUpdate.objects.count(), Evidence.objects.count()) == (0, 0)
    assert media_snapshot() == before
    response = post_progress(client, world, [upload(f"{n}.jpg", jpeg_bytes()) for n in range(2)])
    assert response.status_code in (200, 302) and Evidence.objects.count() == 2


@pytest.mark.django_db
def test_documents_beyond_the_daily_bytes_are_refused(client, settings, world):
    pdf = pdf_bytes()
    settings.UPLOAD_BYTES_PER_USER_PER_DAY = len(pdf) * 2
    sign_in(client, world.city)
    url = reverse("partnerships:document_upload", args=[world.partnership.pk])
    for number in range(2):
        response = client.post(url, {"kind": "memorandum", "title": f"Biên bản {number}", "file": upload("b.pdf", pdf)})
        assert response.status_code == 302
    before = media_snapshot()
    response = client.post(url, {"kind": "memorandum", "title": "Biên bản thứ ba", "file": upload("c.pdf", pdf)})
    assert response.status_code == 200
    assert "trong 24 giờ qua" in response.content.decode() and "Biên bản thứ ba" in response.content.decode()
    assert Document.objects.count() == 2 and media_snapshot() == before


def race(action, count: int = 2) -> list[str]:
    """Run ``action`` in ``count`` threads (own connections), all inside their transaction at once."""
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                action()
                time.sleep(0.3)  # hold the transaction open: without the lock the other would count 0 too
            outcomes.append("ok")
        except QuotaExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uploads_cannot_both_pass_the_last_slot(settings):
    settings.UPLOAD_FILES_PER_USER_PER_DAY = 1
    user = factories.user(Role.UNIT_OFFICER, commune=factories.commune())
    assert race(lambda: charge_uploads(user, [1000])) == ["ok", "refused"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_report_requests_cannot_both_pass_the_last_slot(settings):
    settings.REPORT_REQUESTS_PER_USER_PER_HOUR = 1
    user = factories.user(Role.CITY_STAFF)
    notes = iter(["một", "hai"])
    lock = threading.Lock()

    def request():
        with lock:
            note = next(notes)
        ask(user, note)

    assert race(request) == ["ok", "refused"]
    assert Report.objects.count() == 1
