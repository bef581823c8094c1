"""The report's figures as an Excel workbook: a summary, one sheet for partnerships and one per field.

Cells hold real numbers and dates (not text) with Vietnamese display formats: money "1.250.000 đ",
dates dd/mm/yyyy. Excel shows the digit separators of the reader's locale.
"""

from __future__ import annotations

import datetime
import io
import re
from copy import copy
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .figures import CityFigures
from .models import Report
from .narrative import partnership_label, reason_of

MONEY = '#,##0" đ"'
INTEGER = "#,##0"
DECIMAL = "#,##0.00"
PERCENT = "0%"
DATE = "dd/mm/yyyy"

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_THIN = Side(style="thin", color="999999")
# Shared style objects: building one per cell made the workbook the slowest step after WeasyPrint.
_BORDER = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
_TEXT_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
_NUMBER_ALIGNMENT = Alignment(vertical="top")


def _quantity_format(value) -> str:
    return INTEGER if value is None or Decimal(value) == Decimal(value).to_integral() else DECIMAL


def _whole_words(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut before a word, never inside one (and no dangling comma)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else text[:limit]
    return cut.rstrip(" ,;–-(")


def _sheet_title(name: str, used: set[str]) -> str:
    """A unique sheet name of at most 31 characters (Excel's limit) made of whole words."""
    title = _whole_words(_SHEET_FORBIDDEN.sub(" ", name), 31) or "Sheet"
    base, counter = title, 2
    while title.casefold() in used:
        suffix = f" ({counter})"
        title, counter = _whole_words(base, 31 - len(suffix)) + suffix, counter + 1
    used.add(title.casefold())
    return title


def _short_names(figures: CityFigures) -> dict[str, str]:
    """Each field's short name, kept with the field (commitments.Field.short_name)."""
    from commitments.models import Field

    codes = [field.code for field in figures.fields]
    return dict(Field.objects.filter(code__in=codes).exclude(short_name="").values_list("code", "short_name"))


def _print_setup(sheet, header_row: int) -> None:
    """A4 landscape, fit to the page width, the header row repeated on every printed page."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def _total_row(sheet, row: int, label_column: int, values: dict[int, tuple]) -> None:
    """A bold "Tổng cộng" row: a label, and sums as formulas over the rows above (Excel recomputes them)."""
    label = sheet.cell(row=row, column=label_column, value=_("Tổng cộng"))
    label.data_type = "s"
    label.font, label.border = _HEADER_FONT, _BORDER
    for column, (value, number_format) in values.items():
        cell = sheet.cell(row=row, column=column, value=value)
        cell.font, cell.border = _HEADER_FONT, _BORDER
        if number_format:
            cell.number_format = number_format


def _table(sheet, headers: list[tuple[str, int]], rows: list[list[tuple]], start_row: int = 1) -> None:
    """Headers (text, width) then rows of (value, number_format or None)."""
    for column, (text, width) in enumerate(headers, start=1):
        cell = sheet.cell(row=start_row, column=column, value=text)
        cell.font, cell.fill, cell.alignment, cell.border = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT, _BORDER
        sheet.column_dimensions[get_column_letter(column)].width = width
    styled: dict[tuple, object] = {}
    for offset, row in enumerate(rows, start=1):
        for column, (value, number_format) in enumerate(row, start=1):
            if isinstance(value, Decimal):
                value = int(value) if value == value.to_integral() else float(value)
            cell = sheet.cell(row=start_row + offset, column=column, value=value)
            if isinstance(value, str):
                # Text typed by people stays text: "=HYPERLINK(…)", "+1", "-", "@x", a tab or CR first
                # would otherwise be stored as a live formula (formula injection).
                cell.data_type = "s"
                if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    cell.quotePrefix = True
            key = (
                number_format,
                isinstance(value, str),
                isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"),
            )
            if key in styled:
                # Copying a finished style is much cheaper than setting three style attributes per cell.
                cell._style = copy(styled[key])
                continue
            if number_format:
                cell.number_format = number_format
            cell.alignment = _TEXT_ALIGNMENT if isinstance(value, str) else _NUMBER_ALIGNMENT
            cell.border = _BORDER
            styled[key] = copy(cell._style)
    sheet.freeze_panes = sheet.cell(row=start_row + 1, column=1)


def build_workbook(report: Report, figures: CityFigures) -> bytes:
    workbook = Workbook()
    used: set[str] = set()
    summary = workbook.active
    summary.title = _sheet_title(_("Tổng hợp"), used)
    from .documents import summary_line

    summary["A1"] = summary_line(report, figures).replace("\u00a0", " ")
    summary["A1"].data_type = "s"
    summary["A1"].font = Font(bold=True, size=13)
    summary["A2"] = _("Số liệu từ ngày")
    summary["B2"] = figures.period_starts_on
    summary["A3"] = _("đến ngày")
    summary["B3"] = figures.period_ends_on
    for cell in ("B2", "B3"):
        summary[cell].number_format = DATE
    _table(
        summary,
        [
            (_("Lĩnh vực"), 48),
            (_("Số cam kết"), 12),
            (_("Hoàn thành đúng hạn"), 14),
            (_("Hoàn thành quá hạn"), 14),
            (_("Đang thực hiện trong hạn"), 14),
            (_("Quá hạn"), 10),
            (_("Chưa bắt đầu"), 12),
            (_("Tiến độ bình quân"), 12),
            (_("Giá trị cam kết (đồng)"), 20),
            (_("Giá trị đã thực hiện (đồng)"), 20),
            (_("Giá trị trong kỳ (đồng)"), 20),
        ],
        [
            [
                (field.name, None),
                (field.commitments, INTEGER),
                (field.completed_on_time, INTEGER),
                (field.completed_late, INTEGER),
                (field.in_progress, INTEGER),
                (field.overdue, INTEGER),
                (field.not_started, INTEGER),
                (field.progress_percent / 100, PERCENT),
                (field.target_value_vnd, MONEY),
                (field.achieved_value_vnd, MONEY),
                (field.period_value_vnd, MONEY),
            ]
            for field in figures.fields
        ],
        start_row=5,
    )
    last = 5 + len(figures.fields)
    if figures.fields:
        _total_row(
            summary,
            last + 1,
            1,
            {
                column: (f"=SUM({get_column_letter(column)}6:{get_column_letter(column)}{last})", fmt)
                for column, fmt in [(2, INTEGER), (3, INTEGER), (4, INTEGER), (5, INTEGER), (6, INTEGER), (7, INTEGER)]
                + [(9, MONEY), (10, MONEY), (11, MONEY)]
            }
            | {8: (figures.progress_percent / 100, PERCENT)},
        )
    _print_setup(summary, 5)

    partnerships = workbook.create_sheet(_sheet_title(_("Quan hệ kết nghĩa"), used))
    _table(
        partnerships,
        [
            (_("TT"), 5),
            (_("Đơn vị hỗ trợ"), 30),
            (_("Đơn vị được hỗ trợ"), 22),
            (_("Trạng thái"), 16),
            (_("Ngày ký"), 12),
            (_("Số cam kết"), 10),
            (_("Hoàn thành"), 10),
            (_("Quá hạn"), 10),
            (_("Tiến độ"), 10),
            (_("Giá trị cam kết (đồng)"), 20),
            (_("Giá trị đã thực hiện (đồng)"), 20),
            (_("Giá trị trong kỳ (đồng)"), 20),
            (_("Hoạt động trong kỳ"), 10),
            (_("Đánh giá"), 22),
            (_("Lý do"), 40),
        ],
        [
            [
                (index, INTEGER),
                (", ".join(p.supporter_names), None),
                (p.supported_name, None),
                (p.status_label, None),
                (p.signed_on, DATE),
                (p.commitments, INTEGER),
                (p.completed, INTEGER),
                (p.overdue, INTEGER),
                (p.progress_percent / 100 if p.commitments else None, PERCENT),
                (p.target_value_vnd, MONEY),
                (p.achieved_value_vnd, MONEY),
                (p.period_value_vnd, MONEY),
                (p.activities, INTEGER),
                # Nothing promised, nothing to rate: no rating, no reason.
                (p.health_label if p.commitments and p.health != "none" else "", None),
                (reason_of(p) if p.commitments and p.health != "none" else "", None),
            ]
            for index, p in enumerate(figures.partnerships, start=1)
        ],
    )
    last = 1 + len(figures.partnerships)
    if figures.partnerships:
        _total_row(
            partnerships,
            last + 1,
            2,
            {
                column: (f"=SUM({get_column_letter(column)}2:{get_column_letter(column)}{last})", fmt)
                for column, fmt in [
                    (6, INTEGER),
                    (7, INTEGER),
                    (8, INTEGER),
                    (10, MONEY),
                    (11, MONEY),
                    (12, MONEY),
                    (13, INTEGER),
                ]
            }
            | {9: (figures.progress_percent / 100, PERCENT)},
        )
    _print_setup(partnerships, 1)

    by_field: dict[int, list] = {}
    for line in figures.commitments:
        by_field.setdefault(line.field_id, []).append(line)
    short_names = _short_names(figures)
    by_id = {p.id: p for p in figures.partnerships}
    for field in figures.fields:
        sheet = workbook.create_sheet(_sheet_title(short_names.get(field.code) or field.name, used))
        sheet["A1"] = field.name
        sheet["A1"].data_type = "s"
        sheet["A1"].font = Font(bold=True, size=13)
        _table(
            sheet,
            [
                (_("TT"), 5),
                (_("Nội dung cam kết"), 40),
                (_("Quan hệ kết nghĩa"), 32),
                (_("Đơn vị thực hiện"), 18),
                (_("Chỉ tiêu số lượng"), 12),
                (_("Đơn vị tính"), 14),
                (_("Chỉ tiêu giá trị (đồng)"), 18),
                (_("Đã thực hiện (số lượng)"), 12),
                (_("Đã thực hiện (đồng)"), 18),
                (_("Trong kỳ (số lượng)"), 12),
                (_("Trong kỳ (đồng)"), 18),
                (_("Hạn hoàn thành"), 12),
                (_("Tình trạng"), 20),
                (_("Tiến độ"), 10),
            ],
            [
                [
                    (index, INTEGER),
                    (line.title, None),
                    (
                        partnership_label(by_id[line.partnership_id])
                        if line.partnership_id in by_id
                        else line.partnership_name,
                        None,
                    ),
                    (line.owner_name, None),
                    (line.target_quantity, _quantity_format(line.target_quantity)),
                    (line.target_unit, None),
                    (line.target_value_vnd, MONEY),
                    (
                        line.achieved_quantity if line.target_quantity is not None else None,
                        _quantity_format(line.achieved_quantity),
                    ),
                    (line.achieved_value_vnd, MONEY),
                    (line.period_quantity, _quantity_format(line.period_quantity)),
                    (line.period_value_vnd, MONEY),
                    (line.due_on, DATE),
                    (line.status_label, None),
                    (line.progress_percent / 100, PERCENT),
                ]
                for index, line in enumerate(by_field.get(field.id, []), start=1)
            ],
            start_row=3,
        )
        _print_setup(sheet, 3)
    created = report.requested_at.replace(tzinfo=None) if report.requested_at else datetime.datetime(2025, 1, 1)
    workbook.properties.created = workbook.properties.modified = created
    workbook.properties.creator = "Cổng thông tin kết nghĩa – Thành ủy Đà Nẵng"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
