"""The figures shared by the dashboard and the reports: loading (a fixed number of queries) and aggregating."""

import datetime
import json
from decimal import Decimal

from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from commitments import services
from commitments.health import Health, with_health
from commitments.models import Commitment, CommitmentAdjustment, ProgressUpdate
from core.templatetags.portal import number
from partnerships.models import Partnership
from reports.figures import CityFigures, Scope, UnitCategory, district_names, load_rows
from reports.periods import ensure_period
from tests import factories
from tests.assertions import count_queries
from tests.reports.programme import Programme


class LoadRowsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_query_count_does_not_grow_with_rows(self):
        with count_queries() as few:
            load_rows(period=self.programme.q4)
        for _ in range(5):
            partnership = factories.partnership()
            factories.commitment(partnership=partnership)
            factories.activity(partnership=partnership)
        with count_queries() as many:
            load_rows(period=self.programme.q4)
        self.assertEqual(len(few), len(many))
        self.assertLessEqual(len(many), 8)

    def test_rows_are_plain_json(self):
        rows = load_rows(period=self.programme.q4)
        self.assertEqual(json.loads(json.dumps(rows)), rows)
        self.assertEqual(rows["as_of"], "2025-12-14")

    def test_an_officer_only_loads_the_contents_of_their_partnerships(self):
        rows = load_rows(user=self.programme.world.officer, period=self.programme.q4)
        self.assertEqual({c["partnership_id"] for c in rows["commitments"]}, {self.programme.world.partnership.pk})


class CityFiguresTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.rows = load_rows(period=cls.programme.q4)
        cls.figures = CityFigures.build(cls.rows)

    def test_commitment_statuses_match_the_database(self):
        expected = {}
        for status in Commitment.objects.with_status(today=self.programme.q4.ends_on).values_list("status", flat=True):
            expected[status] = expected.get(status, 0) + 1
        counted = {tally.key: tally.count for tally in self.figures.commitments_by_status if tally.count}
        self.assertEqual(counted, expected)
        self.assertEqual(self.figures.commitment_total, Commitment.objects.count())
        self.assertEqual(self.figures.overdue_count, 1)  # the clinic, due 30/11/2025

    def test_partnerships_by_status(self):
        tallies = {tally.key: tally.count for tally in self.figures.partnerships_by_status}
        self.assertEqual(tallies[Partnership.Status.SIGNED], 2)
        self.assertEqual(tallies[Partnership.Status.ASSIGNED], 1)
        self.assertEqual(self.figures.partnership_total, Partnership.objects.count())
        self.assertEqual(self.figures.partnership_active, 2)

    def test_coverage_and_map_categories(self):
        categories = {unit.code: unit.category for unit in self.figures.units}
        world = self.programme.world
        self.assertEqual(categories[world.supported.code], UnitCategory.SUPPORTED_PAIRED)
        self.assertEqual(categories[world.supporter.code], UnitCategory.SUPPORTING_PAIRED)
        # In an assigned (unsigned) partnership only: not paired.
        self.assertEqual(categories[self.programme.unpaired_supported.code], UnitCategory.SUPPORTED_UNPAIRED)
        # Blank programme role and no partnership: not paired.
        self.assertEqual(categories[self.programme.unknown_unit.code], UnitCategory.UNPAIRED)
        coverage = self.figures.coverage
        self.assertEqual((coverage.supported_paired, coverage.supported_unpaired), (2, 1))
        self.assertEqual(
            (coverage.supporting_paired, coverage.supporting_unpaired, coverage.unknown_unpaired), (2, 1, 1)
        )
        self.assertEqual(coverage.total, len(self.figures.units))

    def test_period_flows_count_verified_progress_of_the_period_only(self):
        verified_in_q4 = ProgressUpdate.objects.filter(
            period=self.programme.q4, state=ProgressUpdate.State.VERIFIED
        ).aggregate(value=Sum("achieved_value_vnd"))["value"]
        self.assertEqual(self.figures.period_value_vnd, verified_in_q4)
        house = next(line for line in self.figures.commitments if line.id == self.programme.house.pk)
        self.assertEqual((house.period_quantity, house.progress_percent), (Decimal(1), 50))
        # The Q3 update counts in the cumulative figure, not in Q4's flow; the pending one in neither.
        started = next(line for line in self.figures.commitments if line.id == self.programme.world.commitment.pk)
        self.assertEqual((started.period_quantity, started.achieved_quantity), (Decimal(0), Decimal("0.5")))

    def test_units_that_did_not_report(self):
        codes = {line.code for line in self.figures.not_reported}
        # The supporter reported on both its commitments (one verified, one pending); the outsider on none.
        self.assertNotIn(self.programme.world.supporter.code, codes)
        self.assertIn(self.programme.world.outsider.code, codes)

    def test_activities_of_the_period(self):
        self.assertEqual(self.figures.activities.count, 2)
        self.assertEqual(self.figures.activities.delegations, 1)
        self.assertEqual(self.figures.activities.value_vnd, 50_000_000)

    def test_stalled_partnerships_are_the_red_ones(self):
        red = set(
            with_health(Partnership.objects.all(), today=self.programme.q4.ends_on)
            .filter(health=Health.RED)
            .values_list("pk", flat=True)
        )
        self.assertEqual({p.id for p in self.figures.stalled}, red)

    def test_building_from_json_gives_the_same_figures(self):
        again = CityFigures.build(json.loads(json.dumps(self.rows)))
        self.assertEqual(again, self.figures)

    def test_scope_by_former_district(self):
        scoped = CityFigures.build(self.rows, Scope(former_district="Nam Giang"))
        self.assertEqual(scoped.coverage.total, 1)
        self.assertEqual([p.supported_name for p in scoped.partnerships], ["Đắc Pring"])
        outside = {unit.category for unit in scoped.units if unit.code != self.programme.unpaired_supported.code}
        self.assertEqual(outside, {UnitCategory.OUTSIDE})

    def test_scope_by_mountainous_flag(self):
        scoped = CityFigures.build(self.rows, Scope(mountainous=True))
        self.assertEqual({p.id for p in scoped.partnerships}, {self.programme.world.partnership.pk})

    def test_scope_of_one_partnership_or_one_unit(self):
        world = self.programme.world
        one = CityFigures.build(self.rows, Scope(partnership_id=world.partnership.pk))
        self.assertEqual([p.id for p in one.partnerships], [world.partnership.pk])
        self.assertEqual(one.commitment_total, Commitment.objects.filter(partnership=world.partnership).count())
        unit = CityFigures.build(self.rows, Scope(commune_code=world.outsider.code))
        self.assertEqual([p.id for p in unit.partnerships], [world.other_partnership.pk])


