"""L6 (RELIABILITY.md): PostgreSQL stopped for 10 s under load, then started again.

The test runs its own PostgreSQL cluster (initdb into a temporary folder, its own loopback port, run as
the unprivileged ``postgres`` system user as PostgreSQL requires), migrates it, serves it with gunicorn
(2 workers) and drives it from threads: city staff log activities (POST) and read pages. Then
``pg_ctl stop -m fast``, 10 s, ``pg_ctl start``. Pass: during the outage only the branded 503 (never a
500 or a traceback) within 5 s; after the restart ≥ 99 % success within 10 s and 100 % after that,
with the same gunicorn; every POST that was acknowledged (302) is in the database.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from binascii import unhexlify
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from tests.chaos.procs import ROOT, environment, free_port, tail

pytestmark = pytest.mark.chaos

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OUTAGE_SECONDS = 10
WRITERS, READERS = 5, 10  # 15 threads: what two shared cores sustain next to the server
SETUP_SCRIPT = """
import json
import django
django.setup()
from tests import factories
from django_otp.plugins.otp_totp.models import TOTPDevice
world = factories.World.build()
device = TOTPDevice.objects.get(user=world.city)
print(json.dumps({"partnership": world.partnership.pk, "key": device.key, "password": factories.PASSWORD}))
"""


def as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, text=True, **kwargs
    )


class Cluster:
    """A throw-away PostgreSQL 15 cluster; ``stop``/``start`` are the fault, ``destroy`` the clean-up."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="ketnghia-l6-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        self.folder.chmod(0o755)
        as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/ketnghia"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=on"
        as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "pg.log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        )

    def stop(self) -> None:
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        return None

    def destroy(self) -> None:
        # Only this cluster: pg_ctl on its own data folder, then its recorded postmaster if still there.
        with contextlib.suppress(subprocess.CalledProcessError):
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"], timeout=30)
        pid = self.postmaster_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster():
    created = Cluster()
    try:
        created.start()
        with psycopg.connect(created.url.replace("/ketnghia", "/postgres"), autocommit=True) as connection:
            connection.execute("CREATE DATABASE ketnghia")
        yield created
    finally:
        created.destroy()


@dataclass
class Outcome:
    started: float
    seconds: float
    kind: str  # "read" or "write"
    status: int  # 0: no HTTP answer (connection refused, timeout)
    branded_503: bool = False
    leaked: bool = False
    title: str = ""


LEAKS = ("Traceback", 'File "/', "psycopg", "SECRET", "OperationalError")


