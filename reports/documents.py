"""What goes on the printed report: its heading, text, tables and drawings, from a report row and its figures.

The layout follows Hướng dẫn 36-HD/VPTW (DOMAIN.md §4); the HTML goes to ``reports.pdf``.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf
from .charts import PRINT_FONT, coverage_map, partnerships_by_status_chart, progress_by_field_chart
from .figures import CityFigures
from .models import Report
from .narrative import (
    ASSESSMENT,
    CAUSES_OBJECTIVE,
    CAUSES_SUBJECTIVE,
    FIELD_PREFIX,
    LIMITATIONS,
    NEXT_TASKS,
    OPENING,
    OVERVIEW,
    PROPOSALS,
    draft_sections,
    money,
    paragraphs,
    partnership_label,
)
from .periods import lower_first, vietnamese_long_date

ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"

# Drawn this wide, the charts' 13-unit text prints at about 11 pt across the 150 mm figure width.
PRINT_CHART_WIDTH = 520


WATERMARK_FILE = "draft-watermark.svg"  # in the assets directory, drawn as every draft page's background
WATERMARK_ANGLE = -35


def watermark_svg(text: str = "DỰ THẢO") -> str:
    """The draft watermark as glyph outlines (SVG paths from the bundled bold serif), turned 35°.

    Outlines, not text: copying, searching or reading the PDF aloud never meets it. It is a page
    background (static/fonts/draft-watermark.svg, which this function wrote), so WeasyPrint draws one
    image per page instead of laying out an SVG on every page.
    """
    import math

    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.ttLib import TTFont

    font = TTFont(ASSETS_DIR / "LiberationSerif-Bold.ttf")
    glyphs = font.getGlyphSet()
    cmap = font.getBestCmap()
    ascent, descent = font["hhea"].ascent, font["hhea"].descent
    x, paths = 0, []
    for char in unicodedata.normalize("NFC", text):
        name = cmap.get(ord(char))
        if name is None:
            continue
        pen = SVGPathPen(glyphs)
        glyphs[name].draw(pen)
        if pen.getCommands():
            paths.append(f'<path transform="translate({x} 0)" d="{pen.getCommands()}"/>')
        x += glyphs[name].width
    width, height = x, ascent - descent
    # The box that holds the text once turned about its centre.
    angle = math.radians(WATERMARK_ANGLE)
    box_w = abs(width * math.cos(angle)) + abs(height * math.sin(angle))
    box_h = abs(width * math.sin(angle)) + abs(height * math.cos(angle))
    centre_y = -(ascent + descent) / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{width / 2 - box_w / 2:.0f} {centre_y - box_h / 2:.0f} '
        f'{box_w:.0f} {box_h:.0f}">'
        f'<g transform="rotate({WATERMARK_ANGLE} {width / 2:.0f} {centre_y:.0f})" fill="#8c8c8c" fill-opacity="0.22">'
        f'<g transform="scale(1 -1)">{"".join(paths)}</g></g></svg>\n'
    )


def summary_line(report: Report, figures: CityFigures) -> str:
    # Non-breaking spaces keep "quý III năm 2025" on one line.
    period = lower_first(figures.period["label"]).replace(" ", "\u00a0") if figures.period else ""
    if report.kind == Report.Kind.PARTNERSHIP and figures.partnerships:
        partnership = figures.partnerships[0]
        subject = _("giữa %(supporters)s và %(supported)s") % {
            "supporters": ", ".join(partnership.supporter_names),
            "supported": partnership.supported_name,
        }
    elif report.kind == Report.Kind.UNIT and report.commune_id:
        subject = _("của %(unit)s") % {"unit": lower_first(str(report.commune))}
    else:
        subject = _("giữa các xã, phường, đặc khu")
    return _("Kết quả thực hiện chương trình kết nghĩa %(subject)s %(period)s") % {
        "subject": subject,
        "period": period,
    }


def issued_on(report: Report) -> datetime.date:
    """A final report is dated the day it was issued; a draft, the day it is printed."""
    if report.finalised_at:
        return timezone.localdate(report.finalised_at)
    return timezone.localdate()


def is_summarised(figures: CityFigures) -> bool:
    """A scope this large (a national programme) prints totals by province instead of every line."""
    return len(figures.partnerships) > conf.get("REPORT_SUMMARY_ABOVE_PARTNERSHIPS")


def default_sections(report: Report, figures: CityFigures) -> dict[str, str]:
    """The portal's draft (what a report prints before anyone has edited its text)."""
    scope_name = str(report.commune) if report.kind == Report.Kind.UNIT and report.commune_id else ""
    sections = draft_sections(report.kind, figures, scope_name=scope_name)
    if report.next_tasks.strip():
        sections[NEXT_TASKS] = report.next_tasks.strip()
    return sections


