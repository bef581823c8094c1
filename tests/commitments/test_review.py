"""The review queue's daily work: filters with counts, newest or oldest first, search, several reports
verified or returned together, and a verification taken back (undo, or reopen with a reason)."""

import datetime
import json
from decimal import Decimal

import pghistory.models
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from commitments import services
from commitments.models import ProgressUpdate, ReportingPeriod
from tests import factories
from tests.commitments import fixtures
from tests.signin import sign_in

HX = {"HTTP_HX_REQUEST": "true"}
QUEUE = reverse("commitments:review_queue")
BULK = reverse("commitments:review_bulk")


class QueueTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = fixtures.current_period()

    def setUp(self):
        sign_in(self.client, self.world.city)

    def other_report(self, **values):
        """A report on another partnership's commitment, owned by another unit, in another field."""
        values = {"narrative": "Trao 5 suất học bổng", "achieved_quantity": 1, **values}
        return services.submit_progress(
            commitment=self.world.other_commitment, author=self.world.outsider_officer, **values
        )

    def listed(self, query: str = "", **headers) -> list:
        return list(self.client.get(QUEUE + query, **headers).context["updates"])


class ReviewQueueFilterTests(QueueTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.world.other_commitment.field = factories.field(name="Giáo dục")
        cls.world.other_commitment.save()

    def test_newest_first_on_request_oldest_first_by_default(self):
        old = fixtures.submitted_update(self.world, at=timezone.now() - datetime.timedelta(days=40))
        new = fixtures.submitted_update(self.world)
        self.assertEqual(self.listed(), [old, new])
        self.assertEqual(self.listed("?sort=newest"), [new, old])

    def test_filters_by_unit_partnership_field_period_and_waiting_time(self):
        ours = fixtures.submitted_update(self.world, at=timezone.now() - datetime.timedelta(days=10))
        theirs = self.other_report()
        self.assertEqual(self.listed(f"?owner={self.world.outsider.code}"), [theirs])
        self.assertEqual(self.listed("?owner=son tra"), [theirs])
        self.assertEqual(self.listed(f"?partnership={self.world.partnership.pk}"), [ours])
        self.assertEqual(self.listed(f"?field={self.world.other_commitment.field_id}"), [theirs])
        self.assertEqual(self.listed("?waiting=day"), [theirs])
        self.assertEqual(self.listed("?waiting=month"), [ours])
        self.assertEqual(self.listed("?waiting=older"), [])
        self.assertEqual(self.listed(f"?period={ours.period_id}"), [ours, theirs])

    def test_search_ignores_accents_in_title_text_and_unit(self):
        fixtures.submitted_update(self.world, narrative="Đã bàn giao căn nhà")
        theirs = self.other_report(narrative="Trao học bổng cho học sinh")
        self.assertEqual(self.listed("?q=hoc bong"), [theirs])
        self.assertEqual(self.listed("?q=son tra"), [theirs])

    def test_each_choice_shows_how_many_reports_it_finds(self):
        fixtures.submitted_update(self.world)
        fixtures.submitted_update(self.world)
        self.other_report()
        html = self.client.get(QUEUE).content.decode()
        self.assertIn(f">{self.world.commitment.field.name} (2)</option>", html)
        self.assertIn(">Giáo dục (1)</option>", html)
        self.assertIn(">Gửi trong 24 giờ qua (3)</option>", html)
        self.assertIn(">Chờ hơn 30 ngày (0)</option>", html)
        # The counts follow the other filters: within one unit, the other field finds nothing.
        html = self.client.get(QUEUE + f"?owner={self.world.supporter.code}").content.decode()
        self.assertIn(">Giáo dục (0)</option>", html)
        self.assertIn(">Gửi trong 24 giờ qua (2)</option>", html)

    def test_an_unknown_unit_keeps_what_was_typed_and_says_why(self):
        fixtures.submitted_update(self.world)
        response = self.client.get(QUEUE + "?owner=khong co&q=nha")
        self.assertEqual(list(response.context["updates"]), [])
        self.assertContains(response, "Không tìm thấy đơn vị “khong co”")
        self.assertContains(response, 'value="khong co"')
        self.assertContains(response, 'value="nha"')

    def test_filter_change_answers_filters_and_results_page_turn_answers_results(self):
        fixtures.submitted_update(self.world)
        response = self.client.get(QUEUE + "?sort=newest", **HX, HTTP_HX_TARGET="queue")
        self.assertContains(response, '<div id="queue">')
        self.assertNotContains(response, "<html")
        response = self.client.get(QUEUE + "?page=1", **HX, HTTP_HX_TARGET="results")
        self.assertContains(response, '<section id="results"')
        self.assertNotContains(response, '<div id="queue">')


class BulkReviewTests(QueueTestCase):
    def test_verifying_several_asks_for_a_confirmation_then_verifies_them_all(self):
        first, second = fixtures.submitted_update(self.world), fixtures.submitted_update(self.world)
        data = {"updates": [first.pk, second.pk], "action": "verify", "next": QUEUE + "?sort=newest"}
        response = self.client.post(BULK, data)
        self.assertContains(response, "Xác nhận các báo cáo này")
        self.assertContains(response, 'name="confirmed" value="True"')
        first.refresh_from_db()
        self.assertEqual(first.state, ProgressUpdate.State.SUBMITTED)

        response = self.client.post(BULK, {**data, "confirmed": "True"}, follow=True)
        self.assertRedirects(response, QUEUE + "?sort=newest")
        self.assertContains(response, "Đã xác nhận 2 báo cáo.")
        states = set(ProgressUpdate.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True))
        self.assertEqual(states, {ProgressUpdate.State.VERIFIED})
        self.world.commitment.refresh_from_db()
        self.assertEqual(self.world.commitment.achieved_quantity, Decimal(2))

    def test_returning_several_needs_a_reason_and_keeps_the_selection(self):
        first, second = fixtures.submitted_update(self.world), fixtures.submitted_update(self.world)
        response = self.client.post(BULK, {"updates": [first.pk, second.pk], "action": "return", "reason": " "})
        self.assertContains(response, "Vui lòng nêu lý do trả lại.")
        self.assertContains(response, f'value="{first.pk}" id="bulk-{first.pk}" checked')
        self.assertContains(response, f'value="{second.pk}" id="bulk-{second.pk}" checked')

        data = {"updates": [first.pk, second.pk], "action": "return", "reason": "Thiếu ảnh."}
        response = self.client.post(BULK, data, follow=True)
        self.assertContains(response, "Đã trả lại 2 báo cáo.")
        reasons = set(
            ProgressUpdate.objects.filter(pk__in=[first.pk, second.pk]).values_list("return_reason", flat=True)
        )
        self.assertEqual(reasons, {"Thiếu ảnh."})

    def test_nothing_ticked_is_explained(self):
        response = self.client.post(BULK, {"action": "verify"})
        self.assertContains(response, "Chưa chọn báo cáo nào.")

    def test_reports_reviewed_meanwhile_are_left_alone_and_counted(self):
        first, second = fixtures.submitted_update(self.world), fixtures.submitted_update(self.world)
        services.return_progress(update=second, reviewer=self.world.admin, reason="Sai số liệu.")
        data = {"updates": [first.pk, second.pk], "action": "verify", "confirmed": "True"}
        response = self.client.post(BULK, data, follow=True)
        self.assertContains(response, "Đã xác nhận 1 báo cáo.")
        self.assertContains(response, "1 báo cáo đã được người khác xem xét trước đó")
        second.refresh_from_db()
        self.assertEqual(second.state, ProgressUpdate.State.RETURNED)

    def test_officers_and_leaders_cannot(self):
        update = fixtures.submitted_update(self.world)
        data = {"updates": [update.pk], "action": "verify", "confirmed": "True"}
        for user, status in ((self.world.leader, 403), (self.world.officer, 404)):
            sign_in(self.client, user)
            self.assertEqual(self.client.post(BULK, data).status_code, status)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)


