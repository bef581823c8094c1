"""Model facts and database invariants added for the commitments pages."""

import datetime
import uuid
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.test import TestCase
from django.utils import timezone

from commitments import services
from commitments.models import Commitment, ProgressUpdate, ReportingPeriod
from tests import factories
from tests.assertions import violates
from tests.commitments import fixtures


class ProgressUpdateModelTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        fixtures.current_period()

    def test_client_token_is_unique_per_author(self):
        token = uuid.uuid4()
        factories.progress(commitment=self.world.commitment, author=self.world.officer, client_token=token)
        factories.progress(commitment=self.world.commitment, author=self.world.city, client_token=token)
        with violates("progress_client_token_once_per_author"):
            factories.progress(commitment=self.world.commitment, author=self.world.officer, client_token=token)

    def test_updates_without_token_do_not_collide(self):
        factories.progress(commitment=self.world.commitment, author=self.world.officer)
        factories.progress(commitment=self.world.commitment, author=self.world.officer)
        self.assertEqual(ProgressUpdate.objects.count(), 2)

    def test_verified_update_is_locked_by_the_database(self):
        update = fixtures.submitted_update(self.world)
        services.verify_progress(update=update, reviewer=self.world.city)
        with violates("verified_progress_is_locked"):
            ProgressUpdate.objects.filter(pk=update.pk).update(narrative="sửa sau khi xác nhận")
        self.assertIs(ProgressUpdate.objects.get(pk=update.pk).is_locked, True)


class CommitmentStatusTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()

    def status_of(self, commitment, today):
        return Commitment.objects.with_status(today).get(pk=commitment.pk).status

    def test_statuses_in_sql(self):
        commitment = self.world.commitment
        self.assertEqual(self.status_of(commitment, datetime.date(2025, 10, 1)), Commitment.Status.NOT_STARTED)
        self.assertEqual(self.status_of(commitment, datetime.date(2027, 1, 1)), Commitment.Status.OVERDUE)
        factories.progress(commitment=commitment, author=self.world.officer, submitted_at=at(2025, 9, 20))
        self.assertEqual(self.status_of(commitment, datetime.date(2025, 10, 1)), Commitment.Status.IN_PROGRESS)
        # Progress reported after the day does not start it on that day.
        self.assertEqual(self.status_of(commitment, datetime.date(2025, 9, 19)), Commitment.Status.NOT_STARTED)

    def test_completed_only_on_or_after_its_completion_day(self):
        """Issue 15: a commitment completed on 29/11/2025 was not completed at the cut-off of 14/09/2025."""
        commitment = self.world.commitment
        factories.progress(commitment=commitment, author=self.world.officer, submitted_at=at(2025, 9, 5))
        Commitment.objects.filter(pk=commitment.pk).update(
            due_on=datetime.date(2025, 11, 1), completed_on=datetime.date(2025, 11, 29)
        )
        self.assertEqual(self.status_of(commitment, datetime.date(2025, 9, 14)), Commitment.Status.IN_PROGRESS)
        self.assertEqual(self.status_of(commitment, datetime.date(2025, 11, 28)), Commitment.Status.OVERDUE)
        self.assertEqual(self.status_of(commitment, datetime.date(2025, 11, 29)), Commitment.Status.COMPLETED_LATE)
        self.assertEqual(Commitment.objects.overdue(datetime.date(2025, 11, 28)).filter(pk=commitment.pk).count(), 1)
        self.assertEqual(Commitment.objects.overdue(datetime.date(2025, 11, 29)).filter(pk=commitment.pk).count(), 0)

    def test_an_open_commitment_at_nought_is_never_completed(self):
        """Issue 15: due 11/01/2026 at 0 %, it printed as "Hoàn thành quá hạn" in the quý IV/2025 report."""
        commitment = factories.commitment(
            partnership=self.world.partnership, start_on=datetime.date(2025, 9, 1), due_on=datetime.date(2026, 1, 11)
        )
        row = Commitment.objects.with_status(datetime.date(2025, 12, 14)).get(pk=commitment.pk)
        self.assertEqual((row.status, row.progress), (Commitment.Status.NOT_STARTED, 0))

    def test_progress_counts_verified_updates_up_to_the_day_quantity_first(self):
        commitment = self.world.commitment  # 2 căn nhà, 160.000.000 đ
        first = services.submit_progress(
            commitment=commitment,
            author=self.world.officer,
            narrative="Căn thứ nhất",
            achieved_quantity=Decimal(1),
            achieved_value_vnd=0,
            at=at(2025, 10, 1),
        )
        services.verify_progress(update=first, reviewer=self.world.city, at=at(2025, 10, 3))
        services.submit_progress(
            commitment=commitment,
            author=self.world.officer,
            narrative="Căn thứ hai, chờ xác nhận",
            achieved_quantity=Decimal(1),
            at=at(2025, 10, 20),
        )

        def progress_on(day):
            return Commitment.objects.with_status(day).get(pk=commitment.pk).progress

        self.assertEqual(progress_on(datetime.date(2025, 10, 2)), 0)  # reported, not yet verified
        self.assertEqual(progress_on(datetime.date(2025, 10, 3)), 50)
        self.assertEqual(progress_on(datetime.date(2026, 1, 1)), 50)  # the second is still waiting
        self.assertEqual(Commitment.objects.get(pk=commitment.pk).progress_percent, 50)  # today, one query

    def test_a_day_ends_at_local_midnight(self):
        """The as-of filters compare moments with the end of the day in Vietnam's time: a report sent at
        23:59 local time (16:59 UTC) belongs to that day, one sent a minute after midnight to the next."""
        commitment = self.world.commitment
        late = timezone.make_aware(datetime.datetime(2025, 10, 1, 23, 59))
        update = factories.progress(commitment=commitment, author=self.world.officer, submitted_at=late)
        after_midnight = late + datetime.timedelta(minutes=2)
        services.verify_progress(update=update, reviewer=self.world.city, at=after_midnight)
        updates = ProgressUpdate.objects.filter(pk=update.pk)
        october_1, october_2 = datetime.date(2025, 10, 1), datetime.date(2025, 10, 2)

        self.assertEqual(updates.reported_by(october_1).count(), 1)
        self.assertEqual(updates.verified_by(october_1).count(), 0)
        self.assertEqual(updates.awaiting_review_on(october_1).count(), 1)
        self.assertEqual(updates.verified_by(october_2).count(), 1)
        self.assertEqual(updates.awaiting_review_on(october_2).count(), 0)
        self.assertEqual(updates.reported_by(datetime.date(2025, 9, 30)).count(), 0)
        self.assertEqual(Commitment.objects.with_status(october_1).get(pk=commitment.pk).progress, 0)
        self.assertEqual(Commitment.objects.with_status(october_2).get(pk=commitment.pk).progress, 50)


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 9))


class CommitmentEditableByTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()

    def test_is_editable_by_agrees_with_the_editable_by_queryset_for_every_role(self):
        world = self.world
        people = [
            world.city,
            world.admin,
            world.leader,
            world.officer,
            world.supported_officer,
            world.outsider_officer,
            AnonymousUser(),
        ]
        for commitment in (world.commitment, world.other_commitment):
            for user in people:
                with self.subTest(commitment=commitment.pk, user=str(user)):
                    expected = Commitment.objects.editable_by(user).filter(pk=commitment.pk).exists()
                    with self.assertNumQueries(0):
                        self.assertIs(commitment.is_editable_by(user), expected)

    def test_an_officer_edits_only_what_their_unit_owns(self):
        self.assertIs(self.world.commitment.is_editable_by(self.world.officer), True)
        self.assertIs(self.world.other_commitment.is_editable_by(self.world.officer), False)
        self.assertIs(self.world.commitment.is_editable_by(self.world.leader), False)


class ReportingPeriodQuarterContainingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.decree = factories.period(2025, 4)  # 15/9 – 14/12/2025
        start, end = ReportingPeriod.quarter_bounds(2025, 4, ReportingPeriod.Convention.CALENDAR)
        cls.calendar = factories.period(
            2025, 4, convention=ReportingPeriod.Convention.CALENDAR, starts_on=start, ends_on=end
        )
        factories.period(
            2026,
            1,
            kind=ReportingPeriod.Kind.YEAR,
            starts_on=datetime.date(2025, 12, 15),
            ends_on=datetime.date(2026, 12, 14),
        )

    def test_gives_what_the_queryset_gives(self):
        for day, expected in [
            (datetime.date(2025, 9, 20), self.decree),  # only the decree's quarter has begun
            (datetime.date(2025, 10, 5), self.decree),  # both: the newer convention's, as order_by("-convention")
            (datetime.date(2025, 12, 20), self.calendar),
            (datetime.date(2026, 2, 1), None),  # a year period is no quarter
        ]:
            with self.subTest(day=day), self.assertNumQueries(1):
                self.assertEqual(ReportingPeriod.quarter_containing(day), expected)
            orm = ReportingPeriod.objects.quarters().containing(day).order_by("-convention").first()
            self.assertEqual(ReportingPeriod.quarter_containing(day), orm)
