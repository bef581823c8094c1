"""The dashboard, the PDF's figures, the Excel workbook and the period snapshot agree, for the same day.

Every rule lives once in the apps' querysets; the dashboard (reports.summary) groups them in SQL, the
PDF and the workbook read ``CityFigures`` built from ``load_rows``, a closed period reads its frozen
snapshot. For every filter the dashboard offers and for several days (today, past cut-offs) they must
show the same numbers.
"""

import datetime
import io
from collections import Counter
from dataclasses import astuple

import pghistory
from django.conf import settings
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from openpyxl import load_workbook

from commitments.models import Commitment, ProgressUpdate, ReportingPeriod
from commitments.services import verify_progress
from communes.maps import load_boundaries
from communes.models import Commune
from demo import scale_data
from partnerships.models import Activity, Partnership
from reports.figures import CityFigures, Scope, load_rows
from reports.forms import DashboardFilterForm
from reports.models import PeriodSnapshot, Report
from reports.services import close_period, report_rows
from reports.spreadsheet import build_workbook
from reports.summary import OVERDUE_SHOWN, district_names, load_summary
from tests import factories
from tests.reports.programme import Programme

HEADLINE = (
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
)
FIELD_COLUMNS = "name commitments completed_on_time completed_late in_progress overdue not_started".split()


def dashboard_scopes(districts: list[str]) -> list[Scope]:
    """Every filter value the form offers, one at a time, and a few combinations (through the form)."""
    queries = [{}, {"mountainous": "yes"}, {"mountainous": "no"}, {"border": "yes"}, {"border": "no"}]
    queries += [{"former_district": district} for district in districts]
    queries += [{"former_district": district, "mountainous": "no", "border": "no"} for district in districts[:3]]
    queries += [{"mountainous": "yes", "border": "yes"}]
    return [DashboardFilterForm(query or None, districts=districts).scope() for query in queries]


def workbook_fields(figures: CityFigures, period: ReportingPeriod) -> list[list]:
    """The per-field table of the workbook's summary sheet, as the reader sees it."""
    report, _created = Report.objects.get_or_create(period=period, kind=Report.Kind.CITY, version=1)
    sheet = load_workbook(io.BytesIO(build_workbook(report, figures)))["Tổng hợp"]
    rows = [[cell.value for cell in row[: len(FIELD_COLUMNS)]] for row in sheet.iter_rows(min_row=6)]
    return [row for row in rows if row[0] and row[0] != "Tổng cộng"]  # the fields, without the total row


class SameFigures:
    """Mixin: the dashboard's summary against CityFigures for the same user, scope and day."""

    def assert_same_figures(self, user, scope: Scope, day: datetime.date | None = None) -> None:
        day = day or timezone.localdate()
        figures = CityFigures.build(load_rows(user=user, as_of=day), scope)
        summary = load_summary(scope, today=day)
        label = f"scope {scope}, {day}"
        for name in HEADLINE:
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
        held = Activity.objects.filter(occurred_on__lte=day).order_by("-occurred_on", "-pk")[:OVERDUE_SHOWN]
        self.assertEqual(
            [(a.partnership_id, a.title) for a in summary.activities], [(a.partnership_id, a.title) for a in held]
        )

    def assert_report_paths_agree(self, period: ReportingPeriod) -> CityFigures:
        """Dashboard as of the cut-off = the PDF's figures = the workbook = the snapshot once closed."""
        day = period.ends_on
        summary = load_summary(Scope(), today=day)
        live = CityFigures.build(report_rows(period))
        close_period(period=period, closed_by=None, today=max(day + datetime.timedelta(days=1), timezone.localdate()))
        self.assertTrue(PeriodSnapshot.objects.filter(period=period).exists())
        frozen = CityFigures.build(report_rows(period))
        for name in HEADLINE:
            with self.subTest(figure=name, period=period.label):
                self.assertEqual(getattr(live, name), getattr(summary, name), "PDF vs dashboard")
                self.assertEqual(getattr(frozen, name), getattr(live, name), "snapshot vs PDF")
        expected = [[getattr(f, c) for c in FIELD_COLUMNS] for f in summary.fields]
        self.assertEqual(workbook_fields(live, period), expected, "workbook vs dashboard")
        self.assertEqual(workbook_fields(frozen, period), expected, "workbook of the snapshot")
        return live


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
        for day in (None, self.programme.q3.ends_on, self.programme.q4.ends_on):
            for scope in dashboard_scopes(districts):
                with self.subTest(scope=scope, day=day):
                    self.assert_same_figures(self.programme.world.city, scope, day)

    def test_report_paths_agree_at_each_cut_off(self):
        self.assert_report_paths_agree(self.programme.q3)
        self.assert_report_paths_agree(self.programme.q4)

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
        for day in (None, timezone.localdate() - datetime.timedelta(days=120)):
            for scope in dashboard_scopes(districts[:6]):
                with self.subTest(scope=scope, day=day):
                    self.assert_same_figures(self.staff, scope, day)


