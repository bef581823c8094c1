"""K2 steady load (RELIABILITY.md): city staff, leadership and unit officers sign in and use the portal.

Run through ``tests/load/run.py`` (``make load``), which serves the portal with demo data and passes
the cast in ``LOAD_CAST`` (a JSON file: officers and the commitments their unit owns, partnerships,
communes). Mix, as K2 asks: ~60 % dashboard and lists, ~25 % details, ~10 % progress updates (the
officer's own unit, with the form's one-time token and hidden fields), ~5 % report requests.
Pass criteria are checked on quitting and set the process exit code: 0 server errors, no failures,
p95 < LOAD_P95_PAGE_MS (300) for pages and < LOAD_P95_POST_MS (800) for posts.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from html.parser import HTMLParser

from locust import FastHttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-password-2025")
P95_PAGE_MS = float(os.environ.get("LOAD_P95_PAGE_MS", "300"))
P95_POST_MS = float(os.environ.get("LOAD_P95_POST_MS", "800"))
P99_MS = float(os.environ.get("LOAD_P99_MS", "1500"))
# RELIABILITY L7 (run.py --kill-worker): the requests a SIGKILLed sync worker had in flight, at most one.
TOLERATED_FAILURES = int(os.environ.get("LOAD_TOLERATED_FAILURES", "0"))
RUN_ID = os.environ.get("LOAD_RUN_ID", "")  # tags this run's progress reports, counted afterwards by run.py
WRITES = {"attempted": 0, "acknowledged": 0}  # progress reports sent, and those answered 302 (saved)
POST_NAMES = {"POST progress", "POST report request"}
# Signing in hashes with Argon2 on purpose and happens once per user, during the ramp: reported, not budgeted.
UNBUDGETED = {"GET login", "POST login", "GET two-step", "POST two-step"}


def load_cast() -> dict:
    with open(os.environ["LOAD_CAST"]) as handle:
        return json.load(handle)


CAST = load_cast() if os.environ.get("LOAD_CAST") else {}


class HiddenInputs(HTMLParser):
    """The hidden inputs (CSRF, one-time token, version, next) of the form posting to ``action``."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values = action, False, {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = (attributes.get("action") or "").endswith(self.action)
        elif tag == "input" and self.inside and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def hidden_inputs(html: str, action: str) -> dict:
    parser = HiddenInputs(action)
    parser.feed(html)
    return parser.values


SIGNED_IN = {"count": 0, "measuring": False}
CPU_USED: dict[str, float] = {}  # CPU seconds per kind of process while measuring
# (what the command line contains, the kind reported); the report renderers are the worker's children.
PROCESS_GROUPS = (
    ("gunicorn", "gunicorn"),
    ("celery", "celery"),
    ("serve_parts", "report renderers"),
    ("locust", "locust"),
    ("postgres", "postgres"),
    ("redis", "redis"),
)


def cpu_seconds_by_process() -> dict:
    """CPU seconds used so far by every process on the machine, keyed by (pid, kind)."""
    import psutil

    seconds = {}
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            command = " ".join(process.info["cmdline"] or [process.info["name"] or ""])
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        kind = next((kind for marker, kind in PROCESS_GROUPS if marker in command), "other")
        seconds[(process.info["pid"], kind)] = times.user + times.system
    return seconds


def account_cpu() -> None:
    """Add up, once a second, the CPU each kind of process used. Sampling (rather than one reading at
    each end) keeps the time of processes that end meanwhile: gunicorn recycles workers (--max-requests)."""
    import gevent

    previous = cpu_seconds_by_process()
    while True:
        gevent.sleep(1)
        current = cpu_seconds_by_process()
        for key, seconds in current.items():
            CPU_USED[key[1]] = CPU_USED.get(key[1], 0.0) + seconds - previous.get(key, 0.0)
        previous = current


def cpu_report(elapsed: float) -> str:
    """Where the machine's CPU went while measuring: cores used by each kind of process."""
    import psutil

    cores = ", ".join(
        f"{kind} {seconds / elapsed:.2f}" for kind, seconds in sorted(CPU_USED.items(), key=lambda i: -i[1])
    )
    return f"CPU while measuring ({psutil.cpu_count()} cores), in cores: {cores}"


