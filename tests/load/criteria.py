"""Pass criteria of ``tests/load/run.py``'s overload, report-burst and soak modes (RELIABILITY K3, K6, K5).

Pure functions of what the runner measured (status counts, gunicorn's log, database counts, samples),
so that each criterion can be tested without a load run (tests/load/test_criteria.py). Each returns a
``Criterion``: its name, the measured value, the target and whether it passed; ``summary_table``
prints them. Times are seconds, latencies milliseconds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Criterion:
    name: str
    measured: str
    target: str
    passed: bool


def summary_table(title: str, criteria: list[Criterion]) -> str:
    """One line per criterion (verdict, name, target, then the measured value, which may be long) and a
    last line that says whether all passed."""
    rows = [("", "criterion", "target", "measured")]
    rows += [("pass" if c.passed else "FAIL", c.name, c.target, c.measured) for c in criteria]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"=== {title} ==="]
    for row in rows:
        lines.append("  ".join(text.ljust(width) for text, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    failed = [c.name for c in criteria if not c.passed]
    lines.append("PASS" if not failed else f"FAILED: {len(failed)} of {len(criteria)} criteria ({', '.join(failed)})")
    return "\n".join(lines)


def all_passed(criteria: list[Criterion]) -> bool:
    return bool(criteria) and all(c.passed for c in criteria)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def milliseconds(value: float | None) -> str:
    if value is None:
        return "no samples"
    return "no answer" if math.isinf(value) else f"{value:.0f} ms"


# --- Answers ---------------------------------------------------------------------------------------


def allowed_under_overload(status: str) -> bool:
    """K3: a page, a redirect, or an honest "too busy" (429, 503). Anything else, and no answer at all
    (a reset or refused connection, a client timeout: keys that are not a number), is a failure."""
    if not status.isdigit():
        return False
    code = int(status)
    return 200 <= code < 400 or code in {429, 503}


def count_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) or "no requests"


def overload_statuses(counts: dict[str, int]) -> Criterion:
    others = {status: count for status, count in counts.items() if not allowed_under_overload(status)}
    return Criterion(
        "answers: only 2xx/3xx/429/503",
        count_line(counts) + (f" (not allowed: {count_line(others)})" if others else ""),
        "0 other statuses, 0 connection errors",
        sum(counts.values()) > 0 and not others,
    )


def server_errors(counts: dict[str, int]) -> Criterion:
    """K5: 5xx answers; requests that got no answer at all count too (the server dropped them)."""
    errors = {status: count for status, count in counts.items() if not status.isdigit() or int(status) >= 500}
    total = sum(counts.values())
    return Criterion(
        "server errors (5xx or no answer)",
        f"{sum(errors.values())} of {total} requests" + (f" ({count_line(errors)})" if errors else ""),
        "0",
        total > 0 and not errors,
    )


# --- Gunicorn workers ------------------------------------------------------------------------------

# gunicorn's default log format: "[2026-11-22 10:00:00 +0000] [pid] [LEVEL] message"
LOG_LINE = re.compile(r"^\[[^\]]+\] \[(?P<pid>\d+)\] \[(?P<level>[A-Z]+)\] (?P<message>.*)$", re.MULTILINE)
BOOTED = re.compile(r"Booting worker with pid: (\d+)")
TIMED_OUT = re.compile(r"WORKER TIMEOUT \(pid:(\d+)\)")
# The master logs how a worker ended unless it exited cleanly; SIGTERM is its own graceful stop.
ENDED_BADLY = re.compile(r"Worker \(pid:(\d+)\) (?:was sent (?!SIGTERM!)\S+|exited with code)")


@dataclass
class WorkerEvents:
    """What gunicorn's log says happened to its workers (the part of the log written during the load)."""

    booted: list[int] = field(default_factory=list)
    recycled: list[int] = field(default_factory=list)  # --max-requests reached: a planned restart
    timed_out: list[int] = field(default_factory=list)
    ended_badly: list[int] = field(default_factory=list)
    exceptions: int = 0  # "Exception in worker process"


def worker_events(log: str) -> WorkerEvents:
    events = WorkerEvents()
    for line in LOG_LINE.finditer(log):
        message, pid = line["message"], int(line["pid"])
        if booted := BOOTED.match(message):
            events.booted.append(int(booted[1]))
        elif message.startswith("Autorestarting worker after current request"):
            events.recycled.append(pid)  # logged by the worker itself: the line's pid is the worker's
        elif timed_out := TIMED_OUT.match(message):
            events.timed_out.append(int(timed_out[1]))
        elif ended := ENDED_BADLY.match(message):
            events.ended_badly.append(int(ended[1]))
        elif message.startswith("Exception in worker process"):
            events.exceptions += 1
    return events


