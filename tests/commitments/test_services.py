"""The review workflow: totals from verified reports only, completion, reasons, resubmission, replays."""

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone

from commitments import services
from commitments.models import Commitment, Evidence, ProgressUpdate
from tests import factories
from tests.commitments import fixtures


class ServiceTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = fixtures.current_period()


class SubmitProgressTests(ServiceTestCase):
    def test_files_the_report_in_the_current_period_with_evidence(self):
        update = fixtures.submitted_update(self.world, evidence_files=[fixtures.photo(), fixtures.pdf()])
        self.assertEqual(update.period, self.period)
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)
        self.assertEqual(sorted(update.evidence.values_list("kind", flat=True)), ["pdf", "photo"])

    def test_only_the_owning_unit_or_city_staff_may_report(self):
        for user in (self.world.supported_officer, self.world.outsider_officer, self.world.leader):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                services.submit_progress(commitment=self.world.commitment, author=user, narrative="x")
        services.submit_progress(commitment=self.world.commitment, author=self.world.city, narrative="x")

    def test_the_one_time_token_makes_a_replay_return_the_first_update(self):
        token = uuid.uuid4()
        first = fixtures.submitted_update(self.world, client_token=token)
        replay = fixtures.submitted_update(self.world, client_token=token, evidence_files=[fixtures.photo()])
        self.assertEqual(first.pk, replay.pk)
        self.assertEqual(ProgressUpdate.objects.count(), 1)
        self.assertFalse(Evidence.objects.exists())

    def test_tokens_are_per_author(self):
        token = uuid.uuid4()
        fixtures.submitted_update(self.world, client_token=token)
        other = services.submit_progress(
            commitment=self.world.commitment, author=self.world.city, narrative="x", client_token=token
        )
        self.assertEqual(ProgressUpdate.objects.count(), 2)
        self.assertEqual(other.author, self.world.city)

    def test_without_a_token_every_call_files_a_report(self):
        fixtures.submitted_update(self.world)
        fixtures.submitted_update(self.world)
        self.assertEqual(ProgressUpdate.objects.count(), 2)


class VerifyProgressTests(ServiceTestCase):
    def test_totals_sum_verified_updates_only(self):
        verified = fixtures.submitted_update(self.world, achieved_quantity=Decimal(1), achieved_value_vnd=50_000_000)
        services.verify_progress(update=verified, reviewer=self.world.city)
        fixtures.submitted_update(self.world, achieved_quantity=Decimal(1), achieved_value_vnd=70_000_000)
        fixtures.returned_update(self.world)
        self.world.commitment.refresh_from_db()
        self.assertEqual(self.world.commitment.achieved_quantity, Decimal(1))
        self.assertEqual(self.world.commitment.achieved_value_vnd, 50_000_000)
        self.assertIsNone(self.world.commitment.completed_on)

    def test_completed_on_is_set_when_the_target_is_reached(self):
        first = fixtures.submitted_update(self.world, achieved_quantity=Decimal(1), achieved_value_vnd=80_000_000)
        services.verify_progress(update=first, reviewer=self.world.city)
        at = timezone.now() - datetime.timedelta(days=1)
        second = fixtures.submitted_update(
            self.world, achieved_quantity=Decimal(1), achieved_value_vnd=80_000_000, at=at
        )
        services.verify_progress(update=second, reviewer=self.world.city)
        commitment = Commitment.objects.with_status().get(pk=self.world.commitment.pk)
        # The day the target was reached is the day the verification reaching it was recorded.
        self.assertEqual(commitment.completed_on, timezone.localdate())
        yesterday = Commitment.objects.with_status(timezone.localdate(at)).get(pk=commitment.pk)
        self.assertEqual((yesterday.status, yesterday.progress), (Commitment.Status.IN_PROGRESS, 0))
        self.assertEqual(commitment.status, Commitment.Status.COMPLETED_ON_TIME)
        self.assertEqual(commitment.progress_percent, 100)

    def test_only_city_staff_verify(self):
        update = fixtures.submitted_update(self.world)
        for user in (self.world.officer, self.world.leader):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                services.verify_progress(update=update, reviewer=user)
        services.verify_progress(update=update, reviewer=self.world.admin)

    def test_a_reviewed_update_cannot_be_reviewed_again(self):
        update = fixtures.submitted_update(self.world)
        services.verify_progress(update=update, reviewer=self.world.city)
        with self.assertRaises(ValidationError):
            services.verify_progress(update=update, reviewer=self.world.city)