class ReopenTests(QueueTestCase):
    def verify(self, **headers):
        update = fixtures.submitted_update(self.world)
        self.client.post(reverse("commitments:progress_verify", args=[update.pk]), **headers)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.VERIFIED)
        return update

    def test_the_reviewer_undoes_a_verification_in_place(self):
        update = fixtures.submitted_update(self.world)
        response = self.client.post(reverse("commitments:progress_verify", args=[update.pk]), **HX)
        self.assertContains(response, "Hoàn tác")
        url = reverse("commitments:progress_reopen", args=[update.pk])
        response = self.client.post(url, {"undo": "1"}, **HX)
        self.assertContains(response, f'id="review-{update.pk}"')
        self.assertContains(response, "Gửi trả lại")  # the row is back, with its decisions
        self.assertIn("Đã hoàn tác", json.loads(response["HX-Trigger"])["toast"]["text"])
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)
        self.assertEqual(update.reopened_by, self.world.city)
        self.world.commitment.refresh_from_db()
        self.assertEqual(self.world.commitment.achieved_quantity, Decimal(0))
        self.assertIn(update, self.listed())

    def test_undo_is_not_offered_to_someone_else_nor_after_the_window(self):
        update = self.verify()
        sign_in(self.client, self.world.admin)
        response = self.client.post(reverse("commitments:progress_reopen", args=[update.pk]), {"undo": "1"})
        self.assertRedirects(response, reverse("commitments:progress_reopen", args=[update.pk]))
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.VERIFIED)
        sign_in(self.client, self.world.city)
        late = timezone.now() + services.UNDO_WINDOW + datetime.timedelta(seconds=1)
        self.assertFalse(services.can_undo(update, self.world.city, late))
        self.assertTrue(services.can_undo(update, self.world.city))

    def test_city_staff_reopen_with_a_reason_which_is_audited(self):
        update = self.verify()
        url = reverse("commitments:progress_reopen", args=[update.pk])
        sign_in(self.client, self.world.admin)
        response = self.client.post(url, {"reason": "  "})
        self.assertContains(response, "Vui lòng nêu lý do mở lại báo cáo đã xác nhận.")
        response = self.client.post(url, {"reason": "Xác nhận nhầm báo cáo của kỳ trước."})
        self.assertRedirects(response, update.get_absolute_url(), fetch_redirect_response=False)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)
        self.assertEqual(update.reopen_reason, "Xác nhận nhầm báo cáo của kỳ trước.")
        # One transaction in a TestCase: every event has the same time, so find the change by its data.
        (event,) = [
            e
            for e in pghistory.models.Events.objects.tracks(update)
            if e.pgh_data["reopen_reason"] == "Xác nhận nhầm báo cáo của kỳ trước."
        ]
        self.assertEqual(event.pgh_data["state"], "submitted")
        self.assertEqual(event.pgh_context["user"], self.world.admin.pk)
        detail = self.client.get(self.world.commitment.get_absolute_url()).content.decode()
        self.assertIn("Lý do: Xác nhận nhầm báo cáo của kỳ trước.", detail)

    def test_the_commitment_page_offers_reopening_to_city_staff_only(self):
        update = self.verify()
        url = reverse("commitments:progress_reopen", args=[update.pk])
        self.assertContains(self.client.get(self.world.commitment.get_absolute_url()), url)
        sign_in(self.client, self.world.leader)
        self.assertNotContains(self.client.get(self.world.commitment.get_absolute_url()), url)

    def test_a_report_not_verified_is_not_reopened(self):
        update = fixtures.submitted_update(self.world)
        response = self.client.post(reverse("commitments:progress_reopen", args=[update.pk]), {"reason": "x"})
        self.assertRedirects(response, QUEUE)
        update.refresh_from_db()
        self.assertIsNone(update.reopened_at)


class PeriodLabelTests(TestCase):
    def test_period_labels_follow_the_language(self):
        quarter = ReportingPeriod(kind=ReportingPeriod.Kind.QUARTER, year=2026, number=4)
        half = ReportingPeriod(kind=ReportingPeriod.Kind.HALF_YEAR, year=2026, number=1)
        self.assertEqual(quarter.label, "Quý IV năm 2026")
        with translation.override("en"):
            self.assertEqual(quarter.label, "Quarter IV 2026")
            self.assertEqual(half.label, "First half of 2026")
