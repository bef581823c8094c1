"""Large reports: printed rows against the limit, the summarised layout, the appendix rendered in chunks."""

import datetime
from decimal import Decimal
from unittest import mock

from django.test import TestCase, override_settings
from django.utils import translation

from communes.models import Constituent
from partnerships.models import Membership, Partnership
from reports.documents import build_document
from reports.figures import CityFigures
from reports.models import Report
from reports.pdf import RendererPool, render_parts, shared_pool
from reports.services import report_rows, report_scope, run_report
from tests import factories
from tests.reports.pdftools import fonts, page_texts, text_of, top_margin_texts, watermark_shapes
from tests.reports.programme import Programme


def document_of(report: Report):
    figures = CityFigures.build(report_rows(report.period), report_scope(report))
    with translation.override("vi"):
        return build_document(report, figures), figures


class PrintedRowsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_a_city_report_counts_the_rows_it_prints_not_every_commitment(self):
        report = Report(period=self.programme.q4, kind=Report.Kind.CITY)
        document, figures = document_of(report)
        # No commitments appendix in a city-wide report: overdue lines, partnerships and fields only.
        self.assertEqual(document.printed_rows, len(figures.overdue) + len(figures.partnerships) + len(figures.fields))
        self.assertGreater(len(figures.commitments), len(figures.overdue))
        unit = Report(period=self.programme.q4, kind=Report.Kind.UNIT, commune=self.programme.world.supporter)
        unit_document, unit_figures = document_of(unit)
        self.assertEqual(
            unit_document.printed_rows,
            len(unit_figures.overdue)
            + len(unit_figures.partnerships)
            + len(unit_figures.commitments)
            + len(unit_figures.fields),
        )

    def test_the_limit_applies_to_printed_rows(self):
        report = Report.objects.create(period=self.programme.q4, kind=Report.Kind.CITY)
        document, figures = document_of(report)
        everything = len(figures.partnerships) + len(figures.fields) + len(figures.commitments)
        self.assertLess(document.printed_rows, everything)
        with override_settings(REPORT_MAX_TABLE_ROWS=document.printed_rows):
            run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.DONE)
        again = Report.objects.create(period=self.programme.q4, kind=Report.Kind.CITY, version=2)
        with override_settings(REPORT_MAX_TABLE_ROWS=document.printed_rows - 1):
            run_report(report_id=again.pk)
        again.refresh_from_db()
        self.assertEqual(again.status, Report.Status.FAILED)
        self.assertIn(f"Báo cáo có {document.printed_rows} dòng bảng biểu", again.error_message)


class SummarisedLayoutTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        # The supported unit of the overdue clinic's partnership lies in another province.
        Constituent.objects.create(
            commune=world.other_partnership.memberships.get(role=Membership.Role.SUPPORTED).commune,
            old_name="xã Cũ",
            old_district="Huyện Cũ",
            old_province="Tỉnh Lào Cai",
        )
        Constituent.objects.create(
            commune=world.supported, old_name="xã Trà Tân", old_district="Bắc Trà My", old_province="Tỉnh Quảng Nam"
        )
        # A second overdue commitment there, due after the clinic: not among the oldest one per province.
        factories.commitment(
            partnership=world.other_partnership,
            field=cls.programme.health,
            title="Tập huấn y tế cơ sở",
            due_on=datetime.date(2025, 12, 1),
            target_quantity=Decimal(3),
            target_unit="lớp",
        )
        cls.report = Report(period=cls.programme.q4, kind=Report.Kind.CITY)

    def test_below_the_threshold_every_line_is_printed(self):
        document, figures = document_of(self.report)
        self.assertFalse(document.summarised)
        self.assertNotIn("Kết quả theo tỉnh, thành phố", document.parts[0])
        for line in figures.overdue:
            self.assertIn(line.title, document.parts[0])

    @override_settings(REPORT_SUMMARY_ABOVE_PARTNERSHIPS=1, REPORT_OVERDUE_PER_PROVINCE=1)
    def test_above_the_threshold_by_province_with_the_oldest_overdue_of_each(self):
        document, figures = document_of(self.report)
        self.assertTrue(document.summarised)
        provinces = {p.name: p for p in figures.provinces}
        # Quảng Nam merged into Đà Nẵng in 2025: its units count there.
        self.assertEqual(set(provinces), {"Thành phố Đà Nẵng", "Tỉnh Lào Cai"})
        self.assertEqual(sum(p.partnerships for p in provinces.values()), len(figures.partnerships))
        self.assertEqual(provinces["Tỉnh Lào Cai"].overdue, 2)
        overdue_by_province = dict(figures.oldest_overdue_by_province(1))
        self.assertTrue(all(len(lines) == 1 for lines in overdue_by_province.values()))
        shown = sum(len(lines) for lines in overdue_by_province.values())
        self.assertLess(shown, len(figures.overdue))
        with self.settings(REPORT_APPENDIX_CHUNK_ROWS=100):
            content = render_parts(build_document_parts(self.report)).content
        text = text_of(content)
        self.assertIn("3. Kết quả theo tỉnh, thành phố", text)
        self.assertIn(f"Có {len(figures.overdue)} cam kết đã quá hạn nhưng chưa hoàn thành", text)
        self.assertIn(f"Dưới đây là {shown} cam kết quá hạn lâu nhất của từng tỉnh, thành phố", text)
        self.assertIn("Tỉnh Lào Cai", text)
        self.assertIn("Khám bệnh, cấp thuốc miễn phí", text)  # Lào Cai's oldest overdue commitment
        self.assertNotIn("Tập huấn y tế cơ sở", text)
        self.assertNotIn("Bản đồ kết nghĩa", text)  # the map draws Đà Nẵng only
        # Every partnership still has its row in appendix 1.
        for partnership in Partnership.objects.with_member_names():
            self.assertIn(partnership.display_name().replace(" + ", ", "), text)


