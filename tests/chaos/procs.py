"""Processes the chaos tests start and kill: their own Redis, Celery workers, beat and a web server.

Every process runs in its own session (process group) and is killed only through the ids recorded
here, never by name. ``Processes.cleanup`` kills whatever is still alive at the end of a test.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis as redis_client
from django.conf import settings

from tests.live_services import database_url

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "tests.chaos.settings"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise AssertionError("chaos test deadline passed")
    return left


def tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


class Process:
    """A subprocess in its own process group, with its output in a log file."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict | None = None):
        self.name, self.log = name, log
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, signum: int) -> None:
        """To this process only (not its children)."""
        if self.alive():
            os.kill(self.pid, signum)

    def kill_group(self) -> None:
        """SIGKILL to the process group this test created: the process and all its children."""
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_for_log(self, text: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{tail(self.log)}")
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not log {text!r}:\n{tail(self.log)}")


class RedisServer:
    """redis-server on a free loopback port with AOF (everysec), a password and its data in a temp folder."""

    def __init__(self, directory: Path, processes: Processes):
        self.directory, self.processes = directory, processes
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.starts = 0

    def start(self, deadline: float) -> None:
        self.starts += 1
        self.process = self.processes.add(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--maxmemory-policy",
                "noeviction",
                "--requirepass",
                self.password,
                "--daemonize",
                "no",
            ],
            self.directory / f"redis-{self.starts}.log",
        )
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis_client.exceptions.ConnectionError:
                pass
            except redis_client.exceptions.BusyLoadingError:
                pass
            if not self.process.alive():
                break
            time.sleep(0.05)
        raise AssertionError("redis did not start:\n" + tail(self.process.log))

    def kill9(self) -> None:
        assert self.process is not None
        self.process.signal(signal.SIGKILL)
        self.process.wait_exit(10)

    def client(self) -> redis_client.Redis:
        return redis_client.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=1)

    def queue_length(self, queue: str = "reports") -> int:
        with self.client() as client:
            return client.llen(queue)


def environment(redis_url: str, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CHAOS_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DJANGO_ENV_FILE": "/dev/null",
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
        }
    )
    env.update(extra)
    return env


class Processes:
    """Everything a test started; ``cleanup`` SIGKILLs the groups still alive (only these pids)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.started: list[Process] = []

    def add(self, name: str, args: list[str], log: Path, env: dict | None = None) -> Process:
        process = Process(name, args, log, env)
        self.started.append(process)
        return process

    def redis(self) -> RedisServer:
        return RedisServer(self.directory / "redis", self)

    def worker(self, redis: RedisServer, deadline: float, concurrency: int = 1) -> Process:
        count = sum(p.name.startswith("worker") for p in self.started)
        worker = self.add(
            f"worker-{count}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "reports,celery",
                "-c",
                str(concurrency),
                "-P",
                "prefork",
                "-n",
                f"chaos-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            self.directory / f"worker-{count}.log",
            environment(redis.url),
        )
        worker.wait_for_log("ready.", deadline)
        return worker

    def beat(self, redis: RedisServer) -> Process:
        """The re-queue job, every CHAOS_REAPER_SECONDS (5 s), as production's single beat runs it."""
        return self.add(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-s",
                str(self.directory / "beat-schedule"),
                "--pidfile=",
                "-l",
                "info",
            ],
            self.directory / "beat.log",
            environment(redis.url),
        )

    def web(self, redis: RedisServer, deadline: float) -> tuple[Process, str]:
        port = free_port()
        web = self.add(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "30",
            ],
            self.directory / "web.log",
            environment(redis.url),
        )
        web.wait_for_log("Booting worker", deadline)
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return web, base
            except OSError:
                time.sleep(0.1)
        raise AssertionError("web server did not listen:\n" + tail(web.log))

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.pid})\n{tail(p.log, 2000)}" for p in self.started)

    def cleanup(self) -> None:
        for process in reversed(self.started):
            try:
                process.kill_group()
            except Exception:  # noqa: BLE001 - keep killing the others
                pass
