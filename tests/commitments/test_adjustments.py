"""Changes to a commitment's terms are requests (issue 16): reviewed by city staff, never self-certified."""

import datetime
import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from commitments import services
from commitments.models import Commitment, CommitmentAdjustment, ProgressUpdate
from tests import factories
from tests.commitments import fixtures
from tests.commitments.cases import HX, WorldTestCase


def edit_data(commitment: Commitment, **overrides) -> dict:
    data = {
        "title": commitment.title,
        "field": commitment.field_id,
        "owner": commitment.owner_id,
        "horizon": commitment.horizon,
        "support_form": commitment.support_form,
        "description": commitment.description,
        "target_quantity": str(commitment.target_quantity or ""),
        "target_unit": commitment.target_unit,
        "target_value_vnd": str(commitment.target_value_vnd or ""),
        "start_on": commitment.start_on.isoformat(),
        "due_on": commitment.due_on.isoformat() if commitment.due_on else "",
        "version": commitment.version,
        "reason": "",
    }
    data.update(overrides)
    return data


def verified(world, quantity=1, value=80_000_000, at=None):
    update = fixtures.submitted_update(world, achieved_quantity=Decimal(quantity), achieved_value_vnd=value, at=at)
    return services.verify_progress(update=update, reviewer=world.city)


class OfficerEditTests(WorldTestCase):
    def edit(self, user=None, **overrides):
        self.login(user or self.world.officer)
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        url = reverse("commitments:commitment_update", args=[commitment.pk])
        return self.client.post(url, edit_data(commitment, **overrides))

    def test_a_lowered_target_waits_for_approval_and_does_not_complete(self):
        verified(self.world)  # 1 of 2 houses verified
        response = self.edit(target_quantity="1", target_value_vnd="80000000", reason="Chỉ còn một hộ đủ điều kiện")
        self.assertEqual(response.status_code, 302)
        saved = Commitment.objects.get(pk=self.world.commitment.pk)
        self.assertEqual((saved.target_quantity, saved.target_value_vnd), (Decimal(2), 160_000_000))
        self.assertIsNone(saved.completed_on)
        adjustment = CommitmentAdjustment.objects.get()
        self.assertEqual(adjustment.state, CommitmentAdjustment.State.PENDING)
        self.assertEqual(adjustment.requested_by, self.world.officer)
        self.assertEqual(adjustment.changes["target_quantity"], {"old": "2.00", "new": "1"})
        self.assertEqual(adjustment.reason, "Chỉ còn một hộ đủ điều kiện")
        page = self.client.get(saved.get_absolute_url())
        self.assertContains(page, "Đang chờ Thành ủy duyệt đề nghị điều chỉnh.")
        self.assertContains(page, "Chỉ còn một hộ đủ điều kiện")

    def test_a_later_due_date_waits_for_approval(self):
        response = self.edit(due_on="2027-12-31", reason="Chờ vốn ngân sách")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).due_on, datetime.date(2026, 12, 31))
        self.assertEqual(CommitmentAdjustment.objects.pending().get().changes["due_on"]["new"], "2027-12-31")

    def test_a_term_change_needs_a_reason_and_loses_nothing_typed(self):
        response = self.edit(due_on="2027-12-31", title="Tên mới")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Vui lòng nêu lý do điều chỉnh chỉ tiêu, thời hạn của cam kết.")
        self.assertContains(response, 'value="2027-12-31"')
        self.assertContains(response, "Tên mới")
        self.assertFalse(CommitmentAdjustment.objects.exists())
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).title, "Xây dựng nhà đại đoàn kết")

    def test_other_fields_change_at_once_without_a_reason(self):
        self.assertEqual(self.edit(title="Xây 2 căn nhà đại đoàn kết").status_code, 302)
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).title, "Xây 2 căn nhà đại đoàn kết")
        self.assertFalse(CommitmentAdjustment.objects.exists())

    def test_one_pending_request_at_a_time(self):
        self.edit(due_on="2027-12-31", reason="Lần 1")
        response = self.edit(due_on="2028-12-31", reason="Lần 2")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "đang có một đề nghị điều chỉnh chờ Thành ủy duyệt")
        self.assertEqual(CommitmentAdjustment.objects.count(), 1)

    def test_city_staff_changes_apply_at_once_with_a_reason(self):
        response = self.edit(self.world.city, due_on="2027-12-31")
        self.assertContains(response, "Vui lòng nêu lý do điều chỉnh", status_code=200)
        response = self.edit(self.world.city, due_on="2027-12-31", reason="Theo Kế hoạch 12-KH/TU")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).due_on, datetime.date(2027, 12, 31))
        adjustment = CommitmentAdjustment.objects.get()
        self.assertEqual((adjustment.state, adjustment.decided_by), ("approved", self.world.city))


