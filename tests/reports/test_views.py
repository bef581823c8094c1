"""The dashboard and the reports pages through the client: content, htmx fragments, query counts, polling."""

from unittest import mock

from django.core.cache import caches
from django.core.files.base import ContentFile
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerError

from communes.models import Commune
from partnerships.models import Partnership
from reports.models import Report
from tests import factories
from tests.assertions import count_queries
from tests.reports.programme import Programme
from tests.signin import sign_in

PUBLISH = "reports.services.render_report_task.apply_async"
HTMX = {"HX-Request": "true"}


class DashboardTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.world = cls.programme.world

    def setUp(self):
        sign_in(self.client, self.world.city)

    def test_city_staff_see_the_figures_the_map_and_the_charts(self):
        on_the_map = factories.commune(code="20194", name="Hải Vân", kind=Commune.Kind.WARD)
        response = self.client.get(reverse("reports:dashboard"))
        self.assertEqual(response.status_code, 200)
        content = response.content.decode()
        self.assertIn('id="dashboard-map"', content)
        self.assertIn(f'<a href="{reverse("communes:commune_detail", args=[on_the_map.code])}"', content)
        self.assertIn("Chưa kết nghĩa (1)", content)  # the legend counts it
        self.assertIn("Vietnamese Provinces Database", content)  # the attribution
        self.assertIn('id="dashboard-status"', content)
        self.assertIn('id="dashboard-fields"', content)
        self.assertIn("<title", content)
        self.assertIn(reverse("commitments:review_queue"), content)
        self.assertIn("Khám bệnh, cấp thuốc miễn phí", content)  # overdue
        self.assertEqual(response.context["view"].figures.awaiting_verification, 1)

    def test_leadership_sees_the_city_dashboard(self):
        sign_in(self.client, self.world.leader)
        response = self.client.get(reverse("reports:dashboard"))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(reverse("commitments:review_queue") + '"', response.content.decode().split("mainnav")[-1])

    def test_unit_officers_go_to_their_unit(self):
        sign_in(self.client, self.world.officer)
        response = self.client.get(reverse("reports:dashboard"))
        self.assertRedirects(response, reverse("commitments:my_unit"), fetch_redirect_response=False)

    def test_htmx_gets_only_the_figures_fragment(self):
        response = self.client.get(reverse("reports:dashboard"), {"former_district": "Nam Giang"}, headers=HTMX)
        content = response.content.decode()
        self.assertTrue(content.lstrip().startswith('<div id="figures"'))
        self.assertNotIn("<html", content)
        self.assertEqual(response.context["view"].figures.coverage.total, 1)

    def test_filters_work_without_javascript_and_ignore_bad_values(self):
        response = self.client.get(reverse("reports:dashboard"), {"mountainous": "yes"})
        self.assertEqual(response.context["view"].figures.partnership_total, 1)  # the mountainous commune's only
        response = self.client.get(reverse("reports:dashboard"), {"former_district": "Không có", "border": "x"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["view"].figures.partnership_total, Partnership.objects.count())

    def test_query_count_is_small_and_does_not_grow(self):
        url = reverse("reports:dashboard")
        self.client.get(url)  # warm per-process caches (content types, the boundary file)
        # Figures computed afresh each time: this test's writes never commit, so the change counter the
        # dashboard cache is keyed on does not move (tests/reports/test_dashboard.py tests the cache).
        caches["dashboard"].clear()
        with count_queries() as few:
            self.client.get(url)
        for _ in range(8):
            partnership = factories.partnership()
            factories.commitment(partnership=partnership)
            factories.activity(partnership=partnership)
        caches["dashboard"].clear()
        with count_queries() as many:
            self.client.get(url)
        self.assertEqual(len(few), len(many))
        self.assertLessEqual(len(many), 15)
        caches["dashboard"].clear()
        with count_queries() as fragment:
            self.client.get(url, {"border": "no"}, headers=HTMX)
        self.assertEqual(len(fragment), len(many))


def finished_report(period, **values) -> Report:
    report = Report.objects.create(period=period, status=Report.Status.DONE, progress=100, **values)
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    report.xlsx.save("r.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    report.save()
    return report


class ReportListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = factories.period(2025, 4)

    def setUp(self):
        sign_in(self.client, self.world.city)

    def test_query_count_is_the_same_with_one_and_many_reports(self):
        url = reverse("reports:report_list")
        # A partnership report from the start: a partnership's name reads its members (one prefetch per page).
        finished_report(
            self.period, kind=Report.Kind.PARTNERSHIP, partnership=self.world.partnership, requested_by=self.world.city
        )
        self.client.get(url)
        with count_queries() as one:
            self.client.get(url)
        for version in range(2, 27):
            finished_report(
                self.period,
                kind=Report.Kind.PARTNERSHIP,
                partnership=self.world.partnership,
                version=version,
                requested_by=self.world.city,
            )
        # Every kind and state on the page: the list reads only some columns (for_list), none row by row.
        finished_report(self.period, kind=Report.Kind.UNIT, commune=self.world.supporter, requested_by=self.world.city)
        Report.objects.create(period=self.period, status=Report.Status.FAILED, error_message="Lỗi.")
        Report.objects.create(period=self.period, version=2, status=Report.Status.RUNNING, progress=40)
        with count_queries() as many:
            response = self.client.get(url)
        self.assertEqual(len(one), len(many))
        self.assertLessEqual(len(many), 15)
        self.assertEqual(len(response.context["report_list"]), 25)
        with count_queries() as fragment:
            self.client.get(url, headers=HTMX)
        self.assertLessEqual(len(fragment), len(many))

    def test_titled_partnerships_are_named_without_reading_their_members(self):
        url = reverse("reports:report_list")
        finished_report(
            self.period, kind=Report.Kind.PARTNERSHIP, partnership=self.world.partnership, requested_by=self.world.city
        )
        self.client.get(url)
        members = self.world.partnership.display_name()
        with count_queries() as untitled:
            self.assertContains(self.client.get(url), members)
        Partnership.objects.filter(pk=self.world.partnership.pk).update(title="Kết nghĩa Trà Tân")
        with count_queries() as titled:
            self.assertContains(self.client.get(url), "Kết nghĩa Trà Tân")
        self.assertEqual(len(titled), len(untitled) - 1)

    def test_requesting_a_report_queues_it_and_redirects_to_it(self):
        data = {"period_code": "2025-Q4", "kind": "city", "next_tasks": "Đôn đốc.", "signer_title": "BÍ THƯ"}
        with mock.patch(PUBLISH) as publish, self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("reports:report_list"), data)
        report = Report.objects.get()
        self.assertRedirects(response, report.get_absolute_url(), fetch_redirect_response=False)
        publish.assert_called_once()
        self.assertEqual((report.status, report.period, report.next_tasks), ("queued", self.period, "Đôn đốc."))
        self.assertIn("giây lát", str(list(response.wsgi_request._messages)[0]))

    def test_a_bad_request_comes_back_with_the_message_next_to_the_field(self):
        data = {"period_code": "2025-Q4", "kind": "partnership", "next_tasks": "giữ lại"}
        response = self.client.post(reverse("reports:report_list"), data)
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["form"], "partnership", "Vui lòng chọn quan hệ kết nghĩa.")
        self.assertContains(response, "giữ lại")
        self.assertFalse(Report.objects.exists())

    def test_leadership_reads_the_list_without_the_form(self):
        finished_report(self.period, kind=Report.Kind.CITY)
        sign_in(self.client, self.world.leader)
        response = self.client.get(reverse("reports:report_list"))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("form", response.context)
        self.assertEqual(self.client.post(reverse("reports:report_list"), {"kind": "city"}).status_code, 403)

    def test_the_list_polls_while_a_report_is_unfinished_and_then_stops(self):
        report = Report.objects.create(period=self.period, kind=Report.Kind.CITY)
        url = reverse("reports:report_list")
        poll = {**HTMX, "HX-Trigger": "report-results"}
        response = self.client.get(url)
        self.assertContains(response, 'data-hx-trigger="every 2s"')
        self.assertEqual(self.client.get(url, headers=poll).status_code, 200)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.DONE, progress=100)
        response = self.client.get(url, headers=poll)
        self.assertEqual(response.status_code, 286)
        self.assertNotContains(response, "every 2s", status_code=286)


