"""Smoke test of the `make bench` machinery at a toy size: it runs end to end and writes its report.

Nothing here asserts a duration: speed is measured by `make bench` on the scale databases only.
"""

import datetime
import json

import pytest
from django.test import Client

from bench import audit, calls, load, measure, pages, results_md, run_scale, weight
from demo import scale_data

TOY = scale_data.Size(
    units=100,
    partnerships=12,
    commitments=60,
    updates=200,
    quarters=2,
    activities_per_partnership=2,
    officers_per_unit=1,
)
WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.61s     1.69s    6.74s    71.88%
  Latency Distribution
     50%  850.00us
     75%    5.98s
     90%    5.99s
     99%    1.20s
  32 requests in 10.11s, 5.13MB read
  Non-2xx or 3xx responses: 2
Requests/sec:      3.16
"""
PGBENCH_OUTPUT = """pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: /tmp/update.sql
scaling factor: 1
query mode: simple
number of clients: 4
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 1955
number of failed transactions: 2 (0.102%)
latency average = 8.166 ms
initial connection time = 15.459 ms
tps = 489.814443 (without initial connection time)
"""


@pytest.fixture
def cast(db, settings):
    settings.ROOT_URLCONF = "bench.urls"
    scale_data.seed(TOY, today=datetime.date(2026, 11, 21))
    return pages.Cast.find()


@pytest.fixture
def clients(cast):
    return {key: measure.signed_in_client(cast.user(key)) for key in ("staff", "officer", "admin")}


def test_every_page_and_fragment_answers_and_is_counted(cast, clients):
    measured = run_scale.measure_pages(cast, clients, pages.pages(cast), requests=1, warmup=0)
    measured |= run_scale.measure_pages(cast, clients, pages.fragments(cast), requests=1, warmup=0, htmx=True)
    assert len(measured) == len(pages.pages(cast)) + len(pages.fragments(cast))
    for key, figures in measured.items():
        assert "error" not in figures, (key, figures.get("error"))
        assert figures["n"] == 1 and figures["queries"] > 0 and 0 < figures["gzip_bytes"] < figures["bytes"], key


def test_pages_are_timed_in_rounds_so_that_a_slow_spell_is_shared(cast, clients, monkeypatch):
    """One request of each page per round: a few slow seconds of the machine cannot decide one page's p95."""
    asked = []
    real_get = measure.get

    def recording_get(client, path, *, htmx=False):
        asked.append(path)
        return real_get(client, path, htmx=htmx)

    monkeypatch.setattr(measure, "get", recording_get)
    two = pages.pages(cast)[:2]
    measured = run_scale.measure_pages(cast, clients, two, requests=3, warmup=1)
    first, second = (page.path for page in two)
    warm_up, rounds, counted = asked[:2], asked[2:8], asked[8:]
    assert warm_up == counted == [first, second]
    assert all(sorted(rounds[i : i + 2]) == sorted([first, second]) for i in (0, 2, 4))  # each page once a round
    assert [measured[page.key]["n"] for page in two] == [3, 3]


def test_calls_are_counted_per_request_and_grow_with_the_work(cast, clients):
    hello = calls.count(clients["staff"], "/bench/hello/", requests=2)
    dashboard = calls.count(clients["staff"], "/", requests=2)
    again = calls.count(clients["staff"], "/bench/hello/", requests=2)

    assert 0 < hello["calls"] < dashboard["calls"]
    assert again["calls"] == pytest.approx(hello["calls"], rel=0.05)  # a count, not a clock
    assert hello["cpu_p50_ms"] >= 0


def test_a_broken_page_is_reported_not_fatal(cast, clients):
    broken = [pages.Page("missing", "Không có", "/khong-co/", "staff")]
    measured = run_scale.measure_pages(cast, clients, broken, requests=1, warmup=0)
    assert "404" in measured["missing"]["error"]


def test_the_references_exist_only_in_the_bench_urlconf(cast, clients):
    assert clients["staff"].get("/bench/hello/").status_code == 200
    assert Client().get("/bench/hello/public/").status_code == 200  # K4's reference: no login
    compared = run_scale.compare_with_admin(clients["admin"], pages.comparison(cast), requests=1, warmup=0)
    assert set(compared) == {"unfiltered", "filtered"}
    assert all("ratio_p50" in entry for entry in compared.values())


def test_production_urls_have_no_hello_view(db):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/hello/", urlconf="config.urls")
    with pytest.raises(Resolver404):
        resolve("/bench/hello/public/", urlconf="config.urls")


