"""What goes on the printed report: its heading, text, tables and drawings, from a report row and its figures.

The layout follows Hướng dẫn 36-HD/VPTW (DOMAIN.md §4); the HTML goes to ``reports.pdf``.
"""

from __future__ import annotations

import datetime

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


def document_context(report: Report, figures: CityFigures) -> dict:
    layout = conf.layout()
    is_city = report.kind == Report.Kind.CITY
    appendices = []
    if report.kind != Report.Kind.PARTNERSHIP:
        appendices.append("partnerships")
    if report.kind != Report.Kind.CITY:
        appendices.append("commitments")
    appendices.append("fields")
    if is_city:
        appendices.append("map")
    day = issued_on(report)
    return {
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
        "coverage_map": coverage_map(figures, links=False, for_print=True, id_prefix="report-map") if is_city else "",
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
    return render_to_string("reports/pdf/report.html", document_context(report, figures))