def text_context(figures: CityFigures, sections: dict[str, str]) -> dict:
    """The narrative sections as printed paragraphs; the last paragraph of section IV is kept apart,
    so that it is printed together with the signature block."""
    text = {
        key: paragraphs(sections.get(key, ""))
        for key in (OPENING, OVERVIEW, ASSESSMENT, LIMITATIONS, CAUSES_OBJECTIVE, CAUSES_SUBJECTIVE, NEXT_TASKS)
    }
    proposals = paragraphs(sections.get(PROPOSALS, ""))
    by_id = {p.id: p for p in figures.partnerships}
    grouped: dict[int, list] = {}
    for line in figures.commitments:
        grouped.setdefault(line.field_id, []).append(line)
    names = {field.id: field.name for field in figures.fields}
    commitments_by_field, index = [], 0
    for field_id in [field.id for field in figures.fields] + [f for f in grouped if f not in names]:
        lines = []
        for line in grouped.get(field_id, []):
            index += 1
            lines.append((index, line))
        if lines:
            commitments_by_field.append((names.get(field_id) or lines[0][1].field_name, lines))
    return {
        "commitments_by_field": commitments_by_field,
        "text": text,
        "proposals": proposals[:-1],
        "proposals_last": proposals[-1:],
        "field_texts": [(field, paragraphs(sections.get(FIELD_PREFIX + field.code, ""))) for field in figures.fields],
        "overdue_rows": [
            (
                line,
                partnership_label(by_id[line.partnership_id])
                if line.partnership_id in by_id
                else line.partnership_name,
            )
            for line in figures.overdue
        ],
        "attention": [p for p in figures.partnerships if p.health in ("red", "amber")],
    }


def document_context(report: Report, figures: CityFigures, sections: dict[str, str] | None = None) -> dict:
    layout = conf.layout()
    is_city = report.kind == Report.Kind.CITY
    summarised = is_summarised(figures)
    appendices = []
    if report.kind != Report.Kind.PARTNERSHIP and figures.partnerships:
        appendices.append("partnerships")
    # No table of headers without rows: an appendix only when it has something to list.
    if report.kind != Report.Kind.CITY and figures.commitments:
        appendices.append("commitments")
    if figures.fields:
        appendices.append("fields")
    if figures.fields or (report.kind != Report.Kind.PARTNERSHIP and len(figures.partnerships) > 1):
        appendices.append("charts")
    if is_city and not summarised:  # the map draws Đà Nẵng's units only
        appendices.append("map")
    day = issued_on(report)
    overdue_groups = figures.oldest_overdue_by_province(conf.get("REPORT_OVERDUE_PER_PROVINCE")) if summarised else []
    labels = {p.id: partnership_label(p) for p in figures.partnerships} if summarised else {}
    # Each line with its partnership named with commas and "–" (the figures join supporters with "+").
    overdue_groups = [
        (province, [(line, labels.get(line.partnership_id, line.partnership_name)) for line in lines])
        for province, lines in overdue_groups
    ]
    return {
        "summarised": summarised,
        "overdue_groups": overdue_groups,
        "overdue_shown": sum(len(lines) for _province, lines in overdue_groups),
        "overdue_per_province": conf.get("REPORT_OVERDUE_PER_PROVINCE"),
        "stalled_by_province": [p for p in figures.provinces if p.stalled],
        "not_reported_by_province": [p for p in figures.provinces if p.not_reported_units],
        "part": "whole",
        "numbered": True,
        "partnership_rows": [(i, p, partnership_label(p)) for i, p in enumerate(figures.partnerships, start=1)],
        "partnership_rows_first": True,
        "partnership_rows_last": True,
        "report": report,
        "figures": figures,
        "layout": layout,
        "is_draft": not report.is_final,
        "watermark_file": WATERMARK_FILE,
        "is_city": is_city,
        "number_label": report.number_label,
        "number_reference": lower_first(report.number_label),
        "recipients_style": conf.get("REPORT_RECIPIENTS_STYLE"),
        "summary_mark": conf.get("REPORT_SUMMARY_MARK"),
        "achieved_total": money(figures.achieved_value_vnd),
        "date_line": f"{layout.place}, {vietnamese_long_date(day)}",
        "issued_on": day,
        "summary_line": summary_line(report, figures),
        "document_title": summary_line(report, figures).replace("\u00a0", " "),
        "appendices": {name: index for index, name in enumerate(appendices, start=1)},
        "status_chart": partnerships_by_status_chart(
            figures, font_family=PRINT_FONT, width=PRINT_CHART_WIDTH, id_prefix="chart-status"
        ),
        "field_chart": progress_by_field_chart(
            figures, font_family=PRINT_FONT, width=PRINT_CHART_WIDTH, id_prefix="chart-fields"
        )
        if figures.fields
        else "",
        "coverage_map": coverage_map(figures, links=False, for_print=True, id_prefix="report-map")
        if "map" in appendices
        else "",
        "signer_title": report.signer_title or layout.signer_title,
        "signer_name": report.signer_name or layout.signer_name,
        "status_counts": {tally.key: tally.count for tally in figures.commitments_by_status}
        | {"completed": figures.completed},
        "totals": {
            "commitments": figures.commitment_total,
            "completed": figures.completed,
            "overdue": figures.overdue_count,
            "activities": sum(p.activities for p in figures.partnerships),
        },
    } | text_context(figures, default_sections(report, figures) if sections is None else sections)


