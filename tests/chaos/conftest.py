"""Chaos tests (RELIABILITY.md section L) are slow: they run only with ``--run-chaos`` or ``RUN_CHAOS=1``
(``make chaos``), so ``make test`` stays fast. Each test gets a hard time limit (SIGALRM) and a
``processes`` registry whose pids are all killed at the end, whatever happened.
"""

import os
import signal
import time
from pathlib import Path

import pytest

from tests.chaos.procs import Processes

HARD_LIMIT_SECONDS = 240
MEASURED: list[tuple[str, str, float]] = []


def pytest_addoption(parser):
    # Only seen when tests/chaos is on the command line (an "initial" conftest); RUN_CHAOS=1 works always.
    parser.addoption("--run-chaos", action="store_true", default=False, help="run the chaos tests (tests/chaos)")


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: fault injection with real Redis/Celery processes (make chaos)")


def chaos_enabled(config) -> bool:
    return os.environ.get("RUN_CHAOS") == "1" or bool(getattr(config.option, "run_chaos", False))


def pytest_collection_modifyitems(config, items):
    if chaos_enabled(config):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="chaos test: run with `make chaos` (RUN_CHAOS=1 or --run-chaos)")
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(skip)


class HardTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def hard_limit():
    """Abort a test that hangs; the ``processes`` fixture still kills everything it started."""

    def expire(signum, frame):
        raise HardTimeout(f"chaos test exceeded {HARD_LIMIT_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(HARD_LIMIT_SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def processes(tmp_path):
    registry = Processes(tmp_path)
    try:
        yield registry
    finally:
        registry.cleanup()


@pytest.fixture
def deadline():
    return time.monotonic() + HARD_LIMIT_SECONDS - 10


@pytest.fixture
def redis(processes, deadline):
    server = processes.redis()
    server.start(deadline)
    return server


@pytest.fixture
def measured(request):
    """Record a measured duration; ``make chaos`` prints them all at the end of the run."""

    def record(label: str, seconds: float) -> None:
        MEASURED.append((request.node.name, label, seconds))

    return record


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("chaos: measured times")
        for test, label, seconds in MEASURED:
            terminalreporter.write_line(f"{test}: {label} {seconds:.1f} s")