class DemoSummaryTests(SameFigures, TestCase):
    """The real 94 units of Đà Nẵng with the demo programme (what `make run` shows)."""

    @classmethod
    def setUpTestData(cls):
        with pghistory.context(command="test"):
            call_command("load_reference_data", verbosity=0)
            call_command("seed_demo", verbosity=0)
        cls.staff = factories.user("city_staff", username="demo-summary-staff")

    def quarter(self, number: int) -> ReportingPeriod:
        return ReportingPeriod.objects.get(kind="quarter", year=2025, number=number, convention="decree_09")

    def test_every_filter_gives_the_same_figures(self):
        districts = district_names()
        self.assertGreaterEqual(len(districts), 8)
        for day in (None, self.quarter(3).ends_on, self.quarter(4).ends_on):
            for scope in dashboard_scopes(districts[::3]):  # every third district: enough, and quicker
                with self.subTest(scope=scope, day=day):
                    self.assert_same_figures(self.staff, scope, day)

    def test_quarter_reports_show_only_what_was_true_at_the_cut_off(self):
        """Issue 15's cases on the demo data: quý III/2025 (to 14/09) and quý IV/2025 (to 14/12)."""
        q3, q4 = self.quarter(3), self.quarter(4)
        for period in (q3, q4):
            figures = CityFigures.build(report_rows(period))
            day = period.ends_on
            with self.subTest(period=period.label):
                # Completed: only what was completed on or before the cut-off (0 by 14/09, 2 by 14/12).
                completed_by_then = Commitment.objects.filter(completed_on__lte=day).count()
                self.assertEqual(figures.completed, completed_by_then)
                self.assertEqual(figures.completed, {3: 0, 4: 2}[period.number])
                for line in figures.commitments:
                    if line.status in (Commitment.Status.COMPLETED_ON_TIME, Commitment.Status.COMPLETED_LATE):
                        self.assertEqual(line.progress_percent, 100, line.title)
                # Signed or active: only partnerships signed on or before the cut-off.
                signed_later = set(Partnership.objects.filter(signed_on__gt=day).values_list("pk", flat=True))
                self.assertEqual(len(signed_later), {3: 15, 4: 0}[period.number])
                for partnership in figures.partnerships:
                    self.assertFalse(
                        partnership.id in signed_later and partnership.status in Partnership.ACTIVE_STATUSES
                    )
                    self.assertTrue(partnership.signed_on is None or partnership.signed_on <= day)

    def test_verifying_progress_or_signing_today_changes_neither_report(self):
        before = {n: CityFigures.build(report_rows(self.quarter(n))) for n in (3, 4)}
        city = factories.user("city_staff", username="demo-verifier")
        for update in ProgressUpdate.objects.awaiting_review()[:10]:
            verify_progress(update=update, reviewer=city)
        unsigned = Partnership.objects.filter(status=Partnership.Status.ASSIGNED).first()
        unsigned.status, unsigned.signed_on = Partnership.Status.SIGNED, timezone.localdate()
        unsigned.save()
        for number in (3, 4):
            with self.subTest(quarter=number):
                self.assertEqual(CityFigures.build(report_rows(self.quarter(number))), before[number])

    def test_report_paths_agree_at_each_cut_off(self):
        self.assert_report_paths_agree(self.quarter(3))
        self.assert_report_paths_agree(self.quarter(4))