def test_first_load_counts_the_static_files_and_no_other_host(cast, clients):
    loaded = weight.first_load(measure.get(clients["staff"], "/").content)
    assert "/static/css/portal.css" in loaded["assets_gzip_bytes"]
    assert loaded["external_requests"] == []
    assert loaded["total_gzip_bytes"] == loaded["html_gzip_bytes"] + sum(loaded["assets_gzip_bytes"].values())
    html = b'<link rel="stylesheet" href="https://cdn.example/x.css"><img src="/static/img/emblem.svg" alt="">'
    assert weight.first_load(html)["external_requests"] == ["https://cdn.example/x.css"]


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 31)]
    assert measure.percentile(values, 0.95) == 29.0
    assert measure.summary([v / 1000 for v in values])["p50_ms"] == 15.5


def test_wrk_output_is_parsed():
    parsed = load.parse_wrk(WRK_OUTPUT)
    assert parsed["requests_per_second"] == 3.16
    assert parsed["requests"] == 32
    assert parsed["p50_ms"] == 0.85
    assert parsed["p99_ms"] == 1200.0
    assert parsed["non_2xx"] == 2
    assert "cookies[math.random(#cookies)]" in load.lua_script(["sessionid=a", "sessionid=b"])


def test_results_markdown_gives_a_verdict_for_every_target(cast, clients, tmp_path):
    from bench import machine

    run = {
        "scale": "city",
        "date": "2026-11-21",
        "started_at": "2026-11-21T22:00:00+07:00",
        "database": "test",
        "machine": machine.describe(),
        "sizes": run_scale.sizes(),
        "cast": {
            "largest_partnership": cast.largest_partnership,
            "largest_partnership_commitments": 1,
            "officer_unit": cast.officer.commune_id,
            "officer_unit_commitments": 1,
            "filter_field": cast.field_code,
        },
        "settings": {"requests": 1, "warmup": 0, "debug": False},
        "pages": run_scale.measure_pages(cast, clients, pages.pages(cast)[:2], requests=1, warmup=0),
        "fragments": run_scale.measure_pages(cast, clients, pages.fragments(cast)[:1], requests=1, warmup=0, htmx=True),
        "p3": run_scale.compare_with_admin(clients["admin"], pages.comparison(cast), requests=1, warmup=0),
        "p4": {"error": "wrk is not installed (apt-get install wrk)"},
        "g5": G5,
        "k4": K4,
        "p5": {"period": "Quý III năm 2026", "runs": [{"status": "failed", "seconds": 1.0, "error": "lỗi"}]},
        "p7": {"first_load": {"dashboard": weight.first_load(measure.get(clients["staff"], "/").content)}},
        "p8": {
            "profile": "Slow 3G",
            "submissions": 2,
            "errors": [],
            "median_s": 3.4,
            "max_s": 3.6,
            "timings_s": [3.2, 3.6],
            "photo": {
                "submissions": 1,
                "median_s": 4.6,
                "max_s": 4.6,
                "timings_s": [4.6],
                "photo_kb": [201],
                "progress_shown": True,
                "progress_seen": ["Đang gửi… 0 %", "Đang gửi… 45 %"],
            },
        },
        "p9": {
            "reports": 2,
            "photos_per_report": 2,
            "errors": [],
            "saved_max_s": 0.4,
            "saved_s": [0.3, 0.4],
            "on_server_max_s": 21.5,
            "on_server_s": [12.0, 21.5],
        },
    }
    (tmp_path / "2026-11-21-city.json").write_text(json.dumps(run, default=str))
    written = results_md.write(tmp_path, tmp_path / "RESULTS.md").read_text()
    for target in ("| P1 |", "| P2 |", "| P3 |", "| P4 |", "| P5 |", "| P6 |", "| P7 |", "| P8 |", "| G5 |", "| K4 |"):
        assert target in written
    g5_row = next(line for line in written.splitlines() if line.startswith("| G5 |"))
    assert "400 ÷ 600 TPS = 0.67" in g5_row and "30.0 ÷ 20.0 ms = 1.50" in g5_row and "not met" in g5_row
    k4_row = next(line for line in written.splitlines() if line.startswith("| K4 |"))
    assert "healthz 850 req/s = 4.25 × hello" in k4_row and "no baseline" in k4_row
    assert "wrk is not installed" in written
    p8_row = next(line for line in written.splitlines() if line.startswith("| P8 |"))
    assert "median 3.40 s" in p8_row and "not met" in p8_row  # 3.4 s is over the 3 s target
    assert "with one photo (201 KB) median 4.60 s" in p8_row and "progress shown" in p8_row
    p9_row = next(line for line in written.splitlines() if line.startswith("| P9 |"))
    assert "saved in at most 0.40 s; on the server after at most 21.50 s" in p9_row and p9_row.endswith("| ✅ met |")
    assert "Đang gửi… 0 % → Đang gửi… 45 %" in written
    assert "Tổng quan (/)" in written


