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
            ["Tổng hợp", "Quan hệ kết nghĩa", "Nhà ở (nhà tình nghĩa, nhà đại", "Y tế"],  # 31 characters at most
        )

    def test_headers_are_vietnamese_and_cells_hold_numbers_and_dates(self):
        sheet = self.workbook["Quan hệ kết nghĩa"]
        headers = [cell.value for cell in sheet[1]]
        self.assertIn("Quan hệ kết nghĩa", headers)
        self.assertIn("Giá trị đã thực hiện (đồng)", headers)
        rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
        main = rows["Hòa Cường – Trà Tân"]
        signed = main[headers.index("Ngày ký")]
        self.assertEqual(signed.value, datetime.datetime(2025, 8, 8))
        self.assertEqual(signed.number_format, DATE)
        achieved = main[headers.index("Giá trị đã thực hiện (đồng)")]
        self.assertEqual((achieved.value, achieved.number_format), (80_000_000, MONEY))
        self.assertEqual(MONEY, '#,##0" đ"')

    def test_field_sheets_list_their_commitments_with_quantities(self):
        sheet = self.workbook["Y tế"]
        headers = [cell.value for cell in sheet[1]]
        titles = [row[1].value for row in sheet.iter_rows(min_row=2)]
        self.assertIn("Khám bệnh, cấp thuốc miễn phí", titles)
        clinic = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "Khám bệnh, cấp thuốc miễn phí")
        self.assertEqual(clinic[headers.index("Chỉ tiêu số lượng")].value, 500)
        self.assertEqual(clinic[headers.index("Hạn hoàn thành")].value, datetime.datetime(2025, 11, 30))
        self.assertEqual(clinic[headers.index("Tình trạng")].value, "Quá hạn")

    def test_totals_per_field_equal_the_figures(self):
        sheet = self.workbook["Tổng hợp"]
        values = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=6) if row[0].value}
        self.assertEqual(values, {field.name: field.commitments for field in self.figures.fields})
