"""``make load``: serve the portal with demo data on loopback, as docker-compose.yml runs it, and run locust.

    python tests/load/run.py [--users 200] [--seconds 60] [--ramp 20] [--fresh] [--no-worker] [--kill-worker]
    python tests/load/run.py --overload | --report-burst | --soak [--users N] [--seconds N] [--ramp N]

Modes (RELIABILITY.md; each prints a table of its criteria and exits 0 only if all pass):

- default, K2 steady load: ``K2_USERS`` (70) users, 20 s ramp, 60 s measured; judged by the locustfile
  on quitting. RELIABILITY.md's K2 names 200 users; its decision 6 says to lower the user count, never
  the zero-server-error rule, where a first baseline misses p95 on the 2-core machine. ``--users 200``
  (``LOAD_USERS=200``) runs the written figure.
  ``--kill-worker`` adds L7 (a gunicorn worker SIGKILLed mid-load).
- ``--overload``, K3: 500 users without pauses for 30 s (measured from when all have signed in). Only
  2xx/3xx/429/503 answers, no gunicorn worker crash (pids and gunicorn's log), every acknowledged progress
  report stored once with one audit event, and a p95 under 300 ms again within 15 s of the load stopping
  (3 signed-in probe clients, 5 s windows).
- ``--report-burst``, K6: 10 city-staff accounts ask for 3 reports each within 60 s while 50 users browse;
  the Celery worker as in docker-compose.yml (concurrency 2). Every report DONE within 10 minutes with
  exactly one PDF, quotas as in production, web GET p95 < 300 ms while reports are queued or running.
- ``--soak``, K5: 50 users for 30 minutes (``--seconds`` shortens it). No 5xx, gunicorn worker RSS growth
  < 10 % (after a warm-up of a tenth of the run), database connections within what the processes may
  open, queued reports not growing.

Gunicorn and the Celery worker run with docker-compose.yml's commands (workers, timeouts, concurrency),
only bound to loopback. Uses the database ``ketnghia_load`` on LOAD_DATABASE_URL's server (created, migrated and seeded with
load_reference_data + seed_demo if needed; ``--fresh`` drops it first). Starts its own Redis (temp
folder) and one Celery worker so report requests render in the background as in production (held to
docker-compose.yml's ``cpus`` and ``cpu_shares`` through a cgroup where the machine allows it), then
gunicorn and locust (headless; statistics restart once every user has signed in). Every process it started is
killed at the end and the temp folder removed. Reports left queued or running by an earlier run (their
messages died with that run's Redis) are marked failed first, so that they hold no place in the queue.
The exit code is 0 only if the mode's criteria passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: tests.load.criteria is imported from the project root

from tests.load import criteria  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/ketnghia_load"
SETTLE_SECONDS = 15  # the last logins finish after the spawn; statistics restart once all are in
PAGE_P95_MS = 300  # RELIABILITY K3, K6: pages
# K2's users on a 2-vCPU machine that runs locust, PostgreSQL and the report worker too (RELIABILITY.md
# decision 6: a missed p95 lowers the user count, never the zero-server-error rule). 200 users (K2 as
# written) ask ~100 requests/s; 2-vCPU hosts have served them at p95 0.5-1.5 s. 70 users passed on both
# hosts measured on 2026-12-06 (p95 46-200 ms); the faster host passed up to 130 and the slower one missed
# at 80 by a few tens of ms: docs/RELIABILITY-MATRIX.md, K2.
K2_USERS = 70
MODES = {  # users, measured seconds, ramp seconds
    "steady": (K2_USERS, 60, 20),
    "overload": (500, 30, 20),
    "report-burst": (50, 60, 10),
    "soak": (50, 1800, 10),
}
RECOVERY_SECONDS, RECOVERY_WINDOW = 15, 5  # K3: p95 back under PAGE_P95_MS within 15 s, in 5 s windows
BURST_REPORTERS, BURST_REQUESTS_EACH, BURST_TIMEOUT = 10, 3, 600  # K6: 30 requests; DONE within 10 min
SOAK_SAMPLE_SECONDS, SOAK_WARM_UP, SOAK_RSS_GROWTH = 10, 0.1, 0.10  # K5

CAST_SCRIPT = """
import json
import django
django.setup()
from accounts.models import Role, User
from commitments.models import Commitment
from communes.models import Commune
from partnerships.models import Partnership
from reports.forms import last_finished_quarter, period_choices

