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


def count(client, path: str, *, requests: int) -> dict:
    """Python calls of one request to ``path`` (cProfile, the mean of 5) and its median CPU time."""
    from .measure import get

    for _ in range(5):
        get(client, path)
    cpu = []
    for _ in range(requests):
        started = time.process_time()
        get(client, path)
        cpu.append(time.process_time() - started)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(5):
        get(client, path)
    profile.disable()
    return {"calls": pstats.Stats(profile).total_calls // 5, "cpu_p50_ms": round(statistics.median(cpu) * 1000, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="requests timed per page, after 5 warm-up ones")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from .measure import signed_in_client
    from .pages import Cast, pages

    cast = Cast.find()
    clients = {key: signed_in_client(cast.user(key)) for key in ("staff", "officer", "admin")}
    result = {page.key: count(clients[page.user], page.path, requests=options.requests) for page in pages(cast)}
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