class CompletionTests(WorldTestCase):
    def test_completion_never_comes_from_an_edit(self):
        """City staff lower the target to what is verified: complete on the day of that verified report."""
        report_day = timezone.now() - datetime.timedelta(days=2)
        verified(self.world, at=report_day)
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.target_quantity, commitment.target_value_vnd = Decimal(1), 80_000_000
        services.save_commitment(commitment=commitment, editor=self.world.city, reason="Giảm theo thực tế")
        self.assertEqual(commitment.completed_on, timezone.localdate(report_day))
        commitment.target_quantity = Decimal(3)
        services.save_commitment(commitment=commitment, editor=self.world.city, reason="Tăng lại")
        self.assertIsNone(Commitment.objects.get(pk=commitment.pk).completed_on)

    def test_approval_completes_only_through_verified_progress(self):
        verified(self.world)
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.target_quantity, commitment.target_value_vnd = Decimal(1), 80_000_000
        services.save_commitment(commitment=commitment, editor=self.world.officer, reason="Giảm")
        self.assertIsNone(Commitment.objects.get(pk=commitment.pk).completed_on)
        adjustment = CommitmentAdjustment.objects.get()
        services.approve_adjustment(adjustment=adjustment, reviewer=self.world.city)
        saved = Commitment.objects.get(pk=commitment.pk)
        self.assertEqual((saved.target_quantity, saved.completed_on), (Decimal(1), timezone.localdate()))

    def test_an_unverified_report_never_completes(self):
        fixtures.submitted_update(self.world, achieved_quantity=Decimal(2), achieved_value_vnd=160_000_000)
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.target_quantity = Decimal(1)
        services.save_commitment(commitment=commitment, editor=self.world.city, reason="Giảm")
        self.assertIsNone(Commitment.objects.get(pk=commitment.pk).completed_on)


class ReviewTests(WorldTestCase):
    def request(self, **changes) -> CommitmentAdjustment:
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        for name, value in (changes or {"due_on": datetime.date(2027, 12, 31)}).items():
            setattr(commitment, name, value)
        services.save_commitment(commitment=commitment, editor=self.world.officer, reason="Chờ vốn")
        return CommitmentAdjustment.objects.pending().get()

    def test_the_queue_lists_requests_beside_progress_reports(self):
        adjustment = self.request()
        fixtures.submitted_update(self.world)
        self.login(self.world.city)
        response = self.client.get(reverse("commitments:review_queue"))
        self.assertContains(response, f'id="adjustment-{adjustment.pk}"')
        self.assertContains(response, "1 đề nghị điều chỉnh cam kết chờ duyệt")
        self.assertContains(response, "31/12/2026")
        self.assertContains(response, "31/12/2027")
        self.assertContains(response, "1 báo cáo chờ xác nhận")

    def test_approval_from_the_queue_applies_the_change(self):
        adjustment = self.request()
        self.login(self.world.city)
        response = self.client.post(reverse("commitments:adjustment_approve", args=[adjustment.pk]), **HX)
        self.assertContains(response, f'id="adjustment-{adjustment.pk}"')
        self.assertEqual(json.loads(response["HX-Trigger"])["toast"]["kind"], "success")
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).due_on, datetime.date(2027, 12, 31))
        adjustment.refresh_from_db()
        self.assertEqual((adjustment.state, adjustment.decided_by), ("approved", self.world.city))
        page = self.client.get(self.world.commitment.get_absolute_url())
        self.assertContains(page, "Lịch sử điều chỉnh")
        self.assertContains(page, f"Duyệt: {self.world.city}")

    def test_refusal_needs_a_reason_and_keeps_the_terms(self):
        adjustment = self.request()
        self.login(self.world.city)
        url = reverse("commitments:adjustment_refuse", args=[adjustment.pk])
        response = self.client.post(url, {"reason": ""}, **HX)
        self.assertContains(response, "Vui lòng nêu lý do không duyệt.")
        response = self.client.post(url, {"reason": "Không có căn cứ"})
        self.assertRedirects(response, reverse("commitments:review_queue"))
        adjustment.refresh_from_db()
        self.assertEqual((adjustment.state, adjustment.decision_reason), ("refused", "Không có căn cứ"))
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).due_on, datetime.date(2026, 12, 31))

    def test_a_decided_request_cannot_be_decided_again(self):
        adjustment = self.request()
        services.refuse_adjustment(adjustment=adjustment, reviewer=self.world.city, reason="Không")
        with self.assertRaises(ValidationError):
            services.approve_adjustment(adjustment=adjustment, reviewer=self.world.city)
        self.login(self.world.city)
        self.client.post(reverse("commitments:adjustment_approve", args=[adjustment.pk]))
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).due_on, datetime.date(2026, 12, 31))

    def test_officers_and_leaders_cannot_decide(self):
        adjustment = self.request()
        url = reverse("commitments:adjustment_approve", args=[adjustment.pk])
        for user, status in ((self.world.officer, 404), (self.world.leader, 403)):
            self.login(user)
            self.assertEqual(self.client.post(url).status_code, status)
        adjustment.refresh_from_db()
        self.assertTrue(adjustment.is_pending)

    def test_queue_query_count_does_not_grow_with_requests(self):
        self.login(self.world.city)
        self.request()

        def more_requests():
            for index in range(4):
                commitment = factories.commitment(partnership=self.world.partnership, title=f"Cam kết {index}")
                commitment.due_on = datetime.date(2028, 1, index + 1)
                services.save_commitment(commitment=commitment, editor=self.world.officer, reason="Chờ vốn")

        url = reverse("commitments:review_queue") + "?adjustments_page=1"
        self.assert_same_query_count(url, more_requests, expected=3, htmx=True)

    def test_commitment_page_query_count_does_not_grow_with_adjustments(self):
        self.login(self.world.city)
        self.request()

        def more_adjustments():
            adjustment = CommitmentAdjustment.objects.pending().get()
            services.approve_adjustment(adjustment=adjustment, reviewer=self.world.city)
            for year in (2028, 2029, 2030):
                commitment = Commitment.objects.get(pk=self.world.commitment.pk)
                commitment.due_on = datetime.date(year, 1, 1)
                services.save_commitment(commitment=commitment, editor=self.world.city, reason=f"Năm {year}")

        self.assert_same_query_count(self.world.commitment.get_absolute_url(), more_adjustments, expected=4)