def render_report_html(report: Report, figures: CityFigures, sections: dict[str, str] | None = None) -> str:
    """The whole report as one HTML document (what ``build_document`` renders when it is small)."""
    return render_to_string("reports/pdf/report.html", document_context(report, figures, sections))


@dataclass(frozen=True)
class ReportDocument:
    """The report's HTML in parts rendered separately and joined in order (one part when small)."""

    parts: list[str]
    printed_rows: int
    summarised: bool

    @property
    def html_bytes(self) -> int:
        return sum(len(part.encode()) for part in self.parts)


def printed_rows(context: dict) -> int:
    """Table rows the document prints: what the size limit is about (not the rows it summarises)."""
    figures = context["figures"]
    appendices = context["appendices"]
    rows = context["overdue_shown"] if context["summarised"] else len(figures.overdue)
    rows += len(figures.provinces) if context["summarised"] else 0
    rows += len(figures.partnerships) if "partnerships" in appendices else 0
    rows += len(figures.commitments) if "commitments" in appendices else 0
    rows += len(figures.fields)
    return rows


def build_document(
    report: Report, figures: CityFigures, *, split: bool | None = None, sections: dict[str, str] | None = None
) -> ReportDocument:
    """The report's HTML in parts for the renderer processes: the main text, the per-partnership
    appendix in chunks, the remaining appendices; none numbers its pages (``pdf.render_parts``
    numbers the joined document). Every appendix starts on a new page, so the joined document looks
    exactly like the whole one. ``split=False`` (or one renderer process): one whole document."""
    context = document_context(report, figures, sections)
    rows = context["partnership_rows"] if "partnerships" in context["appendices"] else []
    size = max(1, conf.get("REPORT_APPENDIX_CHUNK_ROWS"))
    counted = printed_rows(context)
    if split is None:
        split = conf.get("REPORT_RENDER_PROCESSES") > 1
    if not split:
        html = render_to_string("reports/pdf/report.html", context)
        return ReportDocument(parts=[html], printed_rows=counted, summarised=context["summarised"])
    chunks = [rows[start : start + size] for start in range(0, len(rows), size)]
    parts = [render_to_string("reports/pdf/report.html", context | {"part": "main", "numbered": False})]
    for index, chunk in enumerate(chunks):
        part = context | {
            "part": "partnerships",
            "numbered": False,
            "partnership_rows": chunk,
            "partnership_rows_first": index == 0,
            "partnership_rows_last": index == len(chunks) - 1,
        }
        parts.append(render_to_string("reports/pdf/report.html", part))
    # The "rest" part holds the appendices after the first; without any it would print a blank page.
    if set(context["appendices"]) - {"partnerships"}:
        parts.append(render_to_string("reports/pdf/report.html", context | {"part": "rest", "numbered": False}))
    return ReportDocument(parts=parts, printed_rows=counted, summarised=context["summarised"])
