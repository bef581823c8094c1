"""The report as a Word document (python-docx), for offices that edit it before signing.

Same text, figures and Hướng dẫn 36-HD/VPTW layout as the PDF: A4, the configured margins, Times
New Roman 14 pt body, the two-column heading, page numbers centred at the top from page 2, the
tables, "Nơi nhận" and the signature block; wide appendices on landscape sections.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from . import conf
from .documents import document_context
from .figures import CityFigures
from .models import Report
from .narrative import money

FONT = "Times New Roman"


def _run(paragraph, text: str, *, size: float = 14, bold=False, italic=False, underline=False):
    run = paragraph.add_run(text)
    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    run.font.size = Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    return run


def _para(
    container, text: str = "", *, align=None, indent=True, size: float = 14, bold=False, italic=False, keep=False
):
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(4)
    fmt.space_before = Pt(0)
    fmt.line_spacing = 1.15
    if indent and align is None:
        fmt.first_line_indent = Mm(10)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if align is None else align
    if keep:
        fmt.keep_with_next = True
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _page_number_field(paragraph) -> None:
    run = paragraph.add_run()
    run.font.name, run.font.size = FONT, Pt(14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _setup_section(section, margins: dict, *, landscape=False) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.top_margin, section.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
    section.left_margin, section.right_margin = Mm(margins["left"]), Mm(margins["right"])
    section.header_distance = Mm(margins["top"] / 2 - 3)
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    _page_number_field(paragraph)


def _short_rule(document, section, width_mm: float = 30) -> None:
    """The short rule under the summary line: a centred paragraph this wide with a bottom border."""
    paragraph = _para(document, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    text_width = section.page_width - section.left_margin - section.right_margin
    side = (text_width - Mm(width_mm)) // 2
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    paragraph.paragraph_format.space_after = Pt(12)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(name), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _borders(table) -> None:
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER


def _table(document, headers: list[str], rows: list[list[str]], widths_mm: list[float], *, size: float = 10):
    table = document.add_table(rows=1, cols=len(headers))
    _borders(table)
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(cell.paragraphs[0], text, size=size, bold=True)
    # Header row repeated on every page of the table.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            bold = isinstance(value, tuple)
            text = value[0] if bold else value
            _run(cell.paragraphs[0], str(text), size=size, bold=bold)
    for index, width in enumerate(widths_mm):
        for row in table.rows:
            row.cells[index].width = Mm(width)
    return table


def build_docx(report: Report, figures: CityFigures, sections: dict[str, str]) -> bytes:
    context = document_context(report, figures, sections)
    layout = context["layout"]
    margins = layout.margins_mm
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(14)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    _setup_section(section, margins)
    section.different_first_page_header_footer = True  # no number on page 1 (HD 36)

    heading = document.add_table(rows=1, cols=2)
    heading.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = heading.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    p = left.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, layout.issuing_body, bold=True)
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "*")
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, context["number_label"].replace("\u2003", " "))
    p = right.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, layout.parent_body, size=15, bold=True, underline=True)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.space_before = Pt(12)
    _run(p, context["date_line"], italic=True)

    if context["is_draft"]:
        p = _para(document, "", align=WD_ALIGN_PARAGRAPH.RIGHT)
        _run(p, _("DỰ THẢO"), size=13, bold=True)
    p = _para(document, _("BÁO CÁO"), align=WD_ALIGN_PARAGRAPH.CENTER, size=16, bold=True)
    p.paragraph_format.space_before = Pt(18)
    p.paragraph_format.space_after = Pt(0)
    _para(document, context["summary_line"].replace("\u00a0", " "), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    start, end = figures.period_starts_on, figures.period_ends_on
    if start and end:
        _para(
            document,
            "("
            + _("số liệu từ ngày %(start)s đến ngày %(end)s")
            % {
                "start": start.strftime("%d/%m/%Y"),
                "end": end.strftime("%d/%m/%Y"),
            }
            + ")",
            align=WD_ALIGN_PARAGRAPH.CENTER,
            italic=True,
        )
    if context["summary_mark"] == "dashes":
        _para(document, "-----", align=WD_ALIGN_PARAGRAPH.CENTER)
    else:
        _short_rule(document, section)

    def paras(items):
        for item in items:
            _para(document, ("- " if item.dash else "") + item.text)

    text = context["text"]
    paras(text["opening"])
    _para(document, "I. " + _("KẾT QUẢ THỰC HIỆN"), bold=True, keep=True)
    _para(document, "1. " + _("Tình hình chung"), bold=True, keep=True)
    paras(text["overview"])
    number = 2
    if context["field_texts"]:
        _para(document, f"{number}. " + _("Kết quả theo lĩnh vực"), bold=True, keep=True)
        for index, (field, items) in enumerate(context["field_texts"], start=1):
            _para(document, f"2.{index}. {field.name}", bold=True, italic=True, keep=True)
            paras(items)
        number += 1
    _para(document, f"{number}. " + _("Đánh giá chung"), bold=True, keep=True)
    paras(text["assessment"])
    _para(document, "II. " + _("HẠN CHẾ, TỒN TẠI VÀ NGUYÊN NHÂN"), bold=True, keep=True)
    _para(document, "1. " + _("Hạn chế, tồn tại"), bold=True, keep=True)
    paras(text["limitations"])
    if context["overdue_rows"]:
        _table(
            document,
            [_("TT"), _("Nội dung cam kết"), _("Quan hệ kết nghĩa"), _("Đơn vị thực hiện"), _("Hạn"), _("Tiến độ")],
            [
                [
                    str(i),
                    line.title,
                    partner,
                    line.owner_name,
                    line.due_on.strftime("%d/%m/%Y") if line.due_on else "",
                    f"{line.progress_percent}%",
                ]
                for i, (line, partner) in enumerate(context["overdue_rows"], start=1)
            ],
            [9, 56, 40, 30, 20, 15],
        )
    _para(document, "2. " + _("Nguyên nhân"), bold=True, keep=True)
    _para(document, _("a) Nguyên nhân khách quan:"), italic=True, keep=True)
    paras(text["causes_objective"])
    _para(document, _("b) Nguyên nhân chủ quan:"), italic=True, keep=True)
    paras(text["causes_subjective"])
    _para(document, "III. " + _("PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ TỚI"), bold=True, keep=True)
    paras(text["next_tasks"])
    _para(document, "IV. " + _("ĐỀ XUẤT, KIẾN NGHỊ"), bold=True, keep=True)
    paras(context["proposals"])
    for item in context["proposals_last"]:
        _para(document, ("- " if item.dash else "") + item.text, keep=True)

    ending = document.add_table(rows=1, cols=2)
    recipients, signature = ending.rows[0].cells
    recipients.width, signature.width = Mm(75), Mm(90)
    upright = context["recipients_style"] == "upright"
    p = recipients.paragraphs[0]
    _run(p, _("Nơi nhận:"), size=14 if upright else 12, bold=not upright, italic=not upright, underline=True)
    items = list(layout.recipients)
    for index, item in enumerate(items):
        p = recipients.add_paragraph()
        _run(p, f"- {item}{'.' if index == len(items) - 1 else ','}", size=12 if upright else 11)
    for index, line in enumerate([layout.signing_for, context["signer_title"], "", "", "", context["signer_name"]]):
        p = signature.paragraphs[0] if index == 0 else signature.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if line:
            _run(p, line, bold=True)
    # Keep the ending's rows on one page with the last paragraph.
    for row in ending.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))

    appendices = context["appendices"]
    note = (
        "("
        + _("Kèm theo Báo cáo %(number)s ngày %(day)s của Ban Thường vụ Thành ủy")
        % {
            "number": context["number_reference"].replace("\u2003", " "),
            "day": context["issued_on"].strftime("%d/%m/%Y"),
        }
        + ")"
    )

    def appendix(key: str, subtitle: str, *, landscape=True):
        new = document.add_section(WD_SECTION.NEW_PAGE)
        _setup_section(new, margins, landscape=landscape)
        # A new section copies the first one's "different first page": its first page would go unnumbered.
        new.different_first_page_header_footer = False
        _para(document, _("PHỤ LỤC %(n)s") % {"n": appendices[key]}, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
        _para(document, subtitle.upper(), align=WD_ALIGN_PARAGRAPH.CENTER, size=13, bold=True)
        _para(document, note, align=WD_ALIGN_PARAGRAPH.CENTER, size=13, italic=True)

    if "partnerships" in appendices:
        appendix("partnerships", _("Kết quả thực hiện theo từng quan hệ kết nghĩa"))
        rows = [
            [
                str(i),
                label,
                p.status_label,
                p.signed_on.strftime("%d/%m/%Y") if p.signed_on else "",
                str(p.commitments),
                str(p.completed),
                str(p.overdue),
                f"{p.progress_percent}%",
                money(p.achieved_value_vnd),
                str(p.activities),
            ]
            for i, p, label in context["partnership_rows"]
        ]
        totals = context["totals"]
        rows += (
            []
            if len(rows) < 2
            else [  # a total of one row repeats it
                [
                    "",
                    (_("Tổng cộng"),),
                    "",
                    "",
                    (str(totals["commitments"]),),
                    (str(totals["completed"]),),
                    (str(totals["overdue"]),),
                    (f"{figures.progress_percent}%",),
                    (money(figures.achieved_value_vnd),),
                    (str(totals["activities"]),),
                ]
            ]
        )
        _table(
            document,
            [
                _("TT"),
                _("Quan hệ kết nghĩa (đơn vị hỗ trợ – đơn vị được hỗ trợ)"),
                _("Trạng thái"),
                _("Ngày ký"),
                _("Số cam kết"),
                _("Hoàn thành"),
                _("Quá hạn"),
                _("Tiến độ"),
                _("Giá trị đã thực hiện"),
                _("Hoạt động trong kỳ"),
            ],
            rows,
            [9, 62, 28, 22, 19, 19, 19, 19, 36, 19],
        )
    if "commitments" in appendices:
        appendix("commitments", _("Kết quả thực hiện từng cam kết"))
        rows = []
        for field_name, lines in context["commitments_by_field"]:
            rows.append(["", (field_name,), "", "", "", "", "", ""])
            for index, line in lines:
                rows.append(
                    [
                        str(index),
                        line.title,
                        line.owner_name,
                        line.target_text,
                        line.achieved_text,
                        line.period_text,
                        line.due_on.strftime("%d/%m/%Y") if line.due_on else "",
                        f"{line.status_label} ({line.progress_percent}%)",
                    ]
                )
        _table(
            document,
            [
                _("TT"),
                _("Nội dung cam kết"),
                _("Đơn vị thực hiện"),
                _("Chỉ tiêu"),
                _("Đã thực hiện"),
                _("Trong kỳ"),
                _("Hạn"),
                _("Tình trạng"),
            ],
            rows,
            [9, 75, 34, 30, 30, 30, 22, 32],
        )
    if "fields" in appendices:
        appendix("fields", _("Kết quả thực hiện cam kết theo lĩnh vực"))
        counts = context["status_counts"]
        rows = [
            [
                str(i),
                f.name,
                str(f.commitments),
                str(f.completed_on_time),
                str(f.completed_late),
                str(f.in_progress),
                str(f.overdue),
                str(f.not_started),
                f"{f.progress_percent}%",
                money(f.achieved_value_vnd),
            ]
            for i, f in enumerate(figures.fields, start=1)
        ]
        rows.append(
            [
                "",
                (_("Tổng cộng"),),
                (str(figures.commitment_total),),
                (str(counts.get("completed_on_time", 0)),),
                (str(counts.get("completed_late", 0)),),
                (str(counts.get("in_progress", 0)),),
                (str(counts.get("overdue", 0)),),
                (str(counts.get("not_started", 0)),),
                (f"{figures.progress_percent}%",),
                (money(figures.achieved_value_vnd),),
            ]
        )
        _table(
            document,
            [
                _("TT"),
                _("Lĩnh vực"),
                _("Số cam kết"),
                _("Hoàn thành đúng hạn"),
                _("Hoàn thành quá hạn"),
                _("Đang thực hiện trong hạn"),
                _("Quá hạn"),
                _("Chưa bắt đầu"),
                _("Tiến độ"),
                _("Giá trị đã thực hiện"),
            ],
            rows,
            [9, 67, 20, 20, 20, 20, 20, 20, 20, 36],
        )

    # The charts and the map are drawn as SVG, which nothing in production can turn into a picture Word
    # shows: their appendices keep their numbers (the text refers to them) and point to the PDF pages.
    for key, subtitle in (("charts", _("Biểu đồ tổng hợp")), ("map", _("Bản đồ kết nghĩa các xã, phường, đặc khu"))):
        if key in appendices:
            appendix(key, subtitle, landscape=False)
            _para(
                document,
                _("(Phụ lục này in từ bản PDF của báo cáo, trang có cùng số phụ lục.)"),
                align=WD_ALIGN_PARAGRAPH.CENTER,
                italic=True,
            )

    properties = document.core_properties
    properties.title = context["document_title"]
    properties.author = conf.get("REPORT_ISSUING_BODY")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
