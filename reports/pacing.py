"""Report work waits for spare CPU before it starts.

A report (its figures, its HTML, WeasyPrint, the Excel workbook) is background work sharing the machine
with the web server. A lower priority is not enough on a small virtual machine: with the renderers at
SCHED_IDLE, ``make load`` (RELIABILITY K2, 200 users on 2 vCPUs) served 51 requests/s against 88 without
the report worker. The idle-class processes still ran in every gap a waiting web worker left, and the
vCPUs share caches and execution units, so each request then cost 13 % more CPU and the web workers
got only half the machine.

So a job first waits until the machine has ``REPORT_SPARE_CPUS`` idle, measured from ``/proc/stat``
over a short sample while this worker does nothing, sampling again until it has, or until
``REPORT_SPARE_CPU_WAIT_SECONDS`` have passed: however busy the web is, a report starts at most that
late. On a quiet machine the first sample passes and the job starts after ``SAMPLE_SECONDS``.
Inside a container ``/proc/stat`` describes the host, so the rule reads "while the host is busy".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import conf

logger = logging.getLogger(__name__)

SAMPLE_SECONDS = 0.1  # /proc/stat counts hundredths of a second: 20 ticks a sample on 2 CPUs
STAT_PATH = "/proc/stat"


@dataclass(frozen=True)
class CpuTimes:
    """The machine's CPU counters since boot, in ticks, summed over its CPUs."""

    idle: int
    total: int
    cpus: int


def read_cpu_times(path: str = STAT_PATH) -> CpuTimes | None:
    """The counters of ``/proc/stat``, or None where there is none (not Linux)."""
    try:
        with open(path) as stat:
            lines = stat.read().splitlines()
    except OSError:
        return None
    # cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    ticks = [int(value) for value in lines[0].split()[1:9]]
    cpus = sum(1 for line in lines[1:] if line.startswith("cpu"))
    return CpuTimes(idle=ticks[3] + ticks[4], total=sum(ticks), cpus=max(1, cpus))


def idle_cpus(before: CpuTimes, after: CpuTimes) -> float:
    """How many CPUs were idle on average between two readings."""
    elapsed = after.total - before.total
    if elapsed <= 0:  # no tick in between: nothing says the machine is busy
        return float(after.cpus)
    return after.cpus * (after.idle - before.idle) / elapsed


def wait_for_spare_cpu(
    *,
    spare_cpus: float | None = None,
    max_wait: float | None = None,
    read: Callable[[], CpuTimes | None] = read_cpu_times,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Block until ``spare_cpus`` CPUs were idle over one sample, or ``max_wait`` seconds have passed.

    Returns the seconds waited. ``max_wait`` 0 turns the wait off (the test settings do)."""
    spare_cpus = conf.get("REPORT_SPARE_CPUS") if spare_cpus is None else spare_cpus
    max_wait = conf.get("REPORT_SPARE_CPU_WAIT_SECONDS") if max_wait is None else max_wait
    before = read() if max_wait > 0 else None
    if before is None:
        return 0.0
    started = clock()
    while True:
        sleep(SAMPLE_SECONDS)
        after = read()
        if after is None or idle_cpus(before, after) >= spare_cpus:
            waited = clock() - started
            if waited >= 1:
                logger.info("Report work waited %.0f s for %.2f spare CPUs", waited, spare_cpus)
            return waited
        waited = clock() - started
        if waited >= max_wait:
            logger.info("Report work starts on a busy machine after waiting %.0f s (the longest it waits)", waited)
            return waited
        before = after
