"""``make load``: serve the portal with demo data on loopback, as docker-compose.yml runs it, and run locust.

    python tests/load/run.py [--users 200] [--seconds 60] [--ramp 20] [--fresh] [--no-worker] [--kill-worker]

Gunicorn and the Celery worker run with docker-compose.yml's commands (workers, timeouts, concurrency),
only bound to loopback. Uses the database ``ketnghia_load`` on LOAD_DATABASE_URL's server (created, migrated and seeded with
load_reference_data + seed_demo if needed; ``--fresh`` drops it first). Starts its own Redis (temp
folder) and one Celery worker so report requests render in the background as in production, then
gunicorn and locust (headless; statistics restart once every user has signed in). Every process it started is
killed at the end and the temp folder removed. The exit code is locust's: 0 only if K2 passed.
"""

from __future__ import annotations

import argparse
import json
import os
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
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/ketnghia_load"
SETTLE_SECONDS = 15  # the last logins finish after the spawn; statistics restart once all are in

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
print(json.dumps({
    "totp_keys": totp_keys,
    "officers": officers,
    "commitments": list(Commitment.objects.order_by("pk").values_list("pk", flat=True)[:500]),
    "partnerships": list(Partnership.objects.order_by("pk").values_list("pk", flat=True)),
    "communes": list(Commune.objects.filter(memberships__isnull=False).distinct().values_list("code", flat=True)),
    "period_code": last_finished_quarter(period_choices()),
}))
"""


def production_command(service: str, **options: str) -> list[str]:
    """The command docker-compose.yml runs for ``service``, with some ``--option value`` pairs replaced
    (``bind``, ``loglevel``…), so the load measures the web and worker processes as production runs them."""
    import shlex

    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    words = shlex.split(compose["services"][service]["command"])
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
        self.folder, self.processes = folder, []

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "200")))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", "60")), help="steady state")
    parser.add_argument("--ramp", type=int, default=int(os.environ.get("LOAD_RAMP", "20")), help="seconds to spawn")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the load database")
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker: report requests stay queued")
    parser.add_argument(
        "--kill-worker",
        action="store_true",
        help="RELIABILITY L7: SIGKILL one gunicorn worker 20 s into the measured load, then check the respawn",
    )
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ketnghia-load-"))
    started = Started(folder)
    try:
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
                # Every simulated city-staff user signs in as the one demo account "city": its personal
                # hourly quota of report requests (K6) would refuse the load's share after 30. The
                # queue-wide cap stays as in production.
                "REPORT_REQUESTS_PER_USER_PER_HOUR": "100000",
            }
        )
        started_at = time.monotonic()
        manage("migrate", "--no-input", env=env)
        if not is_seeded(options.database_url):
            manage("load_reference_data", env=env)
            manage("seed_demo", env=env)
        manage("collectstatic", "--no-input", env=env)
        cast = subprocess.run(
            [sys.executable, "-c", CAST_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        if cast.returncode:
            raise RuntimeError(cast.stderr[-3000:])
        cast_file = folder / "cast.json"
        cast_file.write_text(cast.stdout)
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
            started.start(
                "worker",
                production_command("worker", loglevel="WARNING"),
                env,
            )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = started.start(
            "gunicorn",
            production_command("web", bind=f"127.0.0.1:{port}"),
            env,
        )
        try:
            wait_until(lambda: answers(base + "/accounts/login/"), "gunicorn", 60)
        except RuntimeError:
            print(started.log("gunicorn"))
            raise
        answers(base + "/accounts/login/")  # a second worker warm

        users, ramp = options.users, max(1, options.ramp)
        print(f"locust: {users} users, spawned over {ramp} s, then {options.seconds} s measured, against {base}")
        run_id = secrets.token_hex(4)
        report_file = folder / "locust-report.json"
        locust_env = {**env, "LOAD_CAST": str(cast_file), "LOAD_RUN_ID": run_id, "LOAD_REPORT": str(report_file)}
        if options.kill_worker:
            locust_env["LOAD_TOLERATED_FAILURES"] = "1"  # a sync worker has one request in flight
        total_seconds = ramp + SETTLE_SECONDS + options.seconds
        locust = subprocess.Popen(
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
                f"{total_seconds}s",
                "--host",
                base,
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=locust_env,
        )
        killed = None
        if options.kill_worker:
            time.sleep(ramp + SETTLE_SECONDS + 20)
            killed = kill_a_worker(gunicorn)
        locust.wait(timeout=total_seconds + 120)
        if killed is not None and not writes_kept(options.database_url, run_id, report_file, killed):
            return 1
        worker_log = started.log("gunicorn", 20000)
        if "Traceback" in worker_log or "[CRITICAL]" in worker_log:
            print("gunicorn logged errors:\n" + worker_log[-4000:])
            return locust.returncode or 1
        return locust.returncode
    finally:
        started.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
