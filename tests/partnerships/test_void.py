"""Void, never delete (issue 16): a voided record leaves every list and figure, stays readable, comes back."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from commitments import services as commitment_services
from commitments.models import Commitment, ProgressUpdate
from partnerships import services
from partnerships.models import Activity, Document, Partnership
from reports.figures import CityFigures, load_rows
from reports.models import Report
from reports.spreadsheet import build_workbook
from reports.summary import load_summary
from tests import factories
from tests.commitments import fixtures
from tests.partnerships.routes import document_of
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
LOCMEM = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboard": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "void-tests"},
    "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "void-tests-sessions"},
}


def figures(world) -> dict:
    summary = load_summary()
    city = CityFigures.build(load_rows(period=world.current_period))
    workbook = load_workbook(io.BytesIO(build_workbook(Report(period=world.current_period), city)))
    # Supporting and supported units have a column each.
    names = [f"{row[1].value} – {row[2].value}" for row in workbook["Quan hệ kết nghĩa"].iter_rows(min_row=2)]
    return {
        "dashboard": (summary.partnership_total, summary.commitment_total, summary.target_value_vnd),
        "awaiting": summary.awaiting_verification,
        "report": (city.partnership_total, city.commitment_total, city.target_value_vnd),
        "workbook": "Hòa Cường – Trà Tân" in names,
    }


def test_a_voided_partnership_leaves_every_figure_and_comes_back(world):
    fixtures.submitted_update(world)
    before = figures(world)
    assert before["dashboard"] == (2, 2, 320_000_000) and before["awaiting"] == 1 and before["workbook"]
    services.void_record(record=world.partnership, user=world.city, reason="Nhập trùng")
    voided = figures(world)
    assert voided["dashboard"] == (1, 1, 160_000_000)
    assert voided["report"] == (1, 1, 160_000_000)
    assert voided["awaiting"] == 0  # its unverified report went with it
    assert not voided["workbook"]
    row = Partnership.all_objects.get(pk=world.partnership.pk)
    assert (row.void_reason, row.voided_by) == ("Nhập trùng", world.city)
    assert Commitment.all_objects.get(pk=world.commitment.pk).voided_at == row.voided_at
    services.restore_record(record=row, user=world.city)
    assert figures(world) == before
    assert ProgressUpdate.objects.count() == 1


def test_a_voided_commitment_leaves_the_figures_and_lists(client, world):
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    commitment_services.void_record(record=commitment, user=world.city, reason="Nhập nhầm")
    assert figures(world)["dashboard"] == (2, 1, 160_000_000)
    sign_in(client, world.city)
    listing = client.get(reverse("commitments:commitment_list")).content.decode()
    assert f'href="/commitments/{commitment.pk}/"' not in listing
    voided = client.get(reverse("commitments:commitment_list") + "?voided=on").content.decode()
    assert f'href="/commitments/{commitment.pk}/"' in voided
    page = client.get(commitment.get_absolute_url())
    assert page.status_code == 200 and "Nhập nhầm" in page.content.decode()  # still readable
    assert client.post(reverse("commitments:record_restore", args=["commitment", commitment.pk])).status_code == 302
    assert Commitment.objects.filter(pk=commitment.pk).exists()


def test_voiding_from_the_pages_needs_a_reason(client, world):
    sign_in(client, world.city)
    url = reverse("partnerships:record_void", args=["partnership", world.partnership.pk])
    response = client.post(url, {"reason": " "})
    assert "Vui lòng nêu lý do hủy." in response.content.decode()
    assert Partnership.objects.filter(pk=world.partnership.pk).exists()
    assert client.post(url, {"reason": "Nhập trùng"}).status_code == 302
    assert not Partnership.objects.filter(pk=world.partnership.pk).exists()
    listing = client.get(reverse("partnerships:partnership_list")).content.decode()
    assert f"/partnerships/{world.partnership.pk}/" not in listing
    voided = client.get(reverse("partnerships:partnership_list") + "?voided=on").content.decode()
    assert f"/partnerships/{world.partnership.pk}/" in voided
    page = client.get(reverse("partnerships:partnership_detail", args=[world.partnership.pk])).content.decode()
    assert (
        "Nhập trùng" in page
        and f"Hủy do nhập sai bởi {world.city}," in page
        and reverse("partnerships:record_restore", args=["partnership", world.partnership.pk]) in page
    )


def test_activities_and_documents_are_voided_and_restored(client, world):
    activity = factories.activity(partnership=world.partnership, title="Trao quà nhầm")
    document = document_of(world.partnership)
    sign_in(client, world.city)
    for kind, record in (("activity", activity), ("document", document)):
        url = reverse("partnerships:record_void", args=[kind, record.pk])
        assert client.post(url, {"reason": "Nhập nhầm"}).status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists() and not Document.objects.filter(pk=document.pk).exists()
    page_url = reverse("partnerships:partnership_detail", args=[world.partnership.pk])
    assert "<h3>Trao quà nhầm</h3>" not in client.get(page_url).content.decode()
    voided = client.get(page_url + "?voided=1").content.decode()
    assert "Trao quà nhầm" in voided and "Biên bản ký kết" in voided
    client.post(reverse("partnerships:record_restore", args=["activity", activity.pk]))
    assert Activity.objects.filter(pk=activity.pk).exists()


def test_only_unverified_reports_can_be_voided(world):
    update = fixtures.submitted_update(world)
    commitment_services.verify_progress(update=update, reviewer=world.city)
    with pytest.raises(ValidationError):
        commitment_services.void_record(record=update, user=world.city, reason="x")
    pending = fixtures.submitted_update(world)
    commitment_services.void_record(record=pending, user=world.city, reason="Gửi trùng")
    assert not ProgressUpdate.objects.filter(pk=pending.pk).exists()
    assert ProgressUpdate.all_objects.get(pk=pending.pk).void_reason == "Gửi trùng"


def test_officers_and_leaders_cannot_void(client, world):
    url = reverse("commitments:record_void", args=["commitment", world.commitment.pk])
    for user, status in ((world.officer, 404), (world.leader, 403)):
        sign_in(client, user)
        assert client.post(url, {"reason": "x"}).status_code == status
    assert Commitment.objects.filter(pk=world.commitment.pk).exists()


@override_settings(CACHES=LOCMEM)
@pytest.mark.django_db(transaction=True)  # the dashboard's cache is invalidated at COMMIT
def test_the_dashboard_page_drops_a_voided_partnership(client, world):
    sign_in(client, world.city)
    before = client.get("/").context["view"].figures.partnership_total
    services.void_record(record=world.partnership, user=world.city, reason="Nhập trùng")
    assert client.get("/").context["view"].figures.partnership_total == before - 1


def test_voided_list_query_count_does_not_grow(client, world):
    from tests.assertions import count_queries

    sign_in(client, world.city)
    url = reverse("partnerships:partnership_list") + "?voided=on"
    services.void_record(record=factories.partnership(), user=world.city, reason="x")
    client.get(url)
    with count_queries() as one:
        client.get(url)
    for _ in range(4):
        services.void_record(record=factories.partnership(), user=world.city, reason="x")
    with count_queries() as many:
        client.get(url)
    assert len(one.captured_queries) == len(many.captured_queries)