class HalfYearTests(TestCase):
    def test_a_half_year_adds_up_its_quarters(self):
        programme = Programme.build()
        half = ensure_period(kind="half_year", year=2025, number=2, convention=programme.q4.convention)
        figures = {
            period.pk: CityFigures.build(load_rows(period=period)) for period in (programme.q3, programme.q4, half)
        }
        self.assertEqual(
            figures[half.pk].period_value_vnd,
            figures[programme.q3.pk].period_value_vnd + figures[programme.q4.pk].period_value_vnd,
        )
        self.assertEqual(
            figures[half.pk].activities.count,
            figures[programme.q3.pk].activities.count + figures[programme.q4.pk].activities.count,
        )


class AdjustedTargetTests(TestCase):
    """Issue 16: reports name an approved change of target, as of the day they describe."""

    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        commitment = Commitment.objects.get(pk=cls.world.commitment.pk)
        cls.original = commitment.target_quantity
        commitment.target_quantity = cls.original - 1
        services.save_commitment(commitment=commitment, editor=cls.world.officer, reason="Một hộ chuyển đi")
        cls.decided = timezone.now()
        services.approve_adjustment(
            adjustment=CommitmentAdjustment.objects.get(), reviewer=cls.world.city, at=cls.decided
        )

    def line(self, day):
        figures = CityFigures.build(load_rows(as_of=day))
        return next(line for line in figures.commitments if line.id == self.world.commitment.pk)

    def test_the_target_prints_with_its_approved_adjustment(self):
        day = timezone.localdate(self.decided)
        self.assertIn(
            f"chỉ tiêu điều chỉnh từ {number(self.original)} xuống {number(self.original - 1)}",
            self.line(day).target_text,
        )
        self.assertIn(f"duyệt ngày {day:%d/%m/%Y}", self.line(day).target_text)

    def test_a_report_of_an_earlier_day_does_not_mention_a_later_adjustment(self):
        before = timezone.localdate(self.decided) - datetime.timedelta(days=1)
        self.assertNotIn("điều chỉnh", self.line(before).target_text)

    def test_a_pending_or_refused_request_is_not_printed(self):
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.target_quantity = Decimal(9)
        services.save_commitment(commitment=commitment, editor=self.world.officer, reason="Thêm hộ")
        text = self.line(timezone.localdate()).target_text
        self.assertNotIn("xuống 9", text)
        self.assertNotIn("lên 9", text)


def test_district_names_that_differ_only_by_accents_keep_one_order():
    # Sorted with accents ignored, "Hà Hưng" and "Hạ Hưng" tie: the name decides, whatever the set's order.
    rows = {"units": [{"former_district": name} for name in ("Hạ Hưng", "Đông Giang", "", "Hà Hưng", "An Hải")]}
    assert district_names(rows) == ["An Hải", "Đông Giang", "Hà Hưng", "Hạ Hưng"]