class ReturnProgressTests(ServiceTestCase):
    def test_a_reason_is_required(self):
        update = fixtures.submitted_update(self.world)
        with self.assertRaises(ValidationError) as raised:
            services.return_progress(update=update, reviewer=self.world.city, reason="  ")
        self.assertIn("reason", raised.exception.message_dict)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)

    def test_returned_update_keeps_its_reason_and_reviewer(self):
        update = fixtures.returned_update(self.world, reason="Thiếu ảnh.")
        self.assertEqual(update.state, ProgressUpdate.State.RETURNED)
        self.assertEqual(update.return_reason, "Thiếu ảnh.")
        self.assertEqual(update.reviewed_by, self.world.city)


class ResubmitProgressTests(ServiceTestCase):
    def test_returned_update_is_corrected_and_waits_again(self):
        update = fixtures.returned_update(self.world)
        old = Evidence.objects.create(
            update=update, kind=Evidence.Kind.PHOTO, file="x.png", original_name="cu.png", sha256="0" * 64
        )
        resubmitted = services.resubmit_progress(
            update=update,
            author=self.world.officer,
            narrative="Đã bổ sung biên bản.",
            achieved_quantity=Decimal(2),
            achieved_value_vnd=None,
            evidence_files=[fixtures.pdf()],
            remove_evidence=[old],
        )
        self.assertEqual(resubmitted.state, ProgressUpdate.State.SUBMITTED)
        self.assertEqual(resubmitted.resubmission_count, 1)
        self.assertIsNone(resubmitted.reviewed_by)
        self.assertEqual(resubmitted.achieved_quantity, Decimal(2))
        self.assertEqual(list(resubmitted.evidence.values_list("kind", flat=True)), ["pdf"])
        services.verify_progress(update=resubmitted, reviewer=self.world.city)
        self.world.commitment.refresh_from_db()
        self.assertEqual(self.world.commitment.achieved_quantity, Decimal(2))

    def test_only_returned_updates_are_resubmitted(self):
        update = fixtures.submitted_update(self.world)
        with self.assertRaises(ValidationError):
            services.resubmit_progress(
                update=update, author=self.world.officer, narrative="x", achieved_quantity=1, achieved_value_vnd=None
            )

    def test_another_unit_cannot_resubmit(self):
        update = fixtures.returned_update(self.world)
        with self.assertRaises(ProgressUpdate.DoesNotExist):
            services.resubmit_progress(
                update=update,
                author=self.world.supported_officer,
                narrative="x",
                achieved_quantity=1,
                achieved_value_vnd=None,
            )


class SaveCommitmentTests(ServiceTestCase):
    def test_only_city_staff_create(self):
        commitment = Commitment(
            partnership=self.world.partnership,
            owner=self.world.supporter,
            field=self.world.commitment.field,
            title="Mới",
            support_form=Commitment.SupportForm.CASH,
            target_value_vnd=1_000_000,
            start_on=datetime.date(2025, 9, 1),
        )
        with self.assertRaises(PermissionDenied):
            services.save_commitment(commitment=commitment, editor=self.world.officer)
        services.save_commitment(commitment=commitment, editor=self.world.city)
        self.assertIsNotNone(commitment.pk)

    def test_officer_cannot_hand_the_commitment_to_another_unit(self):
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.owner = self.world.supported
        with self.assertRaises(PermissionDenied):
            services.save_commitment(commitment=commitment, editor=self.world.officer)

    def test_a_lowered_target_completes_and_a_raised_one_reopens(self):
        update = fixtures.submitted_update(self.world, achieved_quantity=Decimal(1), achieved_value_vnd=80_000_000)
        services.verify_progress(update=update, reviewer=self.world.city)
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.target_quantity, commitment.target_value_vnd = Decimal(1), 80_000_000
        services.save_commitment(commitment=commitment, editor=self.world.officer, reason="Giảm")
        self.assertIsNone(commitment.completed_on, "an officer's lower target waits for approval")
        services.approve_adjustment(adjustment=commitment.adjustments.get(), reviewer=self.world.city)
        commitment.refresh_from_db()
        self.assertEqual(commitment.completed_on, timezone.localdate())
        commitment.target_quantity = Decimal(3)
        services.save_commitment(commitment=commitment, editor=self.world.city, reason="Tăng")
        commitment.refresh_from_db()
        self.assertIsNone(commitment.completed_on)
