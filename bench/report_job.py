"""P5/P6 in a process of its own (so its memory and CPU time are the report's): prints one JSON line.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=… python -m bench.report_job [--repeat 3]

Request → PDF ready = ``request_report`` (the row) + ``run_report`` (what the worker does: figures,
HTML, PDF — in parts rendered by a pool of renderer processes when the document is long — storing,
marking the report done). The Excel workbook is a follow-up task that another worker takes once the
PDF is ready: its message is caught here and the task is run (and timed) after the PDF, outside
"request → PDF ready". The pipeline renders the document in parts in the worker's renderer
processes (kept warm between reports, as in a worker); WeasyPrint alone = ``reports.pdf.render_pdf``
in this process on the whole document's HTML (the same content in one piece; not for a summarised
national document). End to end and alone are timed alternately, ``--repeat`` times after
``--warmup`` untimed rounds; medians. A national (summarised) report is run once, without warm-up:
its renderer processes start cold, as a worker's first report would.

P6 is about the worker: its peak RSS is that of the process tree (this process plus the renderer
processes, summed, sampled every 50 ms by psutil while the report renders), and the cores it uses
are its CPU time (this process's, plus its renderers' sampled by psutil) over the wall time of
the rendering.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import threading
import time
from unittest import mock

import psutil


def cpu_seconds() -> float:
    """This process's CPU time (the renderer processes' is sampled by ``TreeMemory``)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class TreeMemory:
    """Peak RSS of this process plus all its descendants (summed), and the descendants' CPU time,
    sampled every ``interval`` seconds in a background thread (the renderers outlive one report)."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self.peak_child = 0
        self.processes = 1
        self.first_cpu: dict[int, float] = {}
        self.last_cpu: dict[int, float] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._sample(baseline=True)

    def _sample(self, baseline: bool = False) -> None:
        me = psutil.Process()
        total, largest_child, seen = 0, 0, 1
        try:
            total = me.memory_info().rss
            children = me.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            try:
                rss = child.memory_info().rss
                times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            cpu = times.user + times.system
            if baseline:
                self.first_cpu[child.pid] = cpu
            self.last_cpu[child.pid] = cpu
            total += rss
            largest_child = max(largest_child, rss)
            seen += 1
        self.peak = max(self.peak, total)
        self.peak_child = max(self.peak_child, largest_child)
        self.processes = max(self.processes, seen)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self._sample()

    @property
    def children_cpu(self) -> float:
        return sum(cpu - self.first_cpu.get(pid, 0.0) for pid, cpu in self.last_cpu.items())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()
        self._sample()


def render_beyond_limit(report) -> dict:
    """What WeasyPrint alone does with a refused report's HTML (the figures the pipeline had loaded)."""
    from django.utils import translation

    from reports import documents, pdf
    from reports.figures import CityFigures
    from reports.services import report_rows, report_scope

    figures = CityFigures.build(report.data or report_rows(report.period), report_scope(report))
    with translation.override("vi"):
        document = documents.build_document(report, figures)
        html = documents.render_report_html(report, figures)
    wall, cpu = time.perf_counter(), cpu_seconds()
    rendered = pdf.render_pdf(html)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return {
        "table_rows": document.printed_rows,
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
    from demo.scale_data import USER_PREFIX
    from reports import conf, documents, pdf
    from reports.figures import CityFigures
    from reports.models import Report
    from reports.services import report_scope, request_report, run_report, run_workbook

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
    summary_above = conf.get("REPORT_SUMMARY_ABOVE_PARTNERSHIPS")
    end_to_end, alone, made, workbooks = [], [], [], []
    pipeline_wall = pipeline_cpu = 0.0
    peak_tree = peak_renderer = 0
    renderer_processes = 0
    wall_started = time.perf_counter()
    # The workbook message goes to another worker in production: caught here, run after the PDF.
    published: list[int] = []
    catch = mock.patch("reports.services._enqueue_workbook", side_effect=published.append)
    try:
        catch.start()
        runs = options.warmup + options.repeat
        index = 0
        while index < runs:
            timed = index >= options.warmup
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            with TreeMemory() as memory:
                report = request_report(period=period, kind=Report.Kind.CITY, requested_by=staff, enqueue=False)
                run_report(report_id=report.pk)
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_before + memory.children_cpu
            made.append(report.pk)
            report.refresh_from_db()
            run = {
                "status": report.status,
                "seconds": round(elapsed, 3),
                "pages": report.page_count,
                "pdf_bytes": report.size_bytes,
                "error": report.error_message,
                "peak_rss_mb_tree": round(memory.peak / 2**20, 1),
                "peak_rss_mb_renderer": round(memory.peak_child / 2**20, 1),
                "processes": memory.processes,
                "cores_used": round(cpu / elapsed, 2),
            }
            # One national (summarised) report is the measurement: no warm-up, no repeat.
            single = bool(report.data) and len(report.data.get("partnerships", [])) > summary_above
            if timed or single:
                pipeline_wall += elapsed
                pipeline_cpu += cpu
                peak_tree = max(peak_tree, memory.peak)
                peak_renderer = max(peak_renderer, memory.peak_child)
                renderer_processes = max(renderer_processes, memory.processes - 1)
            if report.status == Report.Status.DONE:
                if timed or single:
                    end_to_end.append(elapsed)
                figures = CityFigures.build(report.data, report_scope(report))
                with translation.override("vi"):
                    document = documents.build_document(report, figures)
                    whole = documents.build_document(report, figures, split=False).parts[0]
                run |= {"parts": len(document.parts), "printed_rows": document.printed_rows}
                run["html_bytes"] = len(whole.encode())
                if not document.summarised:  # the national document alone needed 1.9 GB (findings §7)
                    started = time.perf_counter()
                    pdf.render_pdf(whole)
                    run["weasyprint_seconds"] = round(time.perf_counter() - started, 3)
                    if timed:
                        alone.append(run["weasyprint_seconds"])
                if report.pk in published:
                    started = time.perf_counter()
                    with TreeMemory() as workbook_memory:
                        run_workbook(report_id=report.pk)
                    run["workbook_seconds"] = round(time.perf_counter() - started, 3)
                    # (This process already holds what the rendering left: a worker's own task holds less.)
                    run["workbook_peak_rss_mb"] = round(workbook_memory.peak / 2**20, 1)
                    workbooks.append(run["workbook_seconds"])
            run["warmup"] = not timed and not single
            outcome["runs"].append(run)
            if report.status != Report.Status.DONE:
                outcome["peak_rss_mb_pipeline"] = round(memory.peak / 2**20, 1)
                if options.beyond_limit and report.data is not None:
                    outcome["beyond_limit"] = render_beyond_limit(report)
                break  # a refusal or a failure will not change on a second try
            if single:
                break
            index += 1
    finally:
        catch.stop()
        pdf.close_shared_pools()
        wall = time.perf_counter() - wall_started
        for report in Report.objects.filter(pk__in=made):
            for stored in (report.pdf, report.xlsx):
                if stored:
                    stored.delete(save=False)
            report.delete()
    outcome |= {
        "end_to_end_seconds": round(statistics.median(end_to_end), 3) if end_to_end else None,
        "weasyprint_seconds": round(statistics.median(alone), 3) if alone else None,
        "ratio": round(statistics.median(end_to_end) / statistics.median(alone), 3) if alone else None,
        "workbook_seconds": round(statistics.median(workbooks), 3) if workbooks else None,
        # The worker while it renders: this process and its renderer processes, summed.
        "peak_rss_mb": round(peak_tree / 2**20, 1) if peak_tree else peak_rss_mb(),
        "peak_rss_mb_renderer": round(peak_renderer / 2**20, 1),
        "renderer_processes": renderer_processes,
        "peak_rss_mb_this_process": peak_rss_mb(),
        "cpu_seconds": round(pipeline_cpu, 2),
        "wall_seconds": round(pipeline_wall, 2),
        "whole_job_seconds": round(wall, 2),
        # > 1.0 only if the rendering kept more than one core busy (the database's work is not counted).
        "cores_used": round(pipeline_cpu / pipeline_wall, 2) if pipeline_wall else None,
    }
    print(json.dumps(outcome, ensure_ascii=False))


if __name__ == "__main__":
    main()