class SanityBoundTests(WorldTestCase):
    def post_progress(self, **data):
        self.login(self.world.officer)
        url = reverse("commitments:progress_create", args=[self.world.commitment.pk])
        return self.client.post(url, {"narrative": "Đã làm", **data})

    def test_progress_beyond_the_remaining_target_asks_to_confirm_then_is_flagged(self):
        response = self.post_progress(achieved_quantity="500")
        self.assertContains(response, "vượt chỉ tiêu còn lại của cam kết (2 căn nhà, 160.000.000 đ)")
        self.assertContains(response, 'value="500"')
        self.assertFalse(ProgressUpdate.objects.exists())
        response = self.post_progress(achieved_quantity="500", confirm_over_target="on")
        self.assertEqual(response.status_code, 302)
        update = ProgressUpdate.objects.get()
        self.assertTrue(update.exceeds_target)
        self.login(self.world.city)
        self.assertContains(self.client.get(reverse("commitments:review_queue")), "Vượt chỉ tiêu")

    def test_progress_within_the_target_is_not_flagged(self):
        self.assertEqual(self.post_progress(achieved_quantity="1").status_code, 302)
        self.assertFalse(ProgressUpdate.objects.get().exceeds_target)

    def test_amounts_have_upper_bounds(self):
        response = self.post_progress(achieved_value_vnd="9000000000000000000", confirm_over_target="on")
        self.assertContains(response, "Giá trị quá lớn: tối đa 1.000 tỷ đồng mỗi báo cáo.")
        self.login(self.world.city)
        url = reverse("commitments:commitment_update", args=[self.world.commitment.pk])
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        response = self.client.post(url, edit_data(commitment, target_quantity="50000000", reason="x"))
        self.assertContains(response, "Chỉ tiêu số lượng tối đa là 1.000.000.")

    def test_two_huge_reports_give_a_message_not_a_server_error(self):
        first = fixtures.submitted_update(self.world, achieved_quantity=None, achieved_value_vnd=9 * 10**18)
        second = fixtures.submitted_update(self.world, achieved_quantity=None, achieved_value_vnd=9 * 10**18)
        services.verify_progress(update=first, reviewer=self.world.city)
        self.login(self.world.city)
        response = self.client.post(reverse("commitments:progress_verify", args=[second.pk]), follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "tổng kết quả của cam kết sẽ vượt giới hạn lưu trữ")
        second.refresh_from_db()
        self.assertEqual(second.state, ProgressUpdate.State.SUBMITTED)


class AdjustedTargetNoteTests(WorldTestCase):
    def test_the_commitment_page_names_an_approved_target_change(self):
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.target_quantity = Decimal(1)
        services.save_commitment(commitment=commitment, editor=self.world.officer, reason="Một hộ chuyển đi")
        adjustment = CommitmentAdjustment.objects.get()
        services.approve_adjustment(adjustment=adjustment, reviewer=self.world.city)
        self.login(self.world.city)
        day = timezone.localdate().strftime("%d/%m/%Y")
        response = self.client.get(commitment.get_absolute_url())
        self.assertContains(response, f"chỉ tiêu điều chỉnh từ 2 xuống 1 căn nhà, duyệt ngày {day}")

    def test_voided_commitments_list_query_count_does_not_grow(self):
        self.login(self.world.city)

        def more_voided():
            for index in range(4):
                extra = factories.commitment(partnership=self.world.partnership, title=f"Cam kết {index}")
                services.void_record(record=extra, user=self.world.city, reason="Nhập trùng")

        more_voided_first = factories.commitment(partnership=self.world.partnership, title="Cam kết đầu")
        services.void_record(record=more_voided_first, user=self.world.city, reason="Nhập trùng")
        url = reverse("commitments:commitment_list") + "?voided=on"
        self.assert_same_query_count(url, more_voided, expected=4)
