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


def _sheet_title(name: str, used: set[str]) -> str:
    title = _SHEET_FORBIDDEN.sub(" ", name)[:31].strip() or "Sheet"
    base, counter = title, 2
    while title.casefold() in used:
        suffix = f" ({counter})"
        title, counter = base[: 31 - len(suffix)] + suffix, counter + 1
    used.add(title.casefold())
    return title


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
            key = (number_format, isinstance(value, str))
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
    summary["A1"] = str(report)
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

    partnerships = workbook.create_sheet(_sheet_title(_("Quan hệ kết nghĩa"), used))
    _table(
        partnerships,
        [
            (_("TT"), 5),
            (_("Quan hệ kết nghĩa"), 40),
            (_("Đơn vị được hỗ trợ"), 20),
            (_("Đơn vị hỗ trợ"), 28),
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
            (_("Đánh giá"), 40),
        ],
        [
            [
                (index, INTEGER),
                (p.name, None),
                (p.supported_name, None),
                (", ".join(p.supporter_names), None),
                (p.status_label, None),
                (p.signed_on, DATE),
                (p.commitments, INTEGER),
                (p.completed, INTEGER),
                (p.overdue, INTEGER),
                (p.progress_percent / 100, PERCENT),
                (p.target_value_vnd, MONEY),
                (p.achieved_value_vnd, MONEY),
                (p.period_value_vnd, MONEY),
                (p.activities, INTEGER),
                (f"{p.health_label}: {p.health_reason}" if p.health_label else "", None),
            ]
            for index, p in enumerate(figures.partnerships, start=1)
        ],
    )

    by_field: dict[int, list] = {}
    for line in figures.commitments:
        by_field.setdefault(line.field_id, []).append(line)
    for field in figures.fields:
        sheet = workbook.create_sheet(_sheet_title(field.name, used))
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
                    (line.partnership_name, None),
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
        )
    created = report.requested_at.replace(tzinfo=None) if report.requested_at else datetime.datetime(2025, 1, 1)
    workbook.properties.created = workbook.properties.modified = created
    workbook.properties.creator = "Cổng thông tin kết nghĩa – Thành ủy Đà Nẵng"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
