"""P4: the dashboard under gunicorn (2 sync workers) and wrk, against the "hello" view of the same server.

Every request carries a signed-in session cookie, picked at random among 40 sessions (so 20
connections do not all rewrite one session row: SESSION_SAVE_EVERY_REQUEST is on); both URLs go
through the same middleware, so the ratio isolates the page's own cost.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from .measure import signed_in_client

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 40
WRK_THREADS = 2
WRK_CONNECTIONS = 20
WRK_SECONDS = 10
WARMUP_REQUESTS = 6  # sequential: both workers load their code and caches, and no backlog is left behind


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_cookies(user, count: int = SESSIONS) -> list[str]:
    cookies = []
    for _ in range(count):
        client = signed_in_client(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return cookies


def lua_script(cookies: list[str]) -> str:
    listed = ",\n".join(f'  "{cookie}"' for cookie in cookies)
    return (
        f"local cookies = {{\n{listed}\n}}\n"
        "math.randomseed(os.time())\n"
        "request = function()\n"
        '  return wrk.format("GET", nil, {["Cookie"] = cookies[math.random(#cookies)]})\n'
        "end\n"
    )


def parse_wrk(output: str) -> dict:
    def number(pattern: str) -> float | None:
        found = re.search(pattern, output)
        return float(found.group(1)) if found else None

    def latency(label: str) -> float | None:
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not found:
            return None
        return round(float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)], 2)

    return {
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in") or 0),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "non_2xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)") or 0),
        "socket_errors": output.split("Socket errors:", 1)[1].splitlines()[0].strip()
        if "Socket errors:" in output
        else "",
    }


def wrk(url: str, script: Path, seconds: int) -> dict:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return {"command": " ".join(command[:-3] + ["<cookies.lua>", url]), **parse_wrk(done.stdout)}


def wait_until_up(url: str, cookie: str, deadline: float) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 # nosec B310 # a URL this module builds for its own loopback gunicorn
                if response.status == 200:
                    return
        except OSError:  # URLError, refused, reset, timed out: not up yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer {url} in time")
        time.sleep(0.3)


def check_signed_in(url: str, cookie: str) -> None:
    """One warm-up request; the cookie must reach the page itself, not the login redirect (which would
    flatter the figure). Sequential, so a slow page leaves no queue behind to slow the measured run."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise RuntimeError(f"{url} answered {status} to a signed-in request")


@contextmanager
def gunicorn(env: dict, folder: Path):
    """gunicorn with 2 sync workers on a free loopback port: yields its base URL and its log file."""
    port = free_port()
    log_path = Path(folder) / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application", "--workers", "2"]
            + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", log_path
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def measure_throughput(user, *, paths: dict[str, str], seconds: int = WRK_SECONDS) -> dict:
    """Start gunicorn on a free loopback port, run wrk on each path (after a warm-up), stop it."""
    if not shutil.which("wrk"):
        return {"error": "wrk is not installed (apt-get install wrk)"}
    cookies = session_cookies(user)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    results = {"server": "gunicorn, 2 sync workers", "seconds": seconds}
    with tempfile.TemporaryDirectory(prefix="ketnghia-wrk-") as folder, gunicorn(env, folder) as (base, log):
        try:
            script = Path(folder) / "cookies.lua"
            script.write_text(lua_script(cookies))
            wait_until_up(base + paths["hello"], cookies[0], time.monotonic() + 60)
            for name, path in paths.items():
                for cookie in cookies[:WARMUP_REQUESTS]:
                    check_signed_in(base + path, cookie)
                results[name] = wrk(base + path, script, seconds)
        except Exception as error:
            results["error"] = f"{type(error).__name__}: {error}; gunicorn: {log.read_text()[-1500:]}"
    return results