def wrk_figures(rps: float, **errors) -> dict:
    return {"requests_per_second": rps, "non_2xx": 0, "socket_errors": 0, **errors}


K4 = {
    "connections": 64,
    "seconds": 30,
    "rounds": 3,
    "hello": {
        "path": "/bench/hello/public/",
        "command": "wrk …",
        "requests_per_second": 200.0,
        "rounds_requests_per_second": [190.0, 210.0, 200.0],
        "requests": 6000,
        "p50_ms": 200.0,
        "p99_ms": 800.0,
        "non_2xx": 0,
        "socket_errors": 0,
    },
    "healthz": {
        "path": "/healthz",
        "command": "wrk …",
        "requests_per_second": 850.0,
        "rounds_requests_per_second": [800.0, 900.0, 850.0],
        "requests": 25500,
        "p50_ms": 60.0,
        "p99_ms": 700.0,
        "non_2xx": 0,
        "socket_errors": 0,
    },
    "login": {
        "path": "/accounts/login/",
        "command": "wrk …",
        "requests_per_second": 190.0,
        "rounds_requests_per_second": [190.0, 190.0, 190.0],
        "requests": 5700,
        "p50_ms": 250.0,
        "p99_ms": 900.0,
        "non_2xx": 0,
        "socket_errors": 0,
    },
    "ratios": {"healthz": 4.25, "login": 0.95},
}
G5 = {
    "update": {
        "command": "pgbench …",
        "runs": [{"audit": "on", "tps": 400.0, "latency_ms": 10.0, "transactions": 2000, "failed": 0}],
        "on": {"tps": 400.0, "failed": 0},
        "off": {"tps": 600.0, "failed": 0},
        "ratio": 0.667,
    },
    "post": {
        "user": "scale-officer",
        "rounds": 20,
        "block": 5,
        "on": {"n": 100, "p50_ms": 20.0, "p95_ms": 30.0, "min_ms": 10.0, "max_ms": 40.0},
        "off": {"n": 100, "p50_ms": 18.0, "p95_ms": 20.0, "min_ms": 10.0, "max_ms": 30.0},
        "ratio_p50": 1.111,
        "ratio_p95": 1.5,
    },
    "audit_left_disabled": [],
}


def test_pgbench_output_is_parsed():
    assert audit.parse_pgbench(PGBENCH_OUTPUT) == {
        "tps": 489.814443,
        "transactions": 1955,
        "failed": 2,
        "latency_ms": 8.166,
    }
    assert audit.parse_pgbench("pgbench: error: connection refused")["tps"] is None


def test_the_pgbench_update_carries_the_audit_context_and_always_changes_the_row():
    script = audit.pgbench_script("commitments_commitment", 1, 1500)
    assert script.startswith("\\set id random(1, 1500)\n")
    assert "set_config('pghistory.context_id', gen_random_uuid()::text, true)" in script
    assert '"url": "bench:g5"' in script  # the mark its cleanup looks for
    # one query string (\;), so the context holds for the UPDATE; now() makes OLD.* distinct from NEW.*
    assert '\\; UPDATE "commitments_commitment" SET updated_at = now() WHERE id = :id;' in script


def test_wrk_socket_errors_are_counted():
    output = WRK_OUTPUT + "  Socket errors: connect 0, read 3, write 0, timeout 1\n"
    assert load.parse_wrk(output)["socket_error_count"] == 4
    assert load.parse_wrk(WRK_OUTPUT)["socket_error_count"] == 0  # wrk leaves the line out when all are 0


def test_wrk_rounds_are_combined():
    rounds = [
        {
            "command": "wrk a",
            "requests_per_second": 100.0,
            "requests": 1000,
            "p50_ms": 5.0,
            "p99_ms": 20.0,
            "non_2xx": 0,
            "socket_error_count": 0,
        },
        {
            "command": "wrk a",
            "requests_per_second": 300.0,
            "requests": 3000,
            "p50_ms": 3.0,
            "p99_ms": 50.0,
            "non_2xx": 2,
            "socket_error_count": 1,
        },
        {
            "command": "wrk a",
            "requests_per_second": 200.0,
            "requests": 2000,
            "p50_ms": 4.0,
            "p99_ms": 10.0,
            "non_2xx": 0,
            "socket_error_count": 0,
        },
    ]
    combined = load.combine_rounds(rounds)
    assert combined["requests_per_second"] == 200.0
    assert combined["requests"] == 6000 and combined["p50_ms"] == 4.0 and combined["p99_ms"] == 50.0
    assert combined["non_2xx"] == 2 and combined["socket_errors"] == 1


