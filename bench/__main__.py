"""`make bench`: measure the scale databases and write bench/results/<date>-<scale>.json and bench/RESULTS.md.

    python -m bench [--scale city|national|both] [--requests 30] [--warmup 5] [--skip load] [--skip reports]
    python -m bench --pg-options "-c jit=off" --label jit-off     # a variant: bench/results/<date>-<scale>-jit-off.json
    python -m bench --only g5                  # one section (pages, load, k4, reports, browser, g5); the
    python -m bench --skip browser --skip g5   #   others keep their latest figures (see bench/run_scale.py)
    python -m bench --only k4 --save-k4-baseline   # then add its ratios to bench/k4-baseline.json

Each scale is measured in a process of its own against its own database:

    BENCH_CITY_DATABASE_URL      (default postgresql://postgres@127.0.0.1:5432/ketnghia_city)
    BENCH_NATIONAL_DATABASE_URL  (default postgresql://postgres@127.0.0.1:5432/ketnghia_national)

A database that does not exist or holds no scale data yet is first filled with
``manage.py seed_scale`` (unless ``--no-seed``); seed_scale refuses a database holding anything else.
Everything runs on the loopback interface; every loop is bounded.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg

from . import results_md
from .run_scale import CITY_ONLY, SECTIONS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URLS = {
    "city": "postgresql://postgres@127.0.0.1:5432/ketnghia_city",
    "national": "postgresql://postgres@127.0.0.1:5432/ketnghia_national",
}


def database_url(scale: str) -> str:
    return os.environ.get(f"BENCH_{scale.upper()}_DATABASE_URL", DEFAULT_URLS[scale])


def is_seeded(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute(
                "SELECT EXISTS (SELECT 1 FROM accounts_user WHERE username LIKE 'scale-%')"
            ).fetchone()
            return bool(row[0])
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return False


def run(command: list[str], *, env: dict, timeout: int) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["city", "national", "both"], default="both")
    parser.add_argument(
        "--requests", type=int, default=60, help="timed requests per page (at least 30 for P1; 60 steadies the p95)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests before timing each page")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument(
        "--k4-seconds", type=int, default=30, help="K4: seconds of wrk per URL, in 10 turns (30 as in RELIABILITY)"
    )
    parser.add_argument("--g5-seconds", type=int, default=5, help="G5: seconds of each of the 8 pgbench runs")
    parser.add_argument("--skip", action="append", default=[], choices=SECTIONS)
    parser.add_argument("--only", action="append", default=[], choices=SECTIONS, help="measure only this section")
    parser.add_argument(
        "--save-k4-baseline",
        action="store_true",
        help="add the city run's K4 ratios to bench/k4-baseline.json (median of its last 5 runs)",
    )
    parser.add_argument("--no-seed", action="store_true", help="fail instead of seeding a missing database")
    parser.add_argument("--pg-options", default="", help='PostgreSQL session settings, e.g. "-c jit=off"')
    parser.add_argument("--label", default="", help="names a variant run (its JSON gets this suffix)")
    options = parser.parse_args()
    scales = ["city", "national"] if options.scale == "both" else [options.scale]
    if options.only and options.scale == "both" and set(options.only) <= set(CITY_ONLY):
        scales = ["city"]  # measured on the city database only
    RESULTS.mkdir(exist_ok=True)
    today = datetime.date.today().isoformat()
    for scale in scales:
        url = database_url(scale)
        env = {**os.environ, "DATABASE_URL": url}
        if options.pg_options:
            env["DATABASE_URL"] = f"{url}{'&' if '?' in url else '?'}options={quote(options.pg_options)}"
        if not is_seeded(url):
            if options.no_seed:
                print(f"{scale}: {url} holds no scale data; run manage.py seed_scale --scale {scale}", file=sys.stderr)
                return 2
            seed_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings"}
            run([sys.executable, "manage.py", "seed_scale", "--scale", scale], env=seed_env, timeout=900)
        else:
            # A database seeded by an earlier version of the code gets the newer migrations first.
            run(
                [sys.executable, "manage.py", "migrate", "--no-input"],
                env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
                timeout=900,
            )
        out = RESULTS / f"{today}-{scale}{'-' + options.label if options.label else ''}.json"
        command = [sys.executable, "-m", "bench.run_scale", "--scale", scale, "--out", str(out)]
        if options.label:
            command += ["--label", options.label]
        command += ["--requests", str(options.requests), "--warmup", str(options.warmup)]
        command += ["--wrk-seconds", str(options.wrk_seconds)]
        command += ["--k4-seconds", str(options.k4_seconds), "--g5-seconds", str(options.g5_seconds)]
        for skipped in options.skip:
            command += ["--skip", skipped]
        for only in options.only:
            command += ["--only", only]
        run(command, env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"}, timeout=3600)
    if options.save_k4_baseline:
        print(f"wrote {results_md.save_k4_baseline(results_md.latest(RESULTS, 'city', options.label))}")
    written = results_md.write(RESULTS, Path(__file__).resolve().parent / "RESULTS.md")
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