class BrokerDownTests(TransactionTestCase):
    """Real commits, so the publish happens when the service's transaction ends, as in production."""

    def test_with_the_broker_down_the_request_still_succeeds_and_says_so(self):
        city = factories.user(username="city")
        sign_in(self.client, city)
        with mock.patch(PUBLISH, side_effect=BrokerError("refused")) as publish:
            response = self.client.post(reverse("reports:report_list"), {"period_code": "2025-Q4", "kind": "city"})
        publish.assert_called_once()
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Report.objects.get().status, Report.Status.QUEUED)
        self.assertIn("sẽ được tạo tự động", str(list(response.wsgi_request._messages)[0]))


class ReportDetailTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = factories.period(2025, 4)

    def setUp(self):
        sign_in(self.client, self.world.city)

    def test_progress_is_polled_until_the_report_is_done(self):
        report = Report.objects.create(
            period=self.period, kind=Report.Kind.CITY, status=Report.Status.RUNNING, progress=50
        )
        url = reverse("reports:report_detail", args=[report.pk])
        poll = {**HTMX, "HX-Trigger": "report-status"}
        response = self.client.get(url, headers=poll)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<progress value="50" max="100"')
        self.assertContains(response, 'data-hx-trigger="every 1s"')
        Report.objects.filter(pk=report.pk).update(status=Report.Status.DONE, progress=100)
        response = self.client.get(url, headers=poll)
        self.assertEqual(response.status_code, 286)
        self.assertNotContains(response, "<progress", status_code=286)

    def test_a_failed_report_shows_its_vietnamese_message(self):
        report = Report.objects.create(
            period=self.period,
            kind=Report.Kind.CITY,
            status=Report.Status.FAILED,
            error_message="Không tạo được báo cáo.",
        )
        self.assertContains(self.client.get(report.get_absolute_url()), "Không tạo được báo cáo.")

    def test_files_are_served_inline_or_as_downloads_with_safe_headers(self):
        report = finished_report(self.period, kind=Report.Kind.CITY)
        preview = self.client.get(reverse("reports:report_preview", args=[report.pk]))
        self.assertEqual(preview["Content-Type"], "application/pdf")
        self.assertTrue(preview["Content-Disposition"].startswith("inline"))
        self.assertEqual(preview["X-Content-Type-Options"], "nosniff")
        self.assertEqual(preview["Content-Security-Policy"], "default-src 'none'; frame-ancestors 'self'")
        download = self.client.get(reverse("reports:report_download", args=[report.pk]))
        self.assertTrue(download["Content-Disposition"].startswith("attachment"))
        self.assertIn("du-thao", download["Content-Disposition"])
        workbook = self.client.get(reverse("reports:report_xlsx", args=[report.pk]))
        self.assertIn("spreadsheetml", workbook["Content-Type"])

    def test_while_the_workbook_is_prepared_the_pdf_is_offered_and_the_page_says_so(self):
        report = finished_report(self.period, kind=Report.Kind.CITY, xlsx_status=Report.WorkbookStatus.PENDING)
        report.xlsx.delete(save=True)
        url = reverse("reports:report_detail", args=[report.pk])
        poll = {**HTMX, "HX-Trigger": "report-status"}
        response = self.client.get(url, headers=poll)
        self.assertEqual(response.status_code, 200)  # still polled: the workbook link is coming
        self.assertContains(response, reverse("reports:report_download", args=[report.pk]))
        self.assertContains(response, "Tệp Excel đang được chuẩn bị")
        self.assertNotContains(response, reverse("reports:report_xlsx", args=[report.pk]))
        download = self.client.get(reverse("reports:report_xlsx", args=[report.pk]), follow=True)
        self.assertRedirects(download, url)
        self.assertContains(download, "Tệp Excel đang được chuẩn bị, vui lòng thử lại sau ít giây.")
        report.xlsx.save("r.xlsx", ContentFile(b"PK\x03\x04"), save=False)
        report.xlsx_status = Report.WorkbookStatus.DONE
        report.save()
        response = self.client.get(url, headers=poll)
        self.assertEqual(response.status_code, 286)
        self.assertContains(response, reverse("reports:report_xlsx", args=[report.pk]), status_code=286)
        self.assertNotContains(response, "đang được chuẩn bị", status_code=286)

    def test_an_unfinished_report_has_no_file(self):
        report = Report.objects.create(period=self.period, kind=Report.Kind.CITY)
        self.assertEqual(self.client.get(reverse("reports:report_preview", args=[report.pk])).status_code, 404)

    def test_finalising_assigns_the_number(self):
        report = finished_report(self.period, kind=Report.Kind.CITY)
        url = reverse("reports:report_finalise", args=[report.pk])
        response = self.client.post(url, {"next_tasks": "", "signer_title": "BÍ THƯ", "signer_name": "A"})
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["finalise_form"], "next_tasks", "Trường này là bắt buộc.")
        with mock.patch(PUBLISH):
            response = self.client.post(url, {"next_tasks": "Tiếp tục.", "signer_title": "BÍ THƯ", "signer_name": "A"})
        self.assertRedirects(response, report.get_absolute_url(), fetch_redirect_response=False)
        report.refresh_from_db()
        self.assertEqual((report.number, report.status), (1, Report.Status.QUEUED))
        self.assertEqual(report.number_label, "Số 01-BC/TU")

    def test_regenerating_makes_a_new_version(self):
        report = finished_report(self.period, kind=Report.Kind.CITY)
        with mock.patch(PUBLISH):
            response = self.client.post(reverse("reports:report_regenerate", args=[report.pk]))
        new = Report.objects.exclude(pk=report.pk).get()
        self.assertRedirects(response, new.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(new.version, 2)


class PeriodTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = factories.period(2025, 4)

    def test_closing_a_period_needs_a_confirmation(self):
        sign_in(self.client, self.world.city)
        url = reverse("reports:period_close", args=[self.period.pk])
        response = self.client.post(url, {})
        self.assertEqual(response.status_code, 200)
        self.assertFormError(response.context["form"], "confirm", "Trường này là bắt buộc.")
        response = self.client.post(url, {"confirm": "on"})
        self.assertRedirects(response, reverse("reports:period_list"), fetch_redirect_response=False)
        self.period.refresh_from_db()
        self.assertTrue(self.period.is_closed)

    def test_period_list_query_count(self):
        sign_in(self.client, self.world.city)
        url = reverse("reports:period_list")
        self.client.get(url)
        with count_queries() as few:
            self.client.get(url)
        for year in range(2026, 2030):
            factories.period(year, 1)
        with count_queries() as many:
            self.client.get(url)
        self.assertEqual(len(few), len(many))
        self.assertLessEqual(len(many), 15)


class AdminTests(TestCase):
    def test_administrators_can_read_reports_in_the_admin_but_not_change_them(self):
        world = factories.World.build()
        report = finished_report(factories.period(2025, 4), kind=Report.Kind.CITY)
        sign_in(self.client, world.admin)
        self.assertEqual(self.client.get(reverse("admin:reports_report_changelist")).status_code, 200)
        self.assertEqual(self.client.get(reverse("admin:reports_report_change", args=[report.pk])).status_code, 200)
        self.assertEqual(self.client.get(reverse("admin:reports_report_add")).status_code, 403)