officers = []
for user in User.objects.filter(role=Role.UNIT_OFFICER, is_active=True, username__startswith="officer-"):
    own = list(Commitment.objects.editable_by(user).order_by("pk").values_list("pk", flat=True)[:30])
    if own:
        officers.append({"username": user.username, "commitments": own})
# City staff sign in with a TOTP code (RELIABILITY B5). Each simulated city user gets its own device
# (load-N): one shared app would refuse a second login within the same 30 s step as a replayed code.
from django_otp.plugins.otp_totp.models import TOTPDevice
city = User.objects.get(username="city")
TOTPDevice.objects.filter(user=city, name__startswith="load-").delete()
totp_keys = [TOTPDevice.objects.create(user=city, name=f"load-{n}", confirmed=True).key for n in range(200)]
# The report burst (K6): city staff with accounts of their own, so that each has its own hourly quota.
import os
from django.conf import settings
reporters = []
for n in range(int(os.environ.get("LOAD_REPORTERS", "0"))):
    user, created = User.objects.get_or_create(
        username=f"load-reporter-{n}", defaults={"role": Role.CITY_STAFF, "first_name": "Kiểm thử", "last_name": str(n)}
    )
    if created:
        from demo.demo_data import DEMO_PASSWORD
        user.set_password(DEMO_PASSWORD)
        user.save()
    TOTPDevice.objects.filter(user=user).delete()
    reporters.append({"username": user.username, "totp_key": TOTPDevice.objects.create(user=user, name="load", confirmed=True).key})
print(json.dumps({
    "reporters": reporters,
    "quotas": {"per_user_per_hour": settings.REPORT_REQUESTS_PER_USER_PER_HOUR, "queue": settings.REPORT_QUEUE_LIMIT},
    "totp_keys": totp_keys,
    "officers": officers,
    "commitments": list(Commitment.objects.order_by("pk").values_list("pk", flat=True)[:500]),
    "partnerships": list(Partnership.objects.order_by("pk").values_list("pk", flat=True)),
    "communes": list(Commune.objects.filter(memberships__isnull=False).distinct().values_list("code", flat=True)),
    "period_code": last_finished_quarter(period_choices()),
}))
"""


def compose_service(service: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]


class CpuCap:
    """The CPU limits docker-compose.yml gives a service (``cpus``, ``cpu_shares``), applied to a process
    tree started here through a cgroup of its own, so that ``make load`` measures the web beside a report
    worker held as production holds it. Needs root and the cgroup ``cpu`` controller (v2 or v1); where
    either is missing the worker runs uncapped and the run says so."""

    V2, V1 = Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpu")
    PERIOD_US = 100_000

    def __init__(self, service: str):
        limits = compose_service(service)
        # ${WORKER_CPUS:-1.0}: the variable as the deployment would resolve it, else its default.
        cpus = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m[1], m[2]), str(limits.get("cpus", "")))
        self.cpus = float(cpus) if cpus else None
        self.shares = int(limits["cpu_shares"]) if "cpu_shares" in limits else None
        self.path: Path | None = None
        self.reason = ""
        try:
            self.path = self._create(f"ketnghia-load-{service}-{os.getpid()}")
        except OSError as error:
            self.reason = f"{type(error).__name__}: {error}"

    def _create(self, name: str) -> Path:
        quota = str(round(self.cpus * self.PERIOD_US)) if self.cpus else "max"
        if (self.V2 / "cgroup.controllers").exists():
            if "cpu" not in (self.V2 / "cgroup.subtree_control").read_text().split():
                raise OSError("the cgroup v2 cpu controller is not enabled for child groups")
            path = self.V2 / name
            path.mkdir()
            (path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
            if self.shares:  # cgroup v2 weight from v1 shares, as runc converts them
                (path / "cpu.weight").write_text(str(1 + ((self.shares - 2) * 9999) // 262142))
            return path
        if not (self.V1 / "cpu.cfs_quota_us").exists():
            raise OSError("no cgroup cpu controller mounted")
        path = self.V1 / name
        path.mkdir()
        (path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
        (path / "cpu.cfs_quota_us").write_text(quota if self.cpus else "-1")
        if self.shares:
            (path / "cpu.shares").write_text(str(self.shares))
        return path

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` joining the cgroup before it starts, so every process it forks is inside too."""
        if self.path is None:
            return command
        return ["sh", "-c", f'echo $$ > {self.path / "cgroup.procs"} && exec "$@"', "cpu-cap", *command]

    def describe(self) -> str:
        if self.path is None:
            return f"not capped ({self.reason})"
        return f"capped as docker-compose.yml: cpus {self.cpus}, cpu_shares {self.shares} ({self.path})"

    def remove(self) -> None:
        for _ in range(20):  # empty once every process in it has exited and been reaped
            if self.path is None or not self.path.exists():
                return
            try:
                self.path.rmdir()
            except OSError:
                time.sleep(0.1)


