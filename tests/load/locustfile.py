"""K2 steady load (RELIABILITY.md): city staff, leadership and unit officers sign in and use the portal.

Run through ``tests/load/run.py`` (``make load``), which serves the portal with demo data and passes
the cast in ``LOAD_CAST`` (a JSON file: officers and the commitments their unit owns, partnerships,
communes). Mix, as K2 asks: ~60 % dashboard and lists, ~25 % details, ~10 % progress updates (the
officer's own unit, with the form's one-time token and hidden fields), ~5 % report requests.
Pass criteria are checked on quitting and set the process exit code: 0 server errors, no failures,
p95 < LOAD_P95_PAGE_MS (300) for pages and < LOAD_P95_POST_MS (800) for posts.

run.py's other modes (LOAD_MODE: overload, report-burst, soak; RELIABILITY K3, K6, K5) use the same users
and judge the run themselves from what this file writes to LOAD_REPORT when locust quits: every answer's
status, the acknowledged progress reports, the burst's report requests and, with LOAD_RECORD_GETS, the
start time and duration of every page GET. LOAD_NO_WAIT removes the pause between tasks (K3);
LOAD_MEASURE_SECONDS ends the run that long after every user has signed in.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid

from locust import FastHttpUser, between, constant, events, tag, task

from tests.load.forms import hidden_inputs

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-password-2025")
P95_PAGE_MS = float(os.environ.get("LOAD_P95_PAGE_MS", "300"))
P95_POST_MS = float(os.environ.get("LOAD_P95_POST_MS", "800"))
P99_MS = float(os.environ.get("LOAD_P99_MS", "1500"))
# RELIABILITY L7 (run.py --kill-worker): the requests a SIGKILLed sync worker had in flight, at most one.
TOLERATED_FAILURES = int(os.environ.get("LOAD_TOLERATED_FAILURES", "0"))
RUN_ID = os.environ.get("LOAD_RUN_ID", "")  # tags this run's progress reports, counted afterwards by run.py
MODE = os.environ.get("LOAD_MODE", "steady")  # steady (K2) judges itself here; the others are judged by run.py
NO_WAIT = os.environ.get("LOAD_NO_WAIT") == "1"
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", "0"))  # 0: locust's own --run-time ends the run
RECORD_GETS = os.environ.get("LOAD_RECORD_GETS") == "1"
WRITES = {"attempted": 0, "acknowledged": 0}  # progress reports sent, and those answered 302 (saved)
ACKNOWLEDGED_TAGS: list[str] = []  # the unique part of each acknowledged progress report's narrative
STATUSES: dict[str, int] = {}  # every answer's status code, or "no answer (<error>)", over the whole run
GET_SAMPLES: list[tuple[float, float]] = []  # (wall-clock start, milliseconds) of page GETs, with LOAD_RECORD_GETS
REPORT_REQUESTS: list[dict] = []  # the report burst's requests (run.py --report-burst)
POST_NAMES = {"POST progress", "POST report request"}
# Signing in hashes with Argon2 on purpose and happens once per user, during the ramp: reported, not budgeted.
UNBUDGETED = {"GET login", "POST login", "GET two-step", "POST two-step"}


def load_cast() -> dict:
    with open(os.environ["LOAD_CAST"]) as handle:
        return json.load(handle)


CAST = load_cast() if os.environ.get("LOAD_CAST") else {}


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
        if MEASURE_SECONDS and environment.runner is not None:
            gevent.spawn_later(MEASURE_SECONDS, environment.runner.quit)


class PortalUser(FastHttpUser):  # gevent's HTTP client: the load generator takes less of the 2 cores
    abstract = True
    wait_time = constant(0) if NO_WAIT else between(1, 3)
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


class BrowsingUser(PortalUser):
    """Shared browsing: dashboard, lists, details (locust adds a base class's tasks to every subclass)."""

    abstract = True

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


def enter_totp_code(user: PortalUser, key: str) -> None:
    """The second step of a city-staff sign-in: the code of the authenticator app (TOTP device) ``key``."""
    from binascii import unhexlify

    from django_otp.oath import TOTP

    # Under overload (K3) a code can wait in the queue past its 30 s step and be refused, as it would be
    # for a person, who then types the next one: up to three codes, each failure still counted.
    for _attempt in range(3):
        with user.client.get("/accounts/two-step/", name="GET two-step", catch_response=True) as page:
            form = hidden_inputs(page.text, "/accounts/two-step/")
        data = {**form, "code": f"{TOTP(unhexlify(key)).token():06d}"}
        with user.client.post(
            "/accounts/two-step/", data=data, name="POST two-step", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                return
            response.failure(f"two-step code of {user.username} answered {response.status_code}")


def post_report_request(user: PortalUser, next_tasks: str = ""):
    """Open the report list and ask for a partnership report with its form; returns locust's response."""
    with user.client.get("/reports/", name="GET report list", catch_response=True) as page:
        form = hidden_inputs(page.text, "/reports/")
    data = {
        **form,
        "period_code": CAST["period_code"],
        "kind": "partnership",
        "partnership": random.choice(CAST["partnerships"]),
        "next_tasks": next_tasks,
        "signer_title": "PHÓ BÍ THƯ THƯỜNG TRỰC",
        "signer_name": "",
    }
    with user.client.post(
        "/reports/", data=data, name="POST report request", allow_redirects=False, catch_response=True
    ) as response:
        if response.status_code != 302:
            response.failure(f"report request answered {response.status_code}")
        return response


class CityStaff(BrowsingUser):
    weight = 2
    username = "city"

    def second_step(self):
        """Each simulated city user has its own device of the one "city" account (tests/load/run.py)."""
        key = CAST["totp_keys"][TOTP_KEYS_TAKEN["count"] % len(CAST["totp_keys"])]
        TOTP_KEYS_TAKEN["count"] += 1
        enter_totp_code(self, key)

    @task(4)
    def report_list(self):
        self.page("/reports/", "GET report list")

    @task(4)
    def commitment_detail(self):
        self.page(f"/commitments/{random.choice(CAST['commitments'])}/", "GET commitment detail")

    @tag("report-request")  # left out by the report burst (--exclude-tags): there only the Reporters ask
    @task(4)
    def request_report(self):
        post_report_request(self)


class Leader(BrowsingUser):
    weight = 1
    username = "leader"

    @task(4)
    def report_list(self):
        self.page("/reports/", "GET report list")

    @task(4)
    def commitment_detail(self):
        self.page(f"/commitments/{random.choice(CAST['commitments'])}/", "GET commitment detail")


class Officer(BrowsingUser):
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
            # Hundreds of reports soon pass a target: confirmed, as an officer would, so each one saves.
            "confirm_over_target": "on",
        }
        WRITES["attempted"] += 1
        with self.client.post(
            action, data=data, name="POST progress", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                WRITES["acknowledged"] += 1
                ACKNOWLEDGED_TAGS.append(data["narrative"].rsplit("-", 1)[1].rstrip(")"))
            else:
                response.failure(f"progress update answered {response.status_code}")


REPORTERS_TAKEN = {"count": 0}
BURST_SECONDS = float(os.environ.get("LOAD_BURST_SECONDS", "60"))
BURST_REQUESTS_EACH = int(os.environ.get("LOAD_BURST_REQUESTS_EACH", "3"))


class Reporter(PortalUser):
    """RELIABILITY K6 (run.py --report-burst): city staff, each with an account of their own (the cast's
    ``reporters``), who ask for BURST_REQUESTS_EACH partnership reports at random moments of the
    BURST_SECONDS after every user has signed in, and then only wait. Each request's "next tasks" text
    carries the run id, so that run.py finds the burst's reports and no request repeats a pending one.
    They do not browse: the 50 other users do (run.py --report-burst)."""

    abstract = not CAST.get("reporters")  # only when run.py made reporter accounts
    fixed_count = len(CAST.get("reporters", []))

    def on_start(self):
        account = CAST["reporters"][REPORTERS_TAKEN["count"] % len(CAST["reporters"])]
        REPORTERS_TAKEN["count"] += 1
        self.username, self.totp_key = account["username"], account["totp_key"]
        super().on_start()

    def second_step(self):
        enter_totp_code(self, self.totp_key)

    @task
    def burst(self):
        import gevent

        while not SIGNED_IN["measuring"]:
            gevent.sleep(0.2)
        moments = sorted(random.uniform(0, BURST_SECONDS - 5) for _ in range(BURST_REQUESTS_EACH))
        for number, moment in enumerate(moments, start=1):
            gevent.sleep(max(0.0, SIGNED_IN["since"] + moment - time.monotonic()))
            response = post_report_request(self, next_tasks=f"K6 {RUN_ID} {self.username} #{number}")
            REPORT_REQUESTS.append({"username": self.username, "at": time.time(), "status": response.status_code or 0})
        while True:  # done: the user stays signed in and idle until run.py ends the run
            gevent.sleep(60)


SERVER_ERRORS = {"count": 0}
ENVIRONMENT = {}


@events.init.add_listener
def remember_stats(environment, **kwargs):
    ENVIRONMENT["stats"] = environment.stats


@events.request.add_listener
def count_answers(request_type=None, name=None, response_time=None, response=None, exception=None, **kwargs):
    """Every answer's status; 5xx answers and dropped connections (no answer at all) are server errors."""
    status = getattr(response, "status_code", 0) or 0
    if status >= 500 or (exception is not None and status == 0):
        SERVER_ERRORS["count"] += 1
    key = str(status) if status else f"no answer ({type(exception).__name__})"
    STATUSES[key] = STATUSES.get(key, 0) + 1
    if RECORD_GETS and request_type == "GET" and name not in UNBUDGETED:
        GET_SAMPLES.append((kwargs.get("start_time") or time.time(), response_time or 0.0))


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
    if MODE != "steady":  # judged by run.py from the report written at quit
        print(f"\n=== locust statistics ({MODE}; pass criteria follow from run.py) ===")
        print("\n".join(line.rsplit("  (p95", 1)[0] for line in lines))
        if "since" in SIGNED_IN:
            print(cpu_report(max(1.0, time.monotonic() - SIGNED_IN["since"])))
        print(
            f"total: {total.num_requests} requests, {total.total_rps:.1f} req/s, {total.num_failures} failures, "
            f"p95 {total.get_response_time_percentile(0.95):.0f} ms, p99 {total.get_response_time_percentile(0.99):.0f} ms"
        )
        environment.process_exit_code = 0 if SIGNED_IN["measuring"] else 1
        return
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
    print("PASS" if not problems else "LOAD TEST FAILED")
    environment.process_exit_code = 1 if problems else 0


@events.quit.add_listener
def write_report(**kwargs):
    """What run.py judges, written once every user has stopped (a SIGTERM fires ``quitting`` before)."""
    if not os.environ.get("LOAD_REPORT"):
        return
    report = {
        **WRITES,
        "server_errors": SERVER_ERRORS["count"],
        "failures": ENVIRONMENT["stats"].total.num_failures,  # since measuring began, as the K2 summary
        "stopped_at": time.time(),
        "signed_in": SIGNED_IN["count"],
        "measured": SIGNED_IN["measuring"],
        "statuses": STATUSES,
        "acknowledged_tags": ACKNOWLEDGED_TAGS,
        "report_requests": REPORT_REQUESTS,
        "get_samples": GET_SAMPLES,
    }
    with open(os.environ["LOAD_REPORT"], "w") as handle:
        json.dump(report, handle)