def test_k4_fails_on_errors_and_on_a_drop_of_more_than_30_percent():
    baseline = {"ratios": {"healthz": 4.0, "login": 1.0}}
    assert results_md.k4_problems(K4, baseline) == []
    assert results_md.k4_verdict(K4, baseline) is True
    assert results_md.k4_verdict(K4, None) is None  # nothing to compare with yet
    dropped = {**K4, "ratios": {"healthz": 2.7, "login": 0.71}}  # healthz 32 % below, login 29 %
    assert results_md.k4_problems(dropped, baseline) == ["healthz ÷ hello 2.70 < 2.80 (baseline 4.00 − 30 %)"]
    broken = {**K4, "login": {**K4["login"], "non_2xx": 3}, "hello": {**K4["hello"], "socket_errors": 2}}
    assert results_md.k4_problems(broken, None) == ["hello: 2 socket errors", "login: 3 non-2xx answers"]
    assert results_md.k4_verdict(broken, None) is False
    assert results_md.k4_verdict({"error": "wrk is not installed"}, baseline) is False


def test_the_k4_baseline_is_the_median_of_its_last_runs(tmp_path):
    path = tmp_path / "k4-baseline.json"
    machine = {"nproc": 2, "cpu": "AMD EPYC"}
    for hour, (healthz, login) in enumerate([(4.0, 1.0), (5.0, 0.5), (4.25, 0.95), (1.0, 0.1), (9.0, 0.9), (4.5, 0.8)]):
        run = {"started_at": f"2026-11-22T1{hour}:00:00+07:00", "machine": machine}
        run["k4"] = {**K4, "ratios": {"healthz": healthz, "login": login}}
        saved = json.loads(results_md.save_k4_baseline(run, path).read_text())
    assert len(saved["runs"]) == 5  # the first run has left
    assert saved["ratios"] == {"healthz": 4.5, "login": 0.8}
    assert saved["runs"][-1]["requests_per_second"]["hello"] == 200.0
    assert results_md.read_k4_baseline(path) == saved
    with pytest.raises(SystemExit):
        results_md.save_k4_baseline({**run, "k4": {**K4, "login": {**K4["login"], "non_2xx": 1}}}, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def test_g5_verdict():
    assert results_md.g5_verdict(G5) is False  # POST p95 1.5 × over 1.2
    met = {**G5, "post": {**G5["post"], "ratio_p95": 1.1}}
    assert results_md.g5_verdict(met) is True
    assert results_md.g5_verdict({**met, "update": {**G5["update"], "ratio": 0.45}}) is False
    assert results_md.g5_verdict({**met, "audit_left_disabled": ["pgtrigger_insert_insert_1"]}) is False
    assert results_md.g5_verdict({"update": {"error": "pgbench is not installed"}, "post": G5["post"]}) is None


def test_only_and_skip_choose_sections_and_the_others_keep_their_figures():
    assert run_scale.skipped_sections([], ["g5"]) == set(run_scale.SECTIONS) - {"g5"}
    assert run_scale.skipped_sections(["load"], []) == {"load"}
    previous = {
        "started_at": "2026-11-22T10:00:00+07:00",
        "pages": {"dashboard": {}},
        "p4": {"ratio": 0.4},
        "k4": {"ratios": {}},
        "carried_over": {"p4": "2026-11-21T09:00:00+07:00"},
    }
    result = run_scale.carry_over({"g5": {}}, previous, run_scale.skipped_sections([], ["g5"]))
    assert result["pages"] == {"dashboard": {}} and result["p4"] == {"ratio": 0.4} and result["g5"] == {}
    # each figure says when it was measured, even when carried twice
    assert result["carried_over"] == {
        "pages": "2026-11-22T10:00:00+07:00",
        "p4": "2026-11-21T09:00:00+07:00",
        "k4": "2026-11-22T10:00:00+07:00",
    }
    assert "carried_over" not in run_scale.carry_over({"pages": {}}, None, {"load"})


def test_the_progress_post_is_measured_with_and_without_the_audit_and_leaves_nothing(cast):
    from django.db import connection
    from pghistory.models import Context

    from commitments.models import ProgressUpdate

    updates, contexts = ProgressUpdate.objects.count(), Context.objects.count()
    # The test runs in one transaction: PostgreSQL refuses ALTER TABLE … DISABLE TRIGGER on a table
    # with deferred foreign-key checks still pending, so they are checked as they come (the bench
    # itself runs in autocommit, where nothing is ever pending between requests).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    measured = audit.measure_post(cast.officer, rounds=2, block=2)
    assert "error" not in measured, measured.get("error")
    assert measured["on"]["n"] == measured["off"]["n"] == 4
    assert measured["ratio_p95"] > 0
    # 2 rounds × 2 sides × (1 untimed + 2 timed); only the "on" ones were audited
    assert measured["updates_removed"] == 12 and measured["events_removed"] == 6
    assert ProgressUpdate.objects.count() == updates and Context.objects.count() == contexts
    assert audit.disabled_triggers() == []