def production_command(service: str, **options: str) -> list[str]:
    """The command docker-compose.yml runs for ``service``, with some ``--option value`` pairs replaced
    (``bind``, ``loglevel``…), so the load measures the web and worker processes as production runs them."""
    import shlex

    words = shlex.split(compose_service(service)["command"])
    for option, value in options.items():
        flag = "--" + option.replace("_", "-")
        words[words.index(flag) + 1] = value
    return [str(BIN / words[0]), *words[1:]]


def kill_a_worker(gunicorn: subprocess.Popen) -> dict:
    """RELIABILITY L7: SIGKILL one worker of the gunicorn master and time until the master has replaced it."""
    import psutil

    master = psutil.Process(gunicorn.pid)
    workers = master.children()
    victim = workers[0]
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    deadline = killed_at + 30
    while time.monotonic() < deadline:
        current = master.children()
        if len(current) == len(workers) and victim.pid not in {worker.pid for worker in current}:
            respawn = time.monotonic() - killed_at
            print(f"L7: worker {victim.pid} SIGKILLed; the master had a new one {respawn:.2f} s later")
            return {"respawn_seconds": respawn}
        time.sleep(0.05)
    print("L7: the master did not replace the killed worker within 30 s")
    return {"respawn_seconds": None}


def writes_kept(database_url: str, run_id: str, report_file: Path, killed: dict) -> bool:
    """L7's pass criteria: respawned in ≤ 5 s, at most the killed worker's one request lost, and every
    acknowledged progress report in the database (a write cut off mid-way leaves nothing, not half)."""
    import psycopg

    report = json.loads(report_file.read_text())
    with psycopg.connect(database_url) as connection:
        stored = connection.execute(
            "SELECT count(*) FROM commitments_progressupdate WHERE narrative LIKE %s",
            [f"%(kiểm thử tải {run_id}-%"],
        ).fetchone()[0]
    print(
        f"L7: {report['acknowledged']} progress reports acknowledged, {stored} stored, {report['attempted']} sent; "
        f"{report['failures']} failed requests, {report['server_errors']} without an answer"
    )
    respawn = killed["respawn_seconds"]
    return (
        respawn is not None
        and respawn <= 5
        and report["failures"] <= 1
        and report["acknowledged"] <= stored <= report["attempted"]
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def ensure_database(url: str, fresh: bool) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def is_seeded(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as connection:
        try:
            return bool(connection.execute("SELECT 1 FROM accounts_user WHERE username = 'city'").fetchone())
        except psycopg.errors.UndefinedTable:
            return False


class Started:
    """The processes this script started (each in its own process group); ``stop`` kills only those."""

    def __init__(self, folder: Path):
        self.folder, self.processes, self.caps = folder, [], []

    def cpu_cap(self, service: str) -> CpuCap:
        cap = CpuCap(service)
        self.caps.append(cap)
        return cap

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def log(self, name: str, chars: int = 3000) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    process.wait(timeout=10)
        for cap in self.caps:
            cap.remove()


def wait_until(check, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def manage(*args: str, env: dict, timeout: int = 600) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def tidy_leftover_reports(database_url: str) -> None:
    """Reports an earlier run left queued or running lost their messages with that run's Redis: no worker
    will ever take them, and they would count against REPORT_QUEUE_LIMIT. They are marked failed."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        tidied = connection.execute(
            "UPDATE reports_report SET status = 'failed', finished_at = now(), claim_token = NULL, "
            "error_message = 'Left unfinished by an earlier load run (tests/load/run.py).' "
            "WHERE status IN ('queued', 'running')"
        ).rowcount
    if tidied:
        print(f"{tidied} reports left queued or running by an earlier load run marked failed")


class Portal:
    """The portal this script serves: its processes, environment, address, cast and temp folder."""

    def __init__(self, options, started: Started, folder: Path, env: dict, base: str, gunicorn, cast: dict):
        self.options, self.started, self.folder, self.env = options, started, folder, env
        self.base, self.gunicorn, self.cast = base, gunicorn, cast
        self.cast_file = folder / "cast.json"
        self.report_file = folder / "locust-report.json"
        self.run_id = secrets.token_hex(4)

    def workers(self) -> dict[int, int]:
        """The gunicorn master's workers now: pid → resident set size (bytes, from /proc)."""
        import psutil

        sizes = {}
        for worker in psutil.Process(self.gunicorn.pid).children():
            try:
                sizes[worker.pid] = worker.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return sizes

    def gunicorn_log_size(self) -> int:
        return (self.folder / "gunicorn.log").stat().st_size

    def gunicorn_log_since(self, offset: int) -> str:
        with (self.folder / "gunicorn.log").open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def locust(self, users: int, ramp: int, run_time: int, env: dict | None = None, args=()) -> subprocess.Popen:
        print(f"locust: {users} users, spawned over {ramp} s, against {self.base}")
        process = subprocess.Popen(
            [
                str(BIN / "locust"),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--only-summary",
                "-u",
                str(users),
                "-r",
                f"{users / ramp:.2f}",
                "-t",
                f"{run_time}s",
                "--host",
                self.base,
                "--loglevel",
                "WARNING",
                *args,
            ],
            cwd=ROOT,
            env={
                **self.env,
                "LOAD_CAST": str(self.cast_file),
                "LOAD_RUN_ID": self.run_id,
                "LOAD_REPORT": str(self.report_file),
                **(env or {}),
            },
            start_new_session=True,  # its own process group: Started.stop ends it if this script fails midway
        )
        self.started.processes.append(("locust", process))
        return process

    def report(self) -> dict:
        """What the locustfile wrote when it quit (empty if it did not get that far)."""
        return json.loads(self.report_file.read_text()) if self.report_file.exists() else {}


def serve(options, started: Started, folder: Path, mode: str) -> Portal:
    """Prepare the load database, then start Redis, the Celery worker and gunicorn as docker-compose.yml does."""
    ensure_database(options.database_url, options.fresh)
    redis_port = free_port()
    redis_password = secrets.token_hex(16)
    redis_url = f"redis://:{redis_password}@127.0.0.1:{redis_port}/0"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "LOAD_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",  # production settings
            "DJANGO_ENV_FILE": "/dev/null",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE_COOKIES": "false",  # plain HTTP on loopback
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "DATABASE_URL": options.database_url,
            "REDIS_URL": redis_url,
        }
    )
    if mode != "report-burst":
        # Every simulated city-staff user signs in as the one demo account "city": its personal
        # hourly quota of report requests (K6) would refuse the load's share after 30. The
        # queue-wide cap stays as in production. The report burst keeps both quotas: its
        # requesters have accounts of their own.
        env["REPORT_REQUESTS_PER_USER_PER_HOUR"] = "100000"
    started_at = time.monotonic()
    manage("migrate", "--no-input", env=env)
    if not is_seeded(options.database_url):
        manage("load_reference_data", env=env)
        # Demo data is development-only: the demo app is installed by the development settings.
        manage("seed_demo", env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"})
    manage("collectstatic", "--no-input", env=env)
    tidy_leftover_reports(options.database_url)
    reporters = str(BURST_REPORTERS if mode == "report-burst" else 0)
    cast = subprocess.run(
        [sys.executable, "-c", CAST_SCRIPT],
        cwd=ROOT,
        env={**env, "LOAD_REPORTERS": reporters},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if cast.returncode:
        raise RuntimeError(cast.stderr[-3000:])
    (folder / "cast.json").write_text(cast.stdout)
    counts = json.loads(cast.stdout)
    print(
        f"prepared in {time.monotonic() - started_at:.0f} s: {len(counts['officers'])} officers, "
        f"{len(counts['partnerships'])} partnerships, {len(counts['commitments'])} commitments"
    )

    (folder / "redis").mkdir()
    started.start(
        "redis",
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(redis_port),
            "--dir",
            str(folder / "redis"),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--requirepass",
            redis_password,
        ],
        env,
    )
    if not options.no_worker:
        cap = started.cpu_cap("worker")
        started.start("worker", cap.wrap(production_command("worker", loglevel="WARNING")), env)
        print(f"report worker {cap.describe()}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = started.start("gunicorn", production_command("web", bind=f"127.0.0.1:{port}"), env)
    try:
        wait_until(lambda: answers(base + "/accounts/login/"), "gunicorn", 60)
    except RuntimeError:
        print(started.log("gunicorn"))
        raise
    answers(base + "/accounts/login/")  # a second worker warm
    return Portal(options, started, folder, env, base, gunicorn, counts)


def steady(portal: Portal) -> int:
    """K2 (and L7 with --kill-worker): the locustfile judges the run; its exit code is the verdict."""
    options = portal.options
    users, ramp = options.users, max(1, options.ramp)
    print(f"K2 steady load: {options.seconds} s measured once every user has signed in")
    locust_env = {"LOAD_TOLERATED_FAILURES": "1"} if options.kill_worker else {}  # a sync worker's one request
    total_seconds = ramp + SETTLE_SECONDS + options.seconds
    locust = portal.locust(users, ramp, total_seconds, locust_env)
    killed = None
    if options.kill_worker:
        time.sleep(ramp + SETTLE_SECONDS + 20)
        killed = kill_a_worker(portal.gunicorn)
    locust.wait(timeout=total_seconds + 120)
    if killed is not None and not writes_kept(options.database_url, portal.run_id, portal.report_file, killed):
        return 1
    worker_log = portal.started.log("gunicorn", 20000)
    if "Traceback" in worker_log or "[CRITICAL]" in worker_log:
        print("gunicorn logged errors:\n" + worker_log[-4000:])
        return locust.returncode or 1
    return locust.returncode


# --- K3 overload -----------------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to record, not to follow


class ProbeClient:
    """One signed-in person reading pages one after another (urllib, its own session cookie)."""

    def __init__(self, base: str, username: str, pages: list[str]):
        import http.cookiejar

        self.base, self.username, self.pages = base, username, pages
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def status(self, path: str, data: dict | None = None) -> tuple[int, str]:
        from urllib.parse import urlencode

        body = urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as answer:
            return answer.code, ""
        except (urllib.error.URLError, OSError):
            return 0, ""

    def sign_in(self) -> None:
        _status, page = self.status("/accounts/login/")
        token = CSRF_INPUT.search(page)
        password = os.environ.get("LOAD_PASSWORD", "demo-password-2025")
        status, _page = self.status(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token[1] if token else "", "username": self.username, "password": password},
        )
        if status != 302:
            raise RuntimeError(f"the probe could not sign in as {self.username} (answer {status})")

    def probe(self, since: float, until: float, samples: list) -> None:
        """Read a random page, pause 0.1 s, repeat until ``until`` (wall clock); record (start − since, ms),
        math.inf for anything but 200."""
        import math
        import random

        while (start := time.time()) < until:
            status, _page = self.status(random.choice(self.pages))
            elapsed = (time.time() - start) * 1000
            samples.append((start - since, elapsed if status == 200 else math.inf))
            time.sleep(0.1)


def probe_clients(portal: Portal) -> list[ProbeClient]:
    """Two leaders and one unit officer (no second step), signed in before the overload begins."""
    cast = portal.cast
    reading = ["/", "/partnerships/", "/commitments/", "/communes/", "/reports/"]
    reading += [f"/partnerships/{pk}/" for pk in cast["partnerships"][:5]]
    reading += [f"/communes/{code}/" for code in cast["communes"][:5]]
    reading += [f"/commitments/{pk}/" for pk in cast["commitments"][:5]]
    officer = cast["officers"][0]
    own = ["/my-unit/", "/partnerships/", "/communes/"] + [f"/commitments/{pk}/" for pk in officer["commitments"][:5]]
    clients = [
        ProbeClient(portal.base, "leader", reading),
        ProbeClient(portal.base, "leader", reading),
        ProbeClient(portal.base, officer["username"], own),
    ]
    for client in clients:
        client.sign_in()
    return clients


def audit_counts(database_url: str, run_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """This run's progress reports per tag (the narrative's unique part): rows, and pghistory events."""
    import psycopg

    tag = rf"kiểm thử tải {run_id}-([0-9a-f]{{8}})\)"
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT substring(narrative from %s), count(*) FROM commitments_progressupdate "
            "WHERE narrative LIKE %s GROUP BY 1",
            [tag, f"%(kiểm thử tải {run_id}-%"],
        ).fetchall()
        events = connection.execute(
            "SELECT substring(narrative from %s), count(*) FROM commitments_progressupdateevent "
            "WHERE narrative LIKE %s GROUP BY 1",
            [tag, f"%(kiểm thử tải {run_id}-%"],
        ).fetchall()
    return dict(rows), dict(events)


def overload(portal: Portal) -> int:
    """K3: 500 users without pauses; statuses, worker crashes, audited writes, recovery after."""
    import threading

    options = portal.options
    users, ramp = options.users, max(1, options.ramp)
    clients = probe_clients(portal)
    workers_before = set(portal.workers())
    log_offset = portal.gunicorn_log_size()
    print(f"K3 overload: no pause between tasks, {options.seconds} s once every user has signed in")
    locust = portal.locust(
        users,
        ramp,
        ramp + SETTLE_SECONDS + 240 + options.seconds,  # a bound: the locustfile ends the run itself
        {"LOAD_MODE": "overload", "LOAD_NO_WAIT": "1", "LOAD_MEASURE_SECONDS": str(options.seconds)},
    )
    locust.wait()
    report = portal.report()
    stopped_at = report.get("stopped_at", time.time())
    samples: list[tuple[float, float]] = []
    until = stopped_at + RECOVERY_SECONDS
    threads = [threading.Thread(target=c.probe, args=(stopped_at, until, samples)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    workers_after = set(portal.workers())
    events = criteria.worker_events(portal.gunicorn_log_since(log_offset))
    rows, audit_events = audit_counts(options.database_url, portal.run_id)
    results = [
        criteria.Criterion(
            "users signed in, then measured",
            f"{report.get('signed_in', 0)} of {users}; {options.seconds} s",
            f"{users}; {options.seconds} s",
            bool(report.get("measured")),
        ),
        criteria.overload_statuses(report.get("statuses", {})),
        criteria.worker_crashes(events, workers_before, workers_after),
        criteria.audited_writes(report.get("acknowledged_tags", []), rows, audit_events),
        criteria.recovery(samples, PAGE_P95_MS, RECOVERY_SECONDS, RECOVERY_WINDOW),
    ]
    print(criteria.summary_table(f"K3 overload: {users} users, no wait, {options.seconds} s", results))
    return 0 if criteria.all_passed(results) else 1


# --- K6 report burst -------------------------------------------------------------------------------


def burst_reports(connection, run_id: str, media: Path) -> list[dict]:
    """The burst's reports (their "next tasks" carry the run id), with their PDF checked on disk."""
    import hashlib

    rows = connection.execute(
        "SELECT r.id, r.status, u.username, extract(epoch FROM r.requested_at), extract(epoch FROM r.started_at), "
        "extract(epoch FROM r.finished_at), r.pdf, r.sha256 FROM reports_report r "
        "JOIN accounts_user u ON u.id = r.requested_by_id WHERE r.next_tasks LIKE %s ORDER BY r.id",
        [f"K6 {run_id} %"],
    ).fetchall()
    reports = []
    for pk, status, username, requested, began, finished, pdf, sha256 in rows:
        path = media / pdf if pdf else None
        exists = bool(path and path.is_file())
        reports.append(
            {
                "pk": pk,
                "status": status,
                "username": username,
                "requested_at": float(requested),
                "started_at": float(began) if began is not None else None,
                "finished_at": float(finished) if finished is not None else None,
                "pdf": pdf,
                "file_exists": exists,
                "checksum_matches": exists and hashlib.sha256(path.read_bytes()).hexdigest() == sha256,
            }
        )
    return reports


def report_burst(portal: Portal) -> int:
    """K6: 30 report requests by 10 people within a minute while others browse; wait for all to finish."""
    import psycopg

    options = portal.options
    browsing, ramp = options.users, max(1, options.ramp)
    expected = BURST_REPORTERS * BURST_REQUESTS_EACH
    concurrency = option(production_command("worker"), "--concurrency")
    print(
        f"K6 report burst: {BURST_REPORTERS} city staff ask for {BURST_REQUESTS_EACH} reports each within "
        f"{options.seconds} s while {browsing} users browse; Celery worker --concurrency {concurrency} "
        "(docker-compose.yml)"
    )
    users = browsing + BURST_REPORTERS
    locust = portal.locust(
        users,
        ramp,
        ramp + SETTLE_SECONDS + 120 + options.seconds + BURST_TIMEOUT,  # a bound: run.py stops it earlier
        {
            "LOAD_MODE": "report-burst",
            "LOAD_RECORD_GETS": "1",
            "LOAD_BURST_SECONDS": str(options.seconds),
            "LOAD_BURST_REQUESTS_EACH": str(BURST_REQUESTS_EACH),
        },
        ["--exclude-tags", "report-request"],  # the browsing city staff ask for no reports here
    )
    peak_unfinished, first_seen, deadline = 0, None, None
    with psycopg.connect(options.database_url, autocommit=True) as connection:
        while locust.poll() is None:
            time.sleep(2)
            statuses = dict(
                connection.execute(
                    "SELECT status, count(*) FROM reports_report WHERE next_tasks LIKE %s GROUP BY status",
                    [f"K6 {portal.run_id} %"],
                ).fetchall()
            )
            unfinished = connection.execute(
                "SELECT count(*) FROM reports_report WHERE status IN ('queued', 'running')"
            ).fetchone()[0]
            peak_unfinished = max(peak_unfinished, unfinished)
            if statuses and first_seen is None:
                first_seen = time.monotonic()
                deadline = first_seen + options.seconds + BURST_TIMEOUT
            if sum(statuses.values()) >= expected and not statuses.get("queued") and not statuses.get("running"):
                break
            if deadline is not None and time.monotonic() > deadline:
                print(f"K6: reports still unfinished {BURST_TIMEOUT} s after the burst: {statuses}")
                break
        if locust.poll() is None:
            locust.send_signal(signal.SIGTERM)  # the locustfile writes its report on the way out
        locust.wait(timeout=120)
        reports = burst_reports(connection, portal.run_id, portal.folder / "media")
        per_user = dict(
            connection.execute(
                "SELECT u.username, count(*) FROM reports_report r JOIN accounts_user u ON u.id = r.requested_by_id "
                "WHERE r.requested_at > now() - interval '1 hour' AND u.username LIKE 'load-reporter-%%' GROUP BY 1"
            ).fetchall()
        )
    report = portal.report()
    refused = sum(1 for request in report.get("report_requests", []) if request["status"] != 302)
    statuses: dict[str, int] = {}
    for row in reports:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    requested = [row["requested_at"] for row in reports]
    finished = [row["finished_at"] for row in reports if row["finished_at"] is not None]
    took = max(finished) - min(requested) if requested and finished else None
    window_end = max(finished) if len(finished) == len(reports) and finished else report.get("stopped_at", time.time())
    rendering = [row["finished_at"] - row["started_at"] for row in reports if row["finished_at"] and row["started_at"]]
    if requested and finished:
        print(
            f"K6: first request → last DONE {took:.0f} s; last request → last DONE "
            f"{max(finished) - max(requested):.0f} s; rendering per report {min(rendering):.1f}–{max(rendering):.1f} s"
        )
    quotas = portal.cast["quotas"]
    results = [
        criteria.reports_requested(expected, requested, options.seconds, refused),
        criteria.reports_done(expected, statuses, took, BURST_TIMEOUT),
        criteria.one_file_each(reports, len(list((portal.folder / "media").rglob("*.pdf")))),
        criteria.quotas_respected(per_user, quotas["per_user_per_hour"], peak_unfinished, quotas["queue"], refused),
        criteria.get_p95_while_rendering(
            [tuple(sample) for sample in report.get("get_samples", [])],
            min(requested, default=0.0),
            window_end,
            PAGE_P95_MS,
        ),
        criteria.server_errors(report.get("statuses", {})),
    ]
    print(
        criteria.summary_table(
            f"K6 report burst: {expected} reports from {BURST_REPORTERS} users within {options.seconds} s, "
            f"{browsing} browsing, worker concurrency {concurrency}",
            results,
        )
    )
    return 0 if criteria.all_passed(results) else 1


# --- K5 soak ---------------------------------------------------------------------------------------


def failed_reports(connection, since: float) -> dict[str, int]:
    """Reports that ended failed since ``since`` (wall clock), counted by error message."""
    rows = connection.execute(
        "SELECT left(error_message, 200), count(*) FROM reports_report WHERE status = 'failed' "
        "AND finished_at >= to_timestamp(%s) GROUP BY 1 ORDER BY 2 DESC",
        [since],
    ).fetchall()
    return dict(rows)


def soak(portal: Portal) -> int:
    """K5: the K2 mix at 50 users for 30 minutes, sampling worker memory, connections and the queue."""
    import psycopg

    options = portal.options
    users, ramp = options.users, max(1, options.ramp)
    web, worker = production_command("web"), production_command("worker")
    web_workers, concurrency = int(option(web, "--workers")), int(option(worker, "--concurrency"))
    connection_limit = web_workers + 2 * concurrency
    limit_how = (
        f"{web_workers} gunicorn workers × 1 + {concurrency} Celery children × 2 (a report's task and its "
        "heartbeat thread); persistent connections (CONN_MAX_AGE), no pooler, no beat here"
    )
    print(f"K5 soak: {users} users for {options.seconds} s measured, sampled every {SOAK_SAMPLE_SECONDS} s")
    log_offset = portal.gunicorn_log_size()
    began, began_at = time.monotonic(), time.time()
    locust = portal.locust(users, ramp, ramp + SETTLE_SECONDS + options.seconds, {"LOAD_MODE": "soak"})
    warm_at = began + ramp + SETTLE_SECONDS + SOAK_WARM_UP * options.seconds
    baseline: dict[int, int] = {}
    last_seen: dict[int, int] = {}
    connections: list[int] = []
    queued: list[int] = []
    with psycopg.connect(options.database_url, autocommit=True) as connection:
        while locust.poll() is None:
            sizes = portal.workers()
            connections.append(
                connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ).fetchone()[0]
            )
            if time.monotonic() >= warm_at:
                if not baseline:
                    baseline = dict(sizes)
                    print(f"K5: warm-up over; worker RSS baseline {sum(sizes.values()) / 2**20:.1f} MiB")
                last_seen.update(sizes)
                queued.append(
                    connection.execute("SELECT count(*) FROM reports_report WHERE status = 'queued'").fetchone()[0]
                )
            time.sleep(SOAK_SAMPLE_SECONDS)
        locust.wait()
        failed = failed_reports(connection, began_at)
    events = criteria.worker_events(portal.gunicorn_log_since(log_offset))
    report = portal.report()
    recycled = len(set(events.recycled) & set(baseline))
    if failed:  # not a K5 criterion, but a soak is where it shows
        print(f"K5 (not judged): {sum(failed.values())} reports failed while the soak ran:")
        for message, count in failed.items():
            print(f"  {count} × {message}")
        print("  the worker's log ends with:\n" + portal.started.log("worker", 3000))
    results = [
        criteria.server_errors(report.get("statuses", {})),
        criteria.rss_growth(baseline, last_seen, SOAK_RSS_GROWTH),
        criteria.database_connections(connections, connection_limit, limit_how),
        criteria.queue_does_not_grow(queued),
    ]
    if recycled:
        print(f"K5: {recycled} of the baseline workers were recycled (--max-requests); their last sample counts")
    print(criteria.summary_table(f"K5 soak: {users} users, {options.seconds} s", results))
    return 0 if criteria.all_passed(results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--overload", action="store_const", dest="mode", const="overload", help="RELIABILITY K3")
    modes.add_argument("--report-burst", action="store_const", dest="mode", const="report-burst", help="K6")
    modes.add_argument("--soak", action="store_const", dest="mode", const="soak", help="K5")
    parser.add_argument(
        "--users", type=int, help="K2: LOAD_USERS or K2_USERS (70; 200 as written); K3 500; K6 50 browsing; K5 50"
    )
    parser.add_argument("--seconds", type=int, help="measured: LOAD_SECONDS or 60; K3 30; K6 burst 60; K5 1800")
    parser.add_argument("--ramp", type=int, help="seconds to spawn: LOAD_RAMP or 20; K3 20; K6 10; K5 10")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the load database")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker: report requests stay queued")
    parser.add_argument(
        "--kill-worker",
        action="store_true",
        help="RELIABILITY L7: SIGKILL one gunicorn worker 20 s into the measured load, then check the respawn",
    )
    options = parser.parse_args()
    mode = options.mode or "steady"
    if options.kill_worker and mode != "steady":
        parser.error("--kill-worker goes with the steady load (K2) only")
    if options.no_worker and mode == "report-burst":
        parser.error("the report burst needs the Celery worker")
    users, seconds, ramp = MODES[mode]
    if mode == "steady":  # the environment variables the Makefile documents for `make load`
        users = int(os.environ.get("LOAD_USERS", users))
        seconds = int(os.environ.get("LOAD_SECONDS", seconds))
        ramp = int(os.environ.get("LOAD_RAMP", ramp))
    options.users = options.users or users
    options.seconds = options.seconds or seconds
    options.ramp = options.ramp or ramp
    print(f"mode {mode}; load average before the run: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")

    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="ketnghia-load-"))
    started = Started(folder)
    try:
        portal = serve(options, started, folder, mode)
        run = {"steady": steady, "overload": overload, "report-burst": report_burst, "soak": soak}[mode]
        return run(portal)
    finally:
        started.stop()
        shutil.rmtree(folder, ignore_errors=True)
        print(f"{mode}: {time.monotonic() - began:.0f} s in all, every process started here stopped")


if __name__ == "__main__":
    sys.exit(main())
