"""Python function calls and CPU time per request, page by page, on a scale database.

    DATABASE_URL=…/ketnghia_city python -m bench.calls [--requests 20] > calls.json

Run it from two checkouts (each against a database its own code seeded) to compare versions of the
code. The number of calls does not move with what else the machine is doing, so it can compare two
versions on a busy machine, where wall-clock figures cannot; CPU time (``time.process_time``) moves
less than wall time but still does. Neither counts PostgreSQL's own work.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="requests counted per page, after 5 warm-up ones")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from .measure import get, signed_in_client
    from .pages import Cast, pages

    cast = Cast.find()
    clients = {key: signed_in_client(cast.user(key)) for key in ("staff", "officer", "admin")}
    result = {}
    for page in pages(cast):
        client = clients[page.user]
        for _ in range(5):
            get(client, page.path)
        cpu = []
        for _ in range(options.requests):
            started = time.process_time()
            get(client, page.path)
            cpu.append(time.process_time() - started)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(5):
            get(client, page.path)
        profile.disable()
        result[page.key] = {
            "calls": pstats.Stats(profile).total_calls // 5,
            "cpu_p50_ms": round(statistics.median(cpu) * 1000, 2),
        }
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
