"""The printed report (DOMAIN.md §4) read back from the PDF: heading, number, names, totals, fonts, escaping."""

from html.parser import HTMLParser

from django.db.models import Sum
from django.test import TestCase, override_settings
from django.utils import timezone

from commitments.models import Commitment, ProgressUpdate
from partnerships.models import Partnership
from reports.documents import document_context, render_report_html
from reports.figures import CityFigures, Scope, load_rows
from reports.models import Report
from reports.pdf import html_to_pdf
from reports.periods import vietnamese_long_date
from reports.services import run_report
from tests import factories
from tests.reports.pdftools import fonts, has_embedded_files, loopback_listener, page_texts, text_of, top_margin_texts
from tests.reports.programme import Programme


def vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " đ"


class CityReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        report = Report.objects.create(
            period=cls.programme.q4, kind=Report.Kind.CITY, next_tasks="Đôn đốc hoàn thành cam kết quá hạn."
        )
        run_report(report_id=report.pk)
        cls.report = Report.objects.get(pk=report.pk)
        cls.content = cls.report.pdf.read()
        cls.text = text_of(cls.content)
        cls.pages = page_texts(cls.content)

    def test_heading_per_hd_36(self):
        for line in (
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "THÀNH ỦY ĐÀ NẴNG",
            "*",
            "BÁO CÁO",
            "Kết quả thực hiện chương trình kết nghĩa giữa các xã, phường, đặc khu quý IV năm 2025",
            "(số liệu từ ngày 15/09/2025 đến ngày 14/12/2025)",
            f"Đà Nẵng, {vietnamese_long_date(timezone.localdate())}",
            "I. KẾT QUẢ THỰC HIỆN",
            "II. HẠN CHẾ, TỒN TẠI",
            "III. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ TỚI",
            "IV. ĐỀ XUẤT, KIẾN NGHỊ",
            "Đôn đốc hoàn thành cam kết quá hạn.",
            "Nơi nhận:",
            "T/M BAN THƯỜNG VỤ",
            "PHỤ LỤC 1",
            "PHỤ LỤC 2",
            "PHỤ LỤC 3",
        ):
            self.assertIn(line, self.text)
        self.assertIn("Số -BC/TU", self.text)  # a draft has no number yet
        self.assertIn("DỰ THẢO", self.pages[0])

    def test_the_heading_comes_in_order_on_the_first_page(self):
        first = self.pages[0]
        order = ["THÀNH ỦY ĐÀ NẴNG", "ĐẢNG CỘNG SẢN VIỆT NAM", "BÁO CÁO", "(số liệu từ ngày", "I. KẾT QUẢ"]
        positions = [first.index(text) for text in order]
        self.assertEqual(positions, sorted(positions))

    def test_page_numbers_start_on_page_two_in_the_top_margin(self):
        numbers = top_margin_texts(self.content)
        self.assertGreaterEqual(len(numbers), 3)
        self.assertEqual(numbers, [""] + [str(n) for n in range(2, len(numbers) + 1)])

    def test_every_partnership_name_with_its_diacritics(self):
        for partnership in Partnership.objects.with_member_names():
            # Supporters joined with commas, never "+" (issue 17).
            self.assertIn(partnership.display_name().replace(" + ", ", "), self.text)
        self.assertIn("Hòa Cường – Trà Tân", self.text)

    def test_totals_equal_the_database(self):
        verified = ProgressUpdate.objects.filter(
            state=ProgressUpdate.State.VERIFIED, period__ends_on__lte=self.programme.q4.ends_on
        ).aggregate(value=Sum("achieved_value_vnd"))["value"]
        total = Commitment.objects.count()
        target = Commitment.objects.aggregate(value=Sum("target_value_vnd"))["value"]
        self.assertIn(f"Các đơn vị đã thống nhất {total} cam kết hỗ trợ với tổng giá trị {vnd(target)}", self.text)
        self.assertIn(f"lũy kế đến cuối kỳ đạt {vnd(verified)}", self.text)
        appendix_1 = self.text[self.text.index("PHỤ LỤC 1") : self.text.index("PHỤ LỤC 2")]
        self.assertIn(f"Tổng cộng {total} ", appendix_1)
        self.assertIn(vnd(verified), appendix_1.split("Tổng cộng")[1])
        appendix_2 = self.text[self.text.index("PHỤ LỤC 2") : self.text.index("PHỤ LỤC 3")]
        self.assertIn(f"Tổng cộng {total} ", appendix_2)

    def test_shortcomings_name_the_overdue_commitment_and_the_silent_unit(self):
        shortcomings = self.text[self.text.index("II. HẠN CHẾ") : self.text.index("III. PHƯƠNG HƯỚNG")]
        self.assertIn("Khám bệnh, cấp thuốc miễn phí", shortcomings)
        self.assertIn("30/11/2025", shortcomings)
        self.assertIn(self.programme.world.outsider.name, shortcomings)

    def test_the_map_and_its_attribution(self):
        self.assertIn("Bản đồ kết nghĩa các xã, phường, đặc khu".upper(), self.text.upper())
        self.assertIn("Vietnamese Provinces Database", self.text)
        self.assertIn("Được hỗ trợ, đã kết nghĩa", self.text)

    def test_every_font_is_the_bundled_serif_embedded(self):
        found = fonts(self.content)
        self.assertTrue(found)
        self.assertTrue(all(found.values()), found)
        self.assertTrue(all("Report-Serif" in name for name in found), found)
        self.assertFalse(has_embedded_files(self.content))

    @override_settings(REPORT_MARGINS_MM={"left": 35})
    def test_margins_are_configurable(self):
        figures = CityFigures.build(self.report.data)
        html = render_report_html(self.report, figures)
        self.assertIn("margin: 20mm 15mm 20mm 35mm", html)


class ScopedReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def context(self, report: Report, scope: Scope) -> dict:
        return document_context(report, CityFigures.build(load_rows(period=self.programme.q4), scope))

    def test_summary_lines_of_a_partnership_and_a_unit_report(self):
        world = self.programme.world
        report = Report(period=self.programme.q4, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership)
        context = self.context(report, Scope(partnership_id=world.partnership.pk))
        self.assertEqual(
            context["document_title"],
            "Kết quả thực hiện chương trình kết nghĩa giữa Hòa Cường và Trà Tân quý IV năm 2025",
        )
        self.assertEqual(list(context["appendices"]), ["commitments", "fields", "charts"])
        unit = Report(period=self.programme.q4, kind=Report.Kind.UNIT, commune=world.supporter)
        context = self.context(unit, Scope(commune_code=world.supporter.code))
        self.assertEqual(
            context["document_title"], "Kết quả thực hiện chương trình kết nghĩa của phường Hòa Cường quý IV năm 2025"
        )


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        if self.tags and self.tags[-1] == "style":
            self.styles.append(data)


class EscapingTests(TestCase):
    """Report data is text: markup in it is printed, never interpreted or fetched (RELIABILITY I5, I6)."""

    def test_markup_in_report_data_is_escaped_and_fetches_nothing(self):
        programme = Programme.build()
        world = programme.world
        with loopback_listener() as (port, hits):
            payloads = [
                f'<img src="http://127.0.0.1:{port}/img">',
                '<link rel=attachment href="file:///etc/hostname">',
                f"<style>body {{ background: url(http://127.0.0.1:{port}/css) }}</style>",
                "<script>alert(1)</script>",
            ]
            world.supported.name = "Trà Tân " + payloads[0]
            world.supported.save(update_fields=["name"])
            factories.commitment(partnership=world.partnership, title=payloads[1] + payloads[2])
            report = Report.objects.create(period=programme.q4, kind=Report.Kind.CITY, next_tasks="\n".join(payloads))
            figures = CityFigures.build(load_rows(period=programme.q4), Scope())
            html = render_report_html(report, figures)
            parser = _Tags()
            parser.feed(html)
            self.assertNotIn("img", parser.tags)
            self.assertNotIn("script", parser.tags)
            self.assertEqual(parser.tags.count("link"), 0)
            self.assertFalse([style for style in parser.styles if "127.0.0.1" in style])
            content = html_to_pdf(html)
        self.assertEqual(hits, [])
        self.assertFalse(has_embedded_files(content))
        text = text_of(content)
        self.assertIn('<img src="http://127.0.0.1', text)
        self.assertIn("<script>alert(1)</script>", text)