def signed_in(environment) -> None:
    """Measure the steady state only: reset the statistics once every user has signed in (Argon2 logins
    hold a sync worker each and would otherwise stretch the tail of every page during the ramp).
    Server errors are counted separately and never reset."""
    SIGNED_IN["count"] += 1
    target = getattr(environment.parsed_options, "num_users", None) if environment.parsed_options else None
    if not SIGNED_IN["measuring"] and target and SIGNED_IN["count"] >= target:
        SIGNED_IN["measuring"] = True
        environment.stats.reset_all()
        import gevent

        SIGNED_IN["since"] = time.monotonic()
        gevent.spawn(account_cpu)
        print(f"all {target} users signed in: measuring from now on")


class PortalUser(FastHttpUser):  # gevent's HTTP client: the load generator takes less of the 2 cores
    abstract = True
    wait_time = between(1, 3)
    username = ""
    dashboard_status = 200  # officers are redirected to "my unit" (302)

    def on_start(self):
        with self.client.get("/accounts/login/", name="GET login", catch_response=True) as page:
            form = hidden_inputs(page.text, "/accounts/login/")
            if "csrfmiddlewaretoken" not in form:
                page.failure("no CSRF token on the login page")
                return
        data = {**form, "username": self.username, "password": PASSWORD}
        with self.client.post(
            "/accounts/login/", data=data, name="POST login", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.username} answered {response.status_code}")
        self.second_step()
        signed_in(self.environment)

    def second_step(self):
        """Nothing by default: leadership and officers have not enrolled an authenticator app."""

    def page(self, path: str, name: str, expected: int = 200) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != expected:
                response.failure(f"{path} answered {response.status_code}")

    # Shared browsing: dashboard, lists, details.
    @task(12)
    def dashboard(self):
        self.page("/", "GET dashboard", expected=self.dashboard_status)

    @task(6)
    def partnership_list(self):
        self.page("/partnerships/", "GET partnership list")

    @task(6)
    def commitment_list(self):
        self.page("/commitments/", "GET commitment list")

    @task(4)
    def commune_list(self):
        self.page("/communes/", "GET commune list")

    @task(6)
    def partnership_detail(self):
        self.page(f"/partnerships/{random.choice(CAST['partnerships'])}/", "GET partnership detail")

    @task(3)
    def commune_detail(self):
        self.page(f"/communes/{random.choice(CAST['communes'])}/", "GET commune detail")


TOTP_KEYS_TAKEN = {"count": 0}


class CityStaff(PortalUser):
    weight = 2
    username = "city"

    def second_step(self):
        """City staff must enter a TOTP code; each simulated user has its own device (tests/load/run.py)."""
        from binascii import unhexlify

        from django_otp.oath import TOTP

        key = CAST["totp_keys"][TOTP_KEYS_TAKEN["count"] % len(CAST["totp_keys"])]
        TOTP_KEYS_TAKEN["count"] += 1
        with self.client.get("/accounts/two-step/", name="GET two-step", catch_response=True) as page:
            form = hidden_inputs(page.text, "/accounts/two-step/")
        data = {**form, "code": f"{TOTP(unhexlify(key)).token():06d}"}
        with self.client.post(
            "/accounts/two-step/", data=data, name="POST two-step", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"two-step code of {self.username} answered {response.status_code}")

    @task(4)
    def report_list(self):
        self.page("/reports/", "GET report list")

    @task(4)
    def commitment_detail(self):
        self.page(f"/commitments/{random.choice(CAST['commitments'])}/", "GET commitment detail")

    @task(4)
    def request_report(self):
        with self.client.get("/reports/", name="GET report list", catch_response=True) as page:
            form = hidden_inputs(page.text, "/reports/")
        data = {
            **form,
            "period_code": CAST["period_code"],
            "kind": "partnership",
            "partnership": random.choice(CAST["partnerships"]),
            "next_tasks": "",
            "signer_title": "PHÓ BÍ THƯ THƯỜNG TRỰC",
            "signer_name": "",
        }
        with self.client.post(
            "/reports/", data=data, name="POST report request", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"report request answered {response.status_code}")


class Leader(PortalUser):
    weight = 1
    username = "leader"

    @task(4)
    def report_list(self):
        self.page("/reports/", "GET report list")

    @task(4)
    def commitment_detail(self):
        self.page(f"/commitments/{random.choice(CAST['commitments'])}/", "GET commitment detail")