def worker_crashes(events: WorkerEvents, before: set[int], after: set[int]) -> Criterion:
    """K3: every worker that existed during the load (those before it and those booted meanwhile) and is
    gone afterwards must have gone by --max-requests recycling; and the log has no timeout or bad exit."""
    gone = (before | set(events.booted)) - after
    unexplained = gone - set(events.recycled)
    crashed = unexplained | set(events.timed_out) | set(events.ended_badly)
    measured = (
        f"{len(crashed)} crashed (timeouts {len(events.timed_out)}, bad exits {len(events.ended_badly)}, "
        f"gone without recycling {len(unexplained)}); {len(set(events.recycled))} recycled by --max-requests; "
        f"workers before {sorted(before)}, after {sorted(after)}"
    )
    return Criterion("gunicorn worker crashes", measured, "0", not crashed and not events.exceptions)


# --- Writes and their audit events -----------------------------------------------------------------


def audited_writes(acknowledged: list[str], rows: dict[str, int], events: dict[str, int]) -> Criterion:
    """K3: each acknowledged progress report (its tag: a unique part of the narrative) is stored once and
    has exactly one audit event; a stored row that was not acknowledged (its answer lost in the overload)
    must not be duplicated either."""
    lost = [tag for tag in acknowledged if rows.get(tag, 0) == 0 or events.get(tag, 0) == 0]
    duplicated = [tag for tag in set(rows) | set(events) if rows.get(tag, 0) > 1 or events.get(tag, 0) > 1]
    unaudited = [tag for tag, count in rows.items() if events.get(tag, 0) != count and tag not in duplicated]
    unacknowledged = len(set(rows) - set(acknowledged))
    exact = sum(1 for tag in acknowledged if rows.get(tag) == 1 and events.get(tag) == 1)
    measured = (
        f"{len(acknowledged)} acknowledged, {exact} with exactly 1 row and 1 audit event; lost {len(lost)}, "
        f"duplicated {len(duplicated)}, rows without their event {len(unaudited)}; "
        f"{unacknowledged} stored without an answer reaching the client"
    )
    return Criterion(
        "progress POSTs → audit events",
        measured,
        "1 each: 0 lost, 0 duplicated",
        bool(acknowledged) and not lost and not duplicated and not unaudited,
    )


# --- Latency ---------------------------------------------------------------------------------------


def recovery_windows(samples: list[tuple[float, float]], seconds: float, window: float) -> list[dict]:
    """Probe samples (start time since the load stopped, milliseconds; math.inf for a failed probe)
    grouped into consecutive windows of ``window`` seconds, each with its p95."""
    windows = []
    start = 0.0
    while start < seconds - 1e-9:
        end = min(seconds, start + window)
        inside = [ms for at, ms in samples if start <= at < end]
        windows.append({"start": start, "end": end, "requests": len(inside), "p95": percentile(inside, 0.95)})
        start = end
    return windows


def recovery(samples: list[tuple[float, float]], budget_ms: float, seconds: float = 15, window: float = 5) -> Criterion:
    """K3: "p95 back under budget within ``seconds`` after the load stops". Recovered at the end of the
    first window from which every window's p95 is under budget; it passes if that is within ``seconds``,
    that is, at least the last window is under budget."""
    windows = recovery_windows(samples, seconds, window)
    recovered_at = None
    for index, current in enumerate(windows):
        if all(w["p95"] is not None and w["p95"] < budget_ms for w in windows[index:]):
            recovered_at = current["end"]
            break
    described = "; ".join(
        f"{w['start']:.0f}–{w['end']:.0f} s: p95 {milliseconds(w['p95'])} ({w['requests']} req)" for w in windows
    )
    verdict = f"under {budget_ms:.0f} ms from {recovered_at:.0f} s on" if recovered_at is not None else "not recovered"
    return Criterion(
        f"p95 after the load stops ({window:.0f} s windows)",
        f"{verdict}: {described}",
        f"< {budget_ms:.0f} ms within {seconds:.0f} s",
        recovered_at is not None,
    )


def samples_between(samples: list[tuple[float, float]], start: float, end: float) -> list[float]:
    """The latencies of the requests (wall-clock start time, milliseconds) that started in [start, end]."""
    return [ms for at, ms in samples if start <= at <= end]


def get_p95_while_rendering(
    samples: list[tuple[float, float]], start: float, end: float, budget_ms: float
) -> Criterion:
    """K6: web GETs that started while reports were queued or running (first request → last one done)."""
    inside = samples_between(samples, start, end)
    p95 = percentile(inside, 0.95)
    return Criterion(
        "web GET p95 while reports render",
        f"{milliseconds(p95)} over {len(inside)} GETs in {max(0.0, end - start):.0f} s",
        f"< {budget_ms:.0f} ms",
        p95 is not None and p95 < budget_ms,
    )


