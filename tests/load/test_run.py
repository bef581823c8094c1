"""The load runner's CPU cap (tests/load/run.py ``CpuCap``): the report worker held to docker-compose.yml's
``cpus`` and ``cpu_shares`` while the web is measured."""

import subprocess

import pytest

from tests.live_services import require
from tests.load.run import CpuCap


@pytest.fixture
def worker_cap(monkeypatch):
    monkeypatch.delenv("WORKER_CPUS", raising=False)
    cap = CpuCap("worker")
    yield cap
    cap.remove()


def test_the_limits_are_docker_composes(worker_cap):
    assert (worker_cap.cpus, worker_cap.shares) == (1.0, 256)


def test_the_deployments_variable_sets_the_cpus(monkeypatch):
    monkeypatch.setenv("WORKER_CPUS", "0.5")
    cap = CpuCap("worker")
    cap.remove()
    assert cap.cpus == 0.5


def test_a_command_started_through_the_cap_runs_inside_its_cgroup(worker_cap):
    require(worker_cap.path is not None, f"a cgroup for the worker ({worker_cap.reason})")
    own_cgroup = subprocess.run(
        worker_cap.wrap(["cat", "/proc/self/cgroup"]), capture_output=True, text=True, timeout=10, check=True
    ).stdout
    assert worker_cap.path.name in own_cgroup
    limit = worker_cap.path / "cpu.max"
    quota = limit.read_text().split()[0] if limit.exists() else (worker_cap.path / "cpu.cfs_quota_us").read_text()
    assert int(quota) == 100_000  # one CPU's worth of every 100 ms period


def test_removing_the_cap_leaves_no_cgroup_behind(worker_cap):
    require(worker_cap.path is not None, f"a cgroup for the worker ({worker_cap.reason})")
    subprocess.run(worker_cap.wrap(["true"]), timeout=10, check=True)
    worker_cap.remove()
    assert not worker_cap.path.exists()