def build_document_parts(report: Report) -> list[str]:
    return document_of(report)[0].parts


@override_settings(REPORT_APPENDIX_CHUNK_ROWS=1)
class ChunkedRenderingTests(TestCase):
    """A tiny chunk size: the appendix of the small programme is rendered in several processes and joined."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def render(self, **values) -> Report:
        report = Report.objects.create(period=self.programme.q4, kind=Report.Kind.CITY, **values)
        pool = shared_pool(2)
        before = sum(renderer.parts for renderer in pool.renderers)
        with (
            mock.patch.object(RendererPool, "MAX_PARTS", 10**6),  # no renderer replaced while counting
            mock.patch("reports.pdf.render_pdf", side_effect=AssertionError("rendered in the worker")),
        ):
            run_report(report_id=report.pk)
        # Every part went to the renderer processes, which stay up, warm, for the next report.
        document, _figures = document_of(report)
        self.assertIs(shared_pool(2), pool)
        self.assertEqual(sum(renderer.parts for renderer in pool.renderers), before + len(document.parts))
        return Report.objects.get(pk=report.pk)

    def test_the_parts_are_joined_with_continuous_page_numbers_and_the_draft_mark_on_every_page(self):
        report = self.render()
        self.assertEqual(report.status, Report.Status.DONE, report.error_message)
        document, figures = document_of(report)
        self.assertEqual(len(document.parts), 1 + len(figures.partnerships) + 1)
        content = report.pdf.read()
        pages = page_texts(content)
        self.assertEqual(report.page_count, len(pages))
        self.assertGreaterEqual(len(pages), len(document.parts))
        self.assertEqual(top_margin_texts(content), [""] + [str(n) for n in range(2, len(pages) + 1)])
        # The watermark is drawn on every page, outside the text layer (issue 17): only the stamp on page 1 is text.
        for number, shapes in enumerate(watermark_shapes(content), start=1):
            self.assertGreaterEqual(shapes, 6, f"page {number}")
        self.assertEqual(sum(text.count("DỰ THẢO") for text in pages), 1)
        # The heading block only on the first page; every partnership once, numbered on.
        self.assertIn("ĐẢNG CỘNG SẢN VIỆT NAM", pages[0])
        self.assertFalse(any("ĐẢNG CỘNG SẢN VIỆT NAM" in text for text in pages[1:]))
        text = text_of(content)
        self.assertEqual(text.count("PHỤ LỤC 1"), 1)
        appendix = text[text.index("PHỤ LỤC 1") : text.index("PHỤ LỤC 2")]
        for partnership in Partnership.objects.with_member_names():
            name = partnership.display_name().replace(" + ", ", ")
            self.assertEqual(appendix.count(name), 1, name)
        self.assertEqual(appendix.count("Tổng cộng"), 1)  # after the last chunk only
        found = fonts(content)
        self.assertTrue(all(found.values()), found)
        self.assertTrue(all("Report-Serif" in name for name in found), found)

    def test_a_finalised_report_has_no_draft_mark_on_any_page(self):
        report = self.render(number=None, finalised_at=None)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED)
        final = Report.objects.get(pk=report.pk)
        final.finalised_at = final.finished_at
        final.number = 3
        final.term = "2025-2030"
        final.save()
        run_report(report_id=final.pk)
        final.refresh_from_db()
        content = final.pdf.read()
        pages = page_texts(content)
        self.assertGreater(len(pages), 3)
        self.assertFalse(any("DỰ THẢO" in text for text in pages))
        self.assertEqual(set(watermark_shapes(content)), {0})
        self.assertIn("Số 03-BC/TU", pages[0])