class Officer(PortalUser):
    weight = 4
    dashboard_status = 302

    def on_start(self):
        officer = random.choice(CAST["officers"])
        self.username, self.own = officer["username"], officer["commitments"]
        super().on_start()

    @task(6)
    def my_unit(self):
        self.page("/my-unit/", "GET my unit")

    @task(4)
    def commitment_detail(self):
        self.page(f"/commitments/{random.choice(self.own)}/", "GET commitment detail")

    @task(6)
    def progress_update(self):
        commitment = random.choice(self.own)
        action = f"/commitments/{commitment}/progress/new/"
        with self.client.get(action, name="GET progress form", catch_response=True) as page:
            form = hidden_inputs(page.text, action)
            if "client_token" not in form:
                page.failure("no one-time token in the progress form")
                return
        data = {
            **form,
            "achieved_quantity": "1",
            "achieved_value_vnd": "1000000",
            "narrative": f"Cập nhật tiến độ (kiểm thử tải {RUN_ID}-{uuid.uuid4().hex[:8]})",
        }
        WRITES["attempted"] += 1
        with self.client.post(
            action, data=data, name="POST progress", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                WRITES["acknowledged"] += 1
            else:
                response.failure(f"progress update answered {response.status_code}")


SERVER_ERRORS = {"count": 0}


@events.request.add_listener
def count_server_errors(response=None, exception=None, **kwargs):
    """5xx answers and dropped connections (no answer at all) are server errors."""
    status = getattr(response, "status_code", 0) or 0
    if status >= 500 or (exception is not None and status == 0):
        SERVER_ERRORS["count"] += 1


@events.quitting.add_listener
def check_pass_criteria(environment, **kwargs):
    """K2: 0 server errors, 0 failures, p95 within budget; the exit code says whether it passed."""
    stats = environment.stats
    problems = []
    if not SIGNED_IN["measuring"]:
        problems.append(f"only {SIGNED_IN['count']} users signed in before the end: nothing steady was measured")
    if SERVER_ERRORS["count"] > TOLERATED_FAILURES:
        problems.append(f"{SERVER_ERRORS['count']} server errors (5xx or no answer)")
    if stats.total.num_failures > TOLERATED_FAILURES:
        problems.append(f"{stats.total.num_failures} failed requests")
    lines = []
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        budget = P95_POST_MS if entry.name in POST_NAMES else P95_PAGE_MS
        p95 = entry.get_response_time_percentile(0.95)
        p99 = entry.get_response_time_percentile(0.99)
        if entry.name in UNBUDGETED:
            budget = float("inf")
        verdict = "ok" if p95 < budget else "SLOW"
        lines.append(
            f"{entry.name:28} {entry.num_requests:7} req {entry.num_failures:4} fail  "
            f"p50 {entry.median_response_time:6.0f}  p95 {p95:6.0f}  p99 {p99:6.0f} ms  (p95 < {budget:.0f}) {verdict}"
        )
        if p95 >= budget:
            problems.append(f"{entry.name}: p95 {p95:.0f} ms ≥ {budget:.0f} ms")
    total = stats.total
    budgeted = [entry for entry in stats.entries.values() if entry.name not in UNBUDGETED]
    slowest_p99 = max((entry.get_response_time_percentile(0.99) for entry in budgeted), default=0)
    if slowest_p99 >= P99_MS:
        problems.append(f"p99 {slowest_p99:.0f} ms ≥ {P99_MS:.0f} ms")
    print("\n=== load summary (K2) ===")
    print("\n".join(lines))
    if "since" in SIGNED_IN:
        print(cpu_report(max(1.0, time.monotonic() - SIGNED_IN["since"])))
    print(
        f"total: {total.num_requests} requests, {total.total_rps:.1f} req/s, {total.num_failures} failures, "
        f"p95 {total.get_response_time_percentile(0.95):.0f} ms, p99 {total.get_response_time_percentile(0.99):.0f} ms"
    )
    for problem in problems:
        print("FAIL:", problem)
    if os.environ.get("LOAD_REPORT"):
        with open(os.environ["LOAD_REPORT"], "w") as handle:
            json.dump({**WRITES, "server_errors": SERVER_ERRORS["count"], "failures": stats.total.num_failures}, handle)
    print("PASS" if not problems else "LOAD TEST FAILED")
    environment.process_exit_code = 1 if problems else 0