# --- Report burst ----------------------------------------------------------------------------------


def reports_requested(expected: int, requested_at: list[float], within: float, refused: int) -> Criterion:
    spread = max(requested_at) - min(requested_at) if requested_at else 0.0
    return Criterion(
        "report requests accepted",
        f"{len(requested_at)} of {expected} within {spread:.0f} s; {refused} refused",
        f"{expected} within {within:.0f} s",
        len(requested_at) == expected and spread <= within,
    )


def reports_done(expected: int, statuses: dict[str, int], seconds: float | None, timeout: float) -> Criterion:
    done = statuses.get("done", 0)
    took = f" in {seconds:.0f} s (first request → last DONE)" if seconds is not None and done == expected else ""
    others = {status: count for status, count in statuses.items() if status != "done"}
    return Criterion(
        "reports DONE",
        f"{done} of {expected}{took}" + (f"; not done: {count_line(others)}" if others else ""),
        f"{expected} of {expected} within {timeout:.0f} s",
        done == expected and expected > 0,
    )


def one_file_each(reports: list[dict], pdf_files_on_disk: int) -> Criterion:
    """Each DONE report names a PDF that exists with the recorded checksum, and no PDF is left over
    (a rendering that ran twice would leave a second file)."""
    done = [report for report in reports if report["status"] == "done"]
    good = [report for report in done if report["pdf"] and report["file_exists"] and report["checksum_matches"]]
    distinct = len({report["pdf"] for report in good})
    return Criterion(
        "exactly one PDF file per report",
        f"{len(good)} of {len(done)} DONE have their file (checksum matches); {pdf_files_on_disk} PDF files on disk",
        "1 per DONE report, no other",
        bool(done) and len(good) == len(done) == distinct == pdf_files_on_disk,
    )


def quotas_respected(
    per_user: dict[str, int], per_user_limit: int, peak_unfinished: int, queue_limit: int, refused: int
) -> Criterion:
    """K6: no person has more report requests in the last hour than REPORT_REQUESTS_PER_USER_PER_HOUR and
    the queue never held more than REPORT_QUEUE_LIMIT. A refusal at the limit is the quota working."""
    most = max(per_user.values(), default=0)
    return Criterion(
        "quotas respected",
        f"most requests by one person in the hour {most} (limit {per_user_limit}); "
        f"peak queued+running {peak_unfinished} (limit {queue_limit}); {refused} refused",
        "≤ the limits",
        most <= per_user_limit and peak_unfinished <= queue_limit,
    )


# --- Soak ------------------------------------------------------------------------------------------


def rss_growth(baseline: dict[int, int], last_seen: dict[int, int], limit: float) -> Criterion:
    """K5: the gunicorn workers sampled after warm-up, compared with their last sample (at the end, or
    just before a worker was recycled by --max-requests): the summed resident set must grow < ``limit``."""
    before = sum(baseline.values())
    after = sum(last_seen.get(pid, rss) for pid, rss in baseline.items())
    growth = (after - before) / before if before else math.inf
    per_worker = ", ".join(
        f"{pid}: {baseline[pid] / 2**20:.1f} → {last_seen.get(pid, baseline[pid]) / 2**20:.1f}"
        for pid in sorted(baseline)
    )
    return Criterion(
        "gunicorn worker RSS growth",
        f"{before / 2**20:.1f} → {after / 2**20:.1f} MiB ({growth:+.1%}); per worker MiB {per_worker}",
        f"< {limit:.0%}",
        bool(baseline) and growth < limit,
    )


def database_connections(samples: list[int], limit: int, how: str) -> Criterion:
    return Criterion(
        "database connections",
        f"max {max(samples, default=0)} seen in {len(samples)} samples; limit {limit} = {how}",
        f"≤ {limit}",
        bool(samples) and max(samples) <= limit,
    )


def queue_does_not_grow(samples: list[int]) -> Criterion:
    """K5: the queued reports over the measured time (after warm-up): the mean of the last quarter of the
    samples is not above the highest count of the first quarter (a queue that drains wobbles; one that
    grows ends above anything it started with)."""
    quarter = max(1, len(samples) // 4)
    first, last = samples[:quarter], samples[-quarter:]
    start_peak = max(first, default=0)
    end_mean = sum(last) / len(last) if last else 0.0
    return Criterion(
        "QUEUED reports do not grow",
        f"first quarter max {start_peak}, last quarter mean {end_mean:.1f}, overall max {max(samples, default=0)} "
        f"({len(samples)} samples)",
        "last-quarter mean ≤ first-quarter max",
        bool(samples) and end_mean <= start_peak,
    )
