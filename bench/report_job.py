"""P5/P6 in a process of its own (so its peak memory and CPU time are the report's): prints one JSON line.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=… python -m bench.report_job [--repeat 3]

End to end = ``request_report`` (the row) + ``run_report`` (what the worker does: figures, HTML,
PDF, workbook, storing). WeasyPrint alone = ``reports.pdf.render_pdf`` on the very HTML the report
was rendered from. Both are timed in this process, alternately, ``--repeat`` times after
``--warmup`` untimed rounds; medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def render_beyond_limit(report) -> dict:
    """What WeasyPrint alone does with the refused report's HTML (the figures the pipeline had loaded)."""
    from django.utils import translation

    from reports import documents, pdf
    from reports.figures import CityFigures
    from reports.services import report_scope

    figures = CityFigures.build(report.data, report_scope(report))
    with translation.override("vi"):
        html = documents.render_report_html(report, figures)
    wall, cpu = time.perf_counter(), cpu_seconds()
    rendered = pdf.render_pdf(html)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return {
        "table_rows": figures.table_rows,
        "html_bytes": len(html.encode()),
        "weasyprint_seconds": round(wall, 1),
        "pages": rendered.page_count,
        "peak_rss_mb": peak_rss_mb(),
        "cores_used": round(cpu / wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (fonts, templates, caches)")
    parser.add_argument(
        "--beyond-limit", action="store_true", help="when the report is refused as too large, render its HTML anyway"
    )
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone, translation

    from accounts.models import Role
    from commitments.models import ReportingPeriod
    from commitments.scale_data import USER_PREFIX
    from reports import documents, pdf
    from reports.figures import CityFigures
    from reports.models import Report
    from reports.services import report_scope, request_report, run_report

    staff = (
        get_user_model().objects.filter(username__startswith=USER_PREFIX, role=Role.CITY_STAFF).order_by("pk").first()
    )
    # The last quarter whose data is complete: the one a quarterly report is written about.
    period = (
        ReportingPeriod.objects.quarters()
        .filter(ends_on__lt=timezone.localdate())
        .order_by("-ends_on", "convention")
        .first()
    )
    outcome = {"period": period.label, "kind": Report.Kind.CITY, "runs": []}
    end_to_end, alone, made = [], [], []
    wall_started, cpu_started = time.perf_counter(), cpu_seconds()
    try:
        for index in range(options.warmup + options.repeat):
            timed = index >= options.warmup
            started = time.perf_counter()
            report = request_report(period=period, kind=Report.Kind.CITY, requested_by=staff, enqueue=False)
            run_report(report_id=report.pk)
            elapsed = time.perf_counter() - started
            made.append(report.pk)
            report.refresh_from_db()
            run = {
                "status": report.status,
                "seconds": round(elapsed, 3),
                "pages": report.page_count,
                "pdf_bytes": report.size_bytes,
                "error": report.error_message,
            }
            if report.status == Report.Status.DONE:
                if timed:
                    end_to_end.append(elapsed)
                figures = CityFigures.build(report.data, report_scope(report))
                with translation.override("vi"):
                    html = documents.render_report_html(report, figures)
                started = time.perf_counter()
                pdf.render_pdf(html)
                run["weasyprint_seconds"] = round(time.perf_counter() - started, 3)
                if timed:
                    alone.append(run["weasyprint_seconds"])
                run["html_bytes"] = len(html.encode())
            run["warmup"] = not timed
            outcome["runs"].append(run)
            if report.status != Report.Status.DONE:
                outcome["peak_rss_mb_pipeline"] = peak_rss_mb()
                if options.beyond_limit and report.data is not None:
                    outcome["beyond_limit"] = render_beyond_limit(report)
                break  # a refusal or a failure will not change on a second try
    finally:
        wall = time.perf_counter() - wall_started
        cpu = cpu_seconds() - cpu_started
        for report in Report.objects.filter(pk__in=made):
            for stored in (report.pdf, report.xlsx):
                if stored:
                    stored.delete(save=False)
            report.delete()
    outcome |= {
        "end_to_end_seconds": round(statistics.median(end_to_end), 3) if end_to_end else None,
        "weasyprint_seconds": round(statistics.median(alone), 3) if alone else None,
        "ratio": round(statistics.median(end_to_end) / statistics.median(alone), 3) if alone else None,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 2),
        # > 1.0 only if this process kept more than one core busy (the database's work is not counted).
        "cores_used": round(cpu / wall, 2) if wall else None,
    }
    print(json.dumps(outcome, ensure_ascii=False))


if __name__ == "__main__":
    main()