def signed_in_session(base: str, password: str, key: str) -> requests.Session:
    from django_otp.oath import TOTP

    session = requests.Session()
    page = session.get(base + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        base + "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": "city", "password": password},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    page = session.get(base + "/accounts/two-step/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    code = f"{TOTP(unhexlify(key)).token():06d}"
    answer = session.post(
        base + "/accounts/two-step/", {"csrfmiddlewaretoken": token, "code": code}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, answer.text[:500]
    return session


def drive(base: str, cookies, csrf: str, partnership: int, kind: str, number: int, stop: threading.Event, out: list):
    session = requests.Session()
    session.cookies.update(cookies)
    sequence = 0
    while not stop.is_set():
        sequence += 1
        started = time.monotonic()
        title = ""
        try:
            if kind == "write":
                title = f"L6 {number}-{sequence}"
                response = session.post(
                    f"{base}/partnerships/{partnership}/activities/new/",
                    {
                        "csrfmiddlewaretoken": csrf,
                        "kind": "handover",
                        "occurred_on": "2025-10-01",
                        "title": title,
                        "participant_count": "",
                        "value_vnd": "",
                    },
                    allow_redirects=False,
                    timeout=10,
                )
            else:
                path = ("/partnerships/", f"/partnerships/{partnership}/", "/communes/", "/")[sequence % 4]
                response = session.get(base + path, allow_redirects=False, timeout=10)
            body = response.text
            out.append(
                Outcome(
                    started,
                    time.monotonic() - started,
                    kind,
                    response.status_code,
                    branded_503=response.status_code == 503 and "Hệ thống tạm thời gián đoạn" in body,
                    leaked=any(marker in body for marker in LEAKS),
                    title=title,
                )
            )
        except requests.RequestException:
            out.append(Outcome(started, time.monotonic() - started, kind, 0, title=title))
        time.sleep(0.2)


def success(outcome: Outcome) -> bool:
    return outcome.status in ((302,) if outcome.kind == "write" else (200, 302))


def test_postgresql_stopped_for_ten_seconds_under_load(cluster, processes, measured):
    signal.alarm(420)  # initdb + migrate + the load take longer than the suite's usual 240 s limit
    env = environment("", DATABASE_URL=cluster.url, DJANGO_LOG_LEVEL="ERROR")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    setup = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    cast = json.loads(setup.stdout.strip().splitlines()[-1])
    measured("own cluster created and migrated", time.monotonic() - started)

    port = free_port()
    web = processes.add(
        "web",
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["--timeout", "30"],
        processes.directory / "web.log",
        env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/accounts/login/", timeout=5).status_code == 200:
                break
        assert time.monotonic() < deadline and web.alive(), tail(web.log)
        time.sleep(0.2)
    session = signed_in_session(base, cast["password"], cast["key"])
    csrf = session.cookies["csrftoken"]

    outcomes: list[Outcome] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=drive, args=(base, session.cookies, csrf, cast["partnership"], kind, n, stop, outcomes))
        for kind, count in (("write", WRITERS), ("read", READERS))
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(5)
        stopping_at = time.monotonic()
        cluster.stop()  # returns once the server is down (-w)
        down_at = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        restart_at = time.monotonic()
        cluster.start()  # returns once it accepts connections (-w)
        up_at = time.monotonic()
        time.sleep(30)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)

    gunicorn_pid = web.pid
    assert web.alive() and web.pid == gunicorn_pid, "gunicorn had to be restarted"
    before = [o for o in outcomes if o.started + o.seconds < stopping_at]
    outage = [o for o in outcomes if down_at <= o.started and o.started + o.seconds <= restart_at]
    first_ten = [o for o in outcomes if up_at <= o.started < up_at + 10]
    after = [o for o in outcomes if o.started >= up_at + 10]
    assert before and all(success(o) for o in before), [o for o in before if not success(o)][:5]
    assert outage, "no request fell inside the outage"
    assert all(o.status == 503 and o.branded_503 for o in outage), {(o.status, o.branded_503) for o in outage}
    assert not any(o.leaked for o in outcomes), "a response showed a traceback or driver details"
    assert max(o.seconds for o in outage) <= 5
    recovered = sum(success(o) for o in first_ten) / len(first_ten)
    assert recovered >= 0.99, f"{recovered:.1%} success in the first 10 s after the restart"
    assert after and all(success(o) for o in after), [(o.kind, o.status) for o in after if not success(o)][:5]

    acknowledged = {o.title for o in outcomes if o.kind == "write" and o.status == 302}
    with psycopg.connect(cluster.url) as connection:
        stored = {
            row[0] for row in connection.execute("SELECT title FROM partnerships_activity WHERE title LIKE 'L6 %%'")
        }
    assert acknowledged, "no write was acknowledged"
    assert acknowledged <= stored, f"lost acknowledged writes: {sorted(acknowledged - stored)[:10]}"

    first = min(o.started + o.seconds for o in outcomes if o.started >= up_at and success(o)) - up_at
    measured(
        f"{len(outcomes)} requests, {len(outage)} inside the outage (all branded 503); slowest of those",
        max(o.seconds for o in outage),
    )
    measured(f"{100 * recovered:.0f} % success in the first 10 s after the restart; first success after", first)
    measured(f"{len(acknowledged)} acknowledged writes, all in the database; whole test", time.monotonic() - started)
