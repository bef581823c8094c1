"""P4 and K4: gunicorn (2 sync workers) and wrk, against the "hello" view of the same server.

P4: the dashboard. Every request carries a signed-in session cookie, picked at random among 40
sessions (so 20 connections do not all rewrite one session row: SESSION_SAVE_EVERY_REQUEST is on);
both URLs go through the same middleware, so the ratio isolates the page's own cost.

K4 (RELIABILITY): raw throughput of ``/healthz`` and the login page, asked without a cookie as a
probe and a visitor would, with ``wrk -t2 -c64``. The reference is the hello view, public and asked
without a cookie too (``/bench/hello/public/``), in the same server with the same wrk settings: none
of the three reads the database or a session, so a busy PostgreSQL (shared with other work) moves
them alike, and each figure's ratio to it is what the committed baseline (``bench/k4-baseline.json``)
compares across machines. The URLs take turns in rounds (``K4_ROUNDS`` × ``seconds / K4_ROUNDS``, 30 s
a URL in all by default), so that the machine's drift hits all three alike.
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
K4_CONNECTIONS = 64
K4_SECONDS = 30  # per URL, as RELIABILITY K4's wrk -d30s
K4_ROUNDS = 10
K4_REFERENCE = "/bench/hello/public/"
K4_PATHS = {"healthz": "/healthz", "login": "/accounts/login/"}  # like the reference, asked without a cookie


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
        # "Socket errors: connect 0, read 3, write 0, timeout 1" -> 4 (wrk leaves the line out when all are 0)
        "socket_error_count": sum(
            int(n) for n in re.findall(r"\d+", output.split("Socket errors:", 1)[1].splitlines()[0])
        )
        if "Socket errors:" in output
        else 0,
    }


def wrk(url: str, script: Path | None, seconds: int, *, connections: int = WRK_CONNECTIONS) -> dict:
    """wrk on ``url``; with ``script`` (cookies.lua) every request carries a signed-in session cookie."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    shown = command + (["-s", "<cookies.lua>"] if script else []) + [url]
    command += (["-s", str(script)] if script else []) + [url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return {"command": " ".join(shown), **parse_wrk(done.stdout)}


def wait_until_up(url: str, cookie: str | None, deadline: float) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
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


def check_answers_200(url: str, cookie: str | None) -> None:
    """One warm-up request; the cookie must reach the page itself, not the login redirect (which would
    flatter the figure). Sequential, so a slow page leaves no queue behind to slow the measured run.
    Without a cookie: the page must answer 200 itself too (wrk counts only 4xx and 5xx as non-2xx)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})

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
                    check_answers_200(base + path, cookie)
                results[name] = wrk(base + path, script, seconds)
        except Exception as error:
            results["error"] = f"{type(error).__name__}: {error}; gunicorn: {log.read_text()[-1500:]}"
    return results


def combine_rounds(rounds: list[dict]) -> dict:
    """One URL's wrk rounds (of equal length) as one figure: requests/s is their mean, errors their sum."""
    measured = [r for r in rounds if r.get("requests_per_second") is not None]
    return {
        "command": rounds[0]["command"] if rounds else "",
        "requests_per_second": round(sum(r["requests_per_second"] for r in measured) / len(measured), 1)
        if measured
        else None,
        "rounds_requests_per_second": [r.get("requests_per_second") for r in rounds],
        "requests": sum(r["requests"] for r in rounds),
        "p50_ms": sorted(r["p50_ms"] for r in measured if r["p50_ms"] is not None)[len(measured) // 2]
        if measured and all(r["p50_ms"] is not None for r in measured)
        else None,
        "p99_ms": max((r["p99_ms"] for r in measured if r["p99_ms"] is not None), default=None),
        "non_2xx": sum(r["non_2xx"] for r in rounds),
        "socket_errors": sum(r["socket_error_count"] for r in rounds),
    }


def measure_raw_throughput(*, seconds: int = K4_SECONDS, rounds: int = K4_ROUNDS) -> dict:
    """K4: /healthz, the login page and the public hello view without a cookie, wrk -t2 -c64, in
    ``rounds`` turns of ``seconds / rounds`` each; requests/s and the ratio of each to hello."""
    if not shutil.which("wrk"):
        return {"error": "wrk is not installed (apt-get install wrk)"}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    paths = {"hello": K4_REFERENCE, **K4_PATHS}
    turn = max(1, round(seconds / rounds))
    results: dict = {"server": "gunicorn, 2 sync workers", "connections": K4_CONNECTIONS, "seconds": turn * rounds}
    results["rounds"] = rounds
    measured: dict[str, list[dict]] = {name: [] for name in paths}
    with tempfile.TemporaryDirectory(prefix="ketnghia-wrk-") as folder, gunicorn(env, folder) as (base, log):
        try:
            wait_until_up(base + paths["hello"], None, time.monotonic() + 60)
            for path in paths.values():
                for _ in range(WARMUP_REQUESTS):
                    check_answers_200(base + path, None)  # 200 itself, not a redirect
            names = list(paths)
            for index in range(rounds):
                for name in names[index % len(names) :] + names[: index % len(names)]:
                    measured[name].append(wrk(base + paths[name], None, turn, connections=K4_CONNECTIONS))
        except Exception as error:
            results["error"] = f"{type(error).__name__}: {error}; gunicorn: {log.read_text()[-1500:]}"
            return results
    for name in paths:
        results[name] = {"path": paths[name], **combine_rounds(measured[name])}
    hello = results["hello"]["requests_per_second"]
    results["ratios"] = {
        name: round(results[name]["requests_per_second"] / hello, 4) if hello else None for name in K4_PATHS
    }
    return results
