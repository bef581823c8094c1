"""Smoke test of the `make bench` machinery at a toy size: it runs end to end and writes its report.

Nothing here asserts a duration: speed is measured by `make bench` on the scale databases only.
"""

import datetime
import json

import pytest

from bench import load, measure, pages, results_md, run_scale, weight
from commitments import scale_data

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


def test_a_broken_page_is_reported_not_fatal(cast, clients):
    broken = [pages.Page("missing", "Không có", "/khong-co/", "staff")]
    measured = run_scale.measure_pages(cast, clients, broken, requests=1, warmup=0)
    assert "404" in measured["missing"]["error"]


def test_the_references_exist_only_in_the_bench_urlconf(cast, clients):
    assert clients["staff"].get("/bench/hello/").status_code == 200
    compared = run_scale.compare_with_admin(clients["admin"], pages.comparison(cast), requests=1, warmup=0)
    assert set(compared) == {"unfiltered", "filtered"}
    assert all("ratio_p50" in entry for entry in compared.values())


def test_production_urls_have_no_hello_view(db):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/hello/", urlconf="config.urls")


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
        "p5": {"period": "Quý III năm 2026", "runs": [{"status": "failed", "seconds": 1.0, "error": "lỗi"}]},
        "p7": {"first_load": {"dashboard": weight.first_load(measure.get(clients["staff"], "/").content)}},
        "p8": {"profile": "Slow 3G", "submissions": 2, "errors": [], "median_s": 3.4, "max_s": 3.6, "timings_s": [3.2, 3.6]},
    }
    (tmp_path / "2026-11-21-city.json").write_text(json.dumps(run, default=str))
    written = results_md.write(tmp_path, tmp_path / "RESULTS.md").read_text()
    for target in ("| P1 |", "| P2 |", "| P3 |", "| P4 |", "| P5 |", "| P6 |", "| P7 |", "| P8 |"):
        assert target in written
    assert "wrk is not installed" in written
    p8_row = next(line for line in written.splitlines() if line.startswith("| P8 |"))
    assert "median 3.40 s" in p8_row and "not met" in p8_row  # 3.4 s is over the 3 s target
    assert "Tổng quan (/)" in written
