"""Measure one scale database (P1–P8, G5, K4) and write its JSON; ``python -m bench`` runs this once per scale.

DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=…/ketnghia_city python -m bench.run_scale --scale city --out F

Sections (``--skip NAME``, or ``--only NAME`` for just one or a few): ``pages`` (P1/P2/P3/P7),
``load`` (P4), ``k4``, ``reports`` (P5/P6), ``browser`` (P8), ``g5``; the last three and ``k4`` are
measured on the city database only. A section not measured keeps the figures of the latest earlier
JSON of the same scale (and label), and the JSON says so under ``carried_over`` (key → when it was
measured), so that RESULTS.md still shows every target after a partial run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("pages", "load", "k4", "reports", "browser", "g5")
CITY_ONLY = ("k4", "browser", "g5")
SECTION_KEYS = {
    "pages": ("pages", "fragments", "p3", "p7"),
    "load": ("p4",),
    "k4": ("k4",),
    "reports": ("p5",),
    "browser": ("p8", "p9"),
    "g5": ("g5",),
}


def skipped_sections(skip: list[str], only: list[str]) -> set[str]:
    """The sections not to measure: those skipped, or all but the ones asked for with ``--only``."""
    return set(skip) | ({name for name in SECTIONS if name not in only} if only else set())


def carry_over(result: dict, previous: dict | None, skipped: set[str]) -> dict:
    """Copy into ``result`` the figures of the skipped sections from ``previous`` (an earlier run's JSON),
    noting in ``carried_over`` when each was measured (a figure carried twice keeps its first date)."""
    if not previous:
        return result
    carried = {}
    for section in sorted(skipped):
        for key in SECTION_KEYS[section]:
            if key in previous and key not in result:
                result[key] = previous[key]
                carried[key] = previous.get("carried_over", {}).get(key, previous.get("started_at", "?"))
    if carried:
        result["carried_over"] = carried
    return result


def measure_pages(cast, clients: dict, pages, *, requests: int, warmup: int, htmx: bool = False) -> dict:
    """Median and p95 of ``requests`` timed GETs of each page (after ``warmup`` untimed ones), its
    queries and weight.

    The pages are timed in rounds, one request of each per round, so that a slow spell of the machine
    (a shared virtual machine's) is spread over every page rather than falling on the few seconds in
    which one page's requests would all run, and deciding that page's p95 alone. Each round takes the
    pages in a new order (the same from run to run): in a fixed order, the collector's periodic pauses
    (every few dozen requests, see config/web_process.py) fell on the same few pages round after round.
    """
    from .measure import get, summary, weigh

    results, seconds = {}, {}

    def attempt(page, action):
        try:
            return action()
        except Exception as error:  # one broken page must not hide the others' figures
            results[page.key] = {"path": page.path, "error": f"{type(error).__name__}: {error}"[:500]}
            seconds.pop(page.key, None)

    def timed(page):
        started = time.perf_counter()
        get(clients[page.user], page.path, htmx=htmx)
        seconds[page.key].append(time.perf_counter() - started)

    for page in pages:
        seconds[page.key] = []
        for _ in range(warmup):
            if page.key in seconds:
                attempt(page, lambda page=page: get(clients[page.user], page.path, htmx=htmx))
    order, shuffle = list(pages), random.Random(0).shuffle
    for _ in range(requests):
        shuffle(order)
        for page in order:
            if page.key in seconds:
                attempt(page, lambda page=page: timed(page))
    for page in pages:
        if page.key in seconds:
            figures = attempt(page, lambda page=page: weigh(clients[page.user], page.path, htmx=htmx))
            if figures is not None:
                results[page.key] = {**figures, **summary(seconds[page.key])}
    return {page.key: {"label": page.label, "user": page.user, **results[page.key]} for page in pages}


def compare_with_admin(client, pairs: dict[str, tuple[str, str]], *, requests: int, warmup: int) -> dict:
    """P3: the two pages alternately, request by request, so that drift in the machine hits both alike."""
    from .measure import get, summary

    results = {}
    for name, (portal, admin) in pairs.items():
        for _ in range(warmup):
            get(client, portal)
            get(client, admin)
        times = {"portal": [], "admin": []}
        for _ in range(requests):
            for key, path in (("portal", portal), ("admin", admin)):
                started = time.perf_counter()
                get(client, path)
                times[key].append(time.perf_counter() - started)
        entry = {key: {"path": path, **summary(times[key])} for key, path in (("portal", portal), ("admin", admin))}
        entry["ratio_p50"] = round(entry["portal"]["p50_ms"] / entry["admin"]["p50_ms"], 3)
        entry["ratio_p95"] = round(entry["portal"]["p95_ms"] / entry["admin"]["p95_ms"], 3)
        results[name] = entry
    return results


def count_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .measure import get

    with CaptureQueriesContext(connection) as queries:
        get(client, path)
    return len(queries)


def run_report_job(*, repeat: int, timeout: int) -> dict:
    command = [sys.executable, "-m", "bench.report_job", "--repeat", str(repeat), "--beyond-limit"]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=os.environ)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": (done.stderr or done.stdout)[-1500:]}
    return json.loads(lines[-1])


def sizes() -> dict:
    from django.contrib.auth import get_user_model

    from commitments.models import Commitment, ProgressUpdate
    from communes.models import Commune
    from partnerships.models import Activity, Membership, Partnership

    return {
        "units": Commune.objects.count(),
        "partnerships": Partnership.objects.count(),
        "memberships": Membership.objects.count(),
        "commitments": Commitment.objects.count(),
        "progress_updates": ProgressUpdate.objects.count(),
        "awaiting_review": ProgressUpdate.objects.awaiting_review().count(),
        "activities": Activity.objects.count(),
        "users": get_user_model().objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--report-repeat", type=int, default=5)
    parser.add_argument("--k4-seconds", type=int, default=30)
    parser.add_argument("--g5-seconds", type=int, default=5)
    parser.add_argument("--skip", action="append", default=[], choices=SECTIONS)
    parser.add_argument("--only", action="append", default=[], choices=SECTIONS)
    parser.add_argument("--label", default="")
    options = parser.parse_args()
    skipped = skipped_sections(options.skip, options.only)
    if options.scale != "city":
        skipped |= set(CITY_ONLY)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from commitments.models import Commitment
    from config.web_process import compile_templates, tune_garbage_collector

    from . import audit, load, machine, pages, results_md, slow_link, weight
    from .measure import get, signed_in_client

    started = time.perf_counter()
    cast = pages.Cast.find()
    clients = {key: signed_in_client(cast.user(key)) for key in ("staff", "officer", "admin")}
    # Serve the pages as a gunicorn worker does (config/wsgi.py): templates compiled, and what lives as
    # long as the process frozen out of the garbage collector's sight, with its thresholds. Python's
    # defaults would add collections of this process's own state to the slowest requests.
    compile_templates()
    tune_garbage_collector()
    log = lambda text: print(f"[{options.scale} {time.perf_counter() - started:6.1f} s] {text}", flush=True)  # noqa: E731
    result = {
        "scale": options.scale,
        "date": datetime.date.today().isoformat(),
        "started_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": connection.settings_dict["NAME"],
        "machine": machine.describe(),
        "sizes": sizes(),
        "cast": {
            "largest_partnership": cast.largest_partnership,
            "largest_partnership_commitments": Commitment.objects.filter(partnership=cast.largest_partnership).count(),
            "officer_unit": cast.officer.commune_id,
            "officer_unit_commitments": Commitment.objects.filter(owner=cast.officer.commune_id).count(),
            "filter_field": cast.field_code,
        },
        "settings": {
            "requests": options.requests,
            "warmup": options.warmup,
            "debug": settings.DEBUG,
            "label": options.label,
            "postgresql_options": connection.settings_dict["OPTIONS"].get("options", ""),
            "sections": [name for name in SECTIONS if name not in skipped],
        },
    }
    if "pages" not in skipped:
        log("P1/P2 pages")
        result["pages"] = measure_pages(
            cast, clients, pages.pages(cast), requests=options.requests, warmup=options.warmup
        )
        log("P2/P7 fragments")
        result["fragments"] = measure_pages(
            cast, clients, pages.fragments(cast), requests=options.requests, warmup=options.warmup, htmx=True
        )
        log("P3 portal list vs admin changelist")
        pairs = pages.comparison(cast)
        result["p3"] = compare_with_admin(clients["admin"], pairs, requests=options.requests, warmup=options.warmup)
        for name, (portal, admin) in pairs.items():
            result["p3"][name]["portal"]["queries"] = count_queries(clients["admin"], portal)
            result["p3"][name]["admin"]["queries"] = count_queries(clients["admin"], admin)
        log("P7 first loads")
        result["p7"] = {
            "first_load": {
                page.key: weight.first_load(get(clients[page.user], page.path).content) for page in pages.pages(cast)
            }
        }
    if "load" not in skipped:
        log("P4 gunicorn + wrk")
        result["p4"] = load.measure_throughput(
            cast.staff, paths={"hello": "/bench/hello/", "dashboard": "/"}, seconds=options.wrk_seconds
        )
        if "error" not in result["p4"] and result["p4"]["hello"]["requests_per_second"]:
            result["p4"]["ratio"] = round(
                result["p4"]["dashboard"]["requests_per_second"] / result["p4"]["hello"]["requests_per_second"], 4
            )
    if "k4" not in skipped:
        # Like P8 and G5, about the server rather than the amount of data: measured on the city database.
        log(f"K4 /healthz and login under wrk -c{load.K4_CONNECTIONS}, {options.k4_seconds} s a URL")
        result["k4"] = load.measure_raw_throughput(seconds=options.k4_seconds)
    if "reports" not in skipped:
        log("P5/P6 report pipeline")
        result["p5"] = run_report_job(repeat=options.report_repeat, timeout=900)
    if "browser" not in skipped:
        # P8 is about the link, not the amount of data: measured once, on the city database.
        log("P8 progress form on Slow 3G")
        result["p8"] = slow_link.measure_slow_link(cast.officer)
        log("P9 progress report written offline, sent when the connection returns")
        result["p9"] = slow_link.measure_offline(cast.officer)
    if "g5" not in skipped:
        # Last: its thousands of UPDATEs (removed afterwards) must not disturb the other figures.
        log("G5 audit overhead: pgbench UPDATE and progress POST, audit triggers on and off")
        result["g5"] = audit.measure_audit_overhead(cast.officer, pgbench_seconds=options.g5_seconds)
    result["seconds"] = round(time.perf_counter() - started, 1)
    carry_over(result, results_md.latest(Path(options.out).parent, options.scale, options.label), skipped)
    Path(options.out).write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
    log(f"written {options.out}")


if __name__ == "__main__":
    main()
