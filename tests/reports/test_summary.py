"""The dashboard's SQL summary shows exactly CityFigures' numbers, for every filter the dashboard offers.

CityFigures (reports/figures.py) stays the reference: the printed reports use it. If either side
changes a rule (a status, a health threshold, a rounding), these tests fail until both agree again.
"""

import datetime
from collections import Counter
from dataclasses import astuple

import pghistory
from django.conf import settings
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from commitments.models import Commitment
from communes.maps import load_boundaries
from communes.models import Commune
from demo import scale_data
from reports.figures import CityFigures, Scope, load_rows, recent_activities
from reports.forms import DashboardFilterForm
from reports.summary import OVERDUE_SHOWN, district_names, load_summary
from tests import factories
from tests.reports.programme import Programme


def dashboard_scopes(districts: list[str]) -> list[Scope]:
    """Every filter value the form offers, one at a time, and a few combinations (through the form)."""
    queries = [{}, {"mountainous": "yes"}, {"mountainous": "no"}, {"border": "yes"}, {"border": "no"}]
    queries += [{"former_district": district} for district in districts]
    queries += [{"former_district": district, "mountainous": "no", "border": "no"} for district in districts[:3]]
    queries += [{"mountainous": "yes", "border": "yes"}]
    return [DashboardFilterForm(query or None, districts=districts).scope() for query in queries]


class SameFigures:
    """Mixin: compare the summary with CityFigures built from load_rows for the same user and scope."""

    def assert_same_figures(self, user, scope: Scope) -> None:
        figures = CityFigures.build(load_rows(user=user), scope)
        summary = load_summary(scope)
        label = f"scope {scope}"
        for name in (
            "as_of",
            "coverage",
            "partnerships_by_status",
            "partnership_total",
            "partnership_active",
            "commitments_by_status",
            "commitment_total",
            "target_value_vnd",
            "achieved_value_vnd",
            "progress_percent",
            "awaiting_verification",
            "overdue_count",
            "completed",
        ):
            self.assertEqual(getattr(summary, name), getattr(figures, name), f"{name}, {label}")
        drawn = set(load_boundaries(settings.BOUNDARIES_GEOJSON))
        self.assertEqual(
            [astuple(unit) for unit in summary.units],
            sorted(astuple(unit) for unit in figures.units if unit.code in drawn),
            f"map units, {label}",
        )
        columns = (
            "id name code commitments completed_on_time completed_late in_progress overdue not_started "
            "completed progress_percent target_value_vnd achieved_value_vnd"
        ).split()
        self.assertEqual(
            [[getattr(f, c) for c in columns] for f in summary.fields],
            [[getattr(f, c) for c in columns] for f in figures.fields],
            f"fields, {label}",
        )
        columns = "id title partnership_id partnership_name owner_name due_on days_overdue progress_percent".split()
        self.assertEqual(
            [[getattr(line, c) for c in columns] for line in summary.overdue],
            [[getattr(line, c) for c in columns] for line in figures.overdue[:OVERDUE_SHOWN]],
            f"oldest overdue, {label}",
        )
        health = Counter(p.health for p in figures.partnerships)
        self.assertEqual({t.key: t.count for t in summary.partnerships_by_health if t.count}, dict(health), label)
        activities = [
            (a.partnership_id, a.title, a.occurred_on, a.get_kind_display(), a.partnership.display_name(), a.value_vnd)
            for a in recent_activities(user=user)
        ]
        self.assertEqual(
            [
                (a.partnership_id, a.title, a.occurred_on, a.kind_label, a.partnership_name, a.value_vnd)
                for a in summary.activities
            ],
            activities,
        )


class ProgrammeSummaryTests(SameFigures, TestCase):
    """The report tests' programme (factories, services): two partnerships, overdue and verified work."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        factories.commune(name="Hải Vân", code="20194", kind=Commune.Kind.WARD, former_district="Liên Chiểu")
        factories.commune(
            name="A Vương", code="20551", is_border=True, is_mountainous=True, former_district="Tây Giang"
        )
        # Ties on the due day, a quantity target reached exactly half-way (x.5 rounds to even), a value target.
        for index in range(OVERDUE_SHOWN + 2):
            factories.commitment(
                partnership=world.partnership if index % 2 else world.other_partnership,
                title=f"Cam kết quá hạn {index}",
                start_on=datetime.date(2025, 1, 1),
                due_on=datetime.date(2025, 3, 1 + index // 3),
                target_quantity=8,
                achieved_quantity=1,  # 12.5 % → 12
            )
        factories.commitment(
            partnership=world.partnership, target_quantity=None, target_value_vnd=8, achieved_value_vnd=3
        )  # 37.5 % → 38

    def test_every_filter_gives_the_same_figures(self):
        districts = district_names()
        self.assertIn("Liên Chiểu", districts)
        for scope in dashboard_scopes(districts):
            with self.subTest(scope=scope):
                self.assert_same_figures(self.programme.world.city, scope)

    def test_the_overdue_list_is_cut_after_the_oldest_and_counts_all(self):
        summary = load_summary(Scope())
        self.assertEqual(len(summary.overdue), OVERDUE_SHOWN)
        self.assertEqual(summary.overdue_count, Commitment.objects.overdue(timezone.localdate()).count())
        self.assertEqual([line.due_on for line in summary.overdue], sorted(line.due_on for line in summary.overdue))

    def test_a_filter_that_admits_nothing_gives_zeros(self):
        summary = load_summary(Scope(former_district="Không có"))
        self.assertEqual((summary.partnership_total, summary.commitment_total, summary.coverage.total), (0, 0, 0))
        self.assertEqual(summary.fields, [])
        self.assertEqual(summary.overdue, [])
        self.assertTrue(all(unit.category == "outside_filter" for unit in summary.units))


class ScaleSummaryTests(SameFigures, TestCase):
    """The benchmark generator at a toy size: real units, every state in realistic proportions."""

    @classmethod
    def setUpTestData(cls):
        size = scale_data.Size(units=160, partnerships=40, commitments=400, updates=900, quarters=3)
        scale_data.seed(size, seed=11, today=timezone.localdate())
        cls.staff = factories.user("city_staff", username="summary-staff")

    def test_every_filter_gives_the_same_figures(self):
        districts = district_names()
        self.assertGreater(len(districts), 3)
        statuses = set(Commitment.objects.with_status().values_list("status", flat=True))
        self.assertEqual(statuses, set(Commitment.Status.values))  # every state is exercised
        for scope in dashboard_scopes(districts[:6]):
            with self.subTest(scope=scope):
                self.assert_same_figures(self.staff, scope)


class DemoSummaryTests(SameFigures, TestCase):
    """The real 94 units of Đà Nẵng with the demo programme (what `make run` shows)."""

    @classmethod
    def setUpTestData(cls):
        with pghistory.context(command="test"):
            call_command("load_reference_data", verbosity=0)
            call_command("seed_demo", verbosity=0)
        cls.staff = factories.user("city_staff", username="demo-summary-staff")

    def test_every_filter_gives_the_same_figures(self):
        districts = district_names()
        self.assertGreaterEqual(len(districts), 8)
        for scope in dashboard_scopes(districts[::3]):  # every third district: enough, and quicker
            with self.subTest(scope=scope):
                self.assert_same_figures(self.staff, scope)
