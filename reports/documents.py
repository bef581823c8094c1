"""What goes on the printed report: its heading, text, tables and drawings, from a report row and its figures.

The layout follows Hướng dẫn 36-HD/VPTW (DOMAIN.md §4); the HTML goes to ``reports.pdf``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf
from .charts import PRINT_FONT, coverage_map, partnerships_by_status_chart, progress_by_field_chart
from .figures import CityFigures
from .models import Report
from .periods import lower_first, vietnamese_long_date

# Drawn this wide, the charts' 13-unit text prints at about 11 pt across the 150 mm figure width.
PRINT_CHART_WIDTH = 520


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


def document_context(report: Report, figures: CityFigures) -> dict:
    layout = conf.layout()
    is_city = report.kind == Report.Kind.CITY
    summarised = is_summarised(figures)
    appendices = []
    if report.kind != Report.Kind.PARTNERSHIP:
        appendices.append("partnerships")
    if report.kind != Report.Kind.CITY:
        appendices.append("commitments")
    appendices.append("fields")
    if is_city and not summarised:  # the map draws Đà Nẵng's units only
        appendices.append("map")
    day = issued_on(report)
    overdue_groups = figures.oldest_overdue_by_province(conf.get("REPORT_OVERDUE_PER_PROVINCE")) if summarised else []
    return {
        "summarised": summarised,
        "overdue_groups": overdue_groups,
        "overdue_shown": sum(len(lines) for _province, lines in overdue_groups),
        "overdue_per_province": conf.get("REPORT_OVERDUE_PER_PROVINCE"),
        "stalled_by_province": [p for p in figures.provinces if p.stalled],
        "not_reported_by_province": [p for p in figures.provinces if p.not_reported_units],
        "part": "whole",
        "numbered": True,
        "partnership_rows": list(enumerate(figures.partnerships, start=1)),
        "partnership_rows_first": True,
        "partnership_rows_last": True,
        "report": report,
        "figures": figures,
        "layout": layout,
        "is_draft": not report.is_final,
        "is_city": is_city,
        "number_label": report.number_label,
        "number_reference": lower_first(report.number_label),
        "status_summary": "; ".join(
            f"{lower_first(tally.label)}: {tally.count}" for tally in figures.partnerships_by_status if tally.count
        ),
        "next_tasks": [line.strip() for line in report.next_tasks.splitlines() if line.strip()],
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
    }


def render_report_html(report: Report, figures: CityFigures) -> str:
    """The whole report as one HTML document (what ``build_document`` renders when it is small)."""
    return render_to_string("reports/pdf/report.html", document_context(report, figures))


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


def build_document(report: Report, figures: CityFigures, *, split: bool | None = None) -> ReportDocument:
    """The report's HTML in parts for the renderer processes: the main text, the per-partnership
    appendix in chunks, the remaining appendices; none numbers its pages (``pdf.render_parts``
    numbers the joined document). Every appendix starts on a new page, so the joined document looks
    exactly like the whole one. ``split=False`` (or one renderer process): one whole document."""
    context = document_context(report, figures)
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
    parts.append(render_to_string("reports/pdf/report.html", context | {"part": "rest", "numbered": False}))
    return ReportDocument(parts=parts, printed_rows=counted, summarised=context["summarised"])
