"""G5: what the audit trail (django-pghistory's triggers) costs a write, with and without it in the same run.

Two measurements on the city database, each alternating the two sides so that drift in the
machine hits both alike:

- pgbench: a single-row UPDATE of a random commitment, sent as the portal sends it (one query string
  that first sets pghistory's context, as HistoryMiddleware's execute wrapper does, so the trigger
  writes the context row and the event), short runs of the same clients and duration in the order
  on, off, off, on, on, off, off, on (`PGBENCH_ORDER`): transactions per second of each side over its
  runs, and the ratio on ÷ off;
- the progress-update POST (``/commitments/<pk>/progress/new/``, what an officer sends) through the
  Django test client as the officer of the busiest unit: blocks of requests with the audit on and
  off, alternated (on-off, off-on, …), each block after one untimed request: p95 of each side and the
  ratio. Only the POST is timed; the GET of the form before each (its one-time token) is not.

"Off" means pghistory's own triggers disabled (``ALTER TABLE … DISABLE TRIGGER``, through
django-pgtrigger) for the time of the "off" runs only; they are enabled again right after, and also
at the start (an earlier run killed in between would otherwise leave the bench database unaudited).
That is the fairest "without" we found:

- ``SET session_replication_role = replica`` silences every trigger, the foreign-key checks and the
  dashboard's change counter (``core_note_change``) included, which are not audit: the audit would look
  dearer than it is;
- ``pgtrigger.ignore`` still calls every trigger function (its ignore check runs inside, with an
  exception block) and adds a ``SET`` to every statement: the audit would look cheaper, and the "off"
  side would do work of its own;
- a copy of the table (``CREATE TABLE … (LIKE … INCLUDING ALL)``) has neither the foreign keys nor
  the change-counter trigger, so it would compare more than the audit, and a fresher heap too.

For the POST, the "off" side also runs without pghistory's ``HistoryMiddleware`` (a client of its own
whose middleware stack leaves it out): it exists only to feed the triggers their context, and it
costs every request a context and some SQL. "Off" is then the portal with no audit at all.

What the measurement writes is removed afterwards (audit events and contexts, progress updates), so
the city database is as seeded; only the commitments' ``updated_at`` moves, as any edit would move it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.load.forms import hidden_inputs

PGBENCH_CLIENTS = 4
PGBENCH_THREADS = 2
PGBENCH_SECONDS = 5  # per run: 8 runs, 20 s a side
PGBENCH_ORDER = ("on", "off", "off", "on", "on", "off", "off", "on")
POST_ROUNDS = 20  # each round: one block with the audit on and one with it off, in alternating order
POST_BLOCK = 5  # timed POSTs per block: 20 × 5 = 100 a side
POST_COMMITMENTS = 10  # the reports go to the officer's first 10 commitments in turn
MARKER = "bench:g5"  # the context's "url" for pgbench, the start of the POSTs' narrative
HISTORY_MIDDLEWARE = "pghistory.middleware.HistoryMiddleware"


# --- switching the audit -----------------------------------------------------------------------


def audit_triggers() -> list:
    """(model, trigger) for every pghistory event trigger (insert, update, delete of each tracked model)."""
    import pgtrigger
    from pghistory.trigger import Event

    return [(model, trigger) for model, trigger in pgtrigger.registered() if isinstance(trigger, Event)]


def set_audit(enabled: bool, triggers=None) -> None:
    """Enable or disable pghistory's triggers, all in one transaction (nothing else is touched)."""
    from django.db import transaction

    with transaction.atomic():
        for model, trigger in triggers if triggers is not None else audit_triggers():
            if enabled:
                trigger.enable(model)
            else:
                trigger.disable(model)


def disabled_triggers() -> list[str]:
    """Names of the pghistory triggers the database has disabled (an empty list when the audit is on)."""
    from django.db import connection

    names = [trigger.get_pgid(model) for model, trigger in audit_triggers()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled = 'D'", [names])
        return sorted(row[0] for row in cursor.fetchall())


def ignoring_audit():
    """pgtrigger.ignore for the event triggers and the event tables' append-only protection: for cleaning
    up what this measurement wrote (it leaves the dashboard's change counter and everything else on)."""
    import pghistory.models
    import pgtrigger

    audit = audit_triggers()
    uris = [
        f"{model._meta.label}:{trigger.name}"
        for model, trigger in pgtrigger.registered()
        if issubclass(model, pghistory.models.Event) or (model, trigger) in audit
    ]
    return pgtrigger.ignore(*uris)


def remove_contexts(contexts) -> int:
    """Delete the audit contexts of the queryset ``contexts`` and every event recorded under them
    (event tables are append-only: their protection is ignored for this); the number of events."""
    import pghistory.models
    from django.apps import apps

    removed = 0
    with ignoring_audit():
        for model in apps.get_models():
            if issubclass(model, pghistory.models.Event) and hasattr(model, "pgh_context_id"):
                removed += model.objects.filter(pgh_context__in=contexts.values("pk")).delete()[0]
        contexts.delete()
    return removed


# --- pgbench: a single-row UPDATE -------------------------------------------------------------


def parse_pgbench(output: str) -> dict:
    def number(pattern: str) -> float | None:
        found = re.search(pattern, output, re.MULTILINE)
        return float(found.group(1)) if found else None

    return {
        "tps": number(r"^tps = ([\d.]+)"),
        "transactions": int(number(r"number of transactions actually processed: (\d+)") or 0),
        "failed": int(number(r"number of failed transactions: (\d+)") or 0),
        "latency_ms": number(r"latency average = ([\d.]+) ms"),
    }


def pgbench_script(table: str, first_id: int, last_id: int) -> str:
    """The UPDATE as a request of the portal sends it: pghistory's context set in the same query string
    (``\\;`` keeps both in one implicit transaction). ``updated_at = now()`` always changes the row, so
    the update trigger's ``OLD.* IS DISTINCT FROM NEW.*`` condition holds every time."""
    metadata = json.dumps({"user": None, "url": MARKER})
    return (
        f"\\set id random({first_id}, {last_id})\n"  # nosec B608 # a pgbench script for the bench database: the table is a model's db_table, the rest constants
        "SELECT set_config('pghistory.context_id', gen_random_uuid()::text, true), "
        f"set_config('pghistory.context_metadata', '{metadata}', true) \\; "
        f'UPDATE "{table}" SET updated_at = now() WHERE id = :id;\n'
    )


def libpq_target() -> tuple[str, dict]:
    """The Django connection as a libpq connection string for pgbench (password in the environment)."""
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    params = connection.get_connection_params()
    keep = ("dbname", "user", "host", "port", "options", "sslmode")
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return make_conninfo(**{key: str(params[key]) for key in keep if params.get(key)}), env


def pgbench(script: Path, *, seconds: int) -> dict:
    target, env = libpq_target()
    command = ["pgbench", "-n", "-M", "simple", f"-c{PGBENCH_CLIENTS}", f"-j{PGBENCH_THREADS}", f"-T{seconds}"]
    command += ["-f", str(script), target]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, env=env)
    if done.returncode:
        raise RuntimeError(f"pgbench exited with {done.returncode}: {(done.stderr or done.stdout)[-800:]}")
    shown = " ".join(command[:-3] + ["-f", "<update.sql>", "<city database>"])
    return {"command": shown, **parse_pgbench(done.stdout)}


def measure_update(*, seconds: int = PGBENCH_SECONDS) -> dict:
    """TPS of the single-row UPDATE with the audit triggers on and off (runs in PGBENCH_ORDER)."""
    from django.db.models import Count, Max, Min
    from pghistory.models import Context

    from commitments.models import Commitment

    if not shutil.which("pgbench"):
        return {"error": "pgbench is not installed (apt-get install postgresql-client)"}
    span = Commitment.objects.aggregate(first=Min("pk"), last=Max("pk"), n=Count("pk"))
    if not span["n"] or span["last"] - span["first"] + 1 != span["n"]:
        return {"error": f"commitment ids are not contiguous ({span}): random ids would miss rows"}
    triggers = audit_triggers()
    result = {"runs": [], "clients": PGBENCH_CLIENTS, "threads": PGBENCH_THREADS, "seconds": seconds}
    try:
        set_audit(True, triggers)
        with tempfile.TemporaryDirectory(prefix="ketnghia-pgbench-") as folder:
            script = Path(folder) / "update.sql"
            script.write_text(pgbench_script(Commitment._meta.db_table, span["first"], span["last"]))
            for side in PGBENCH_ORDER:
                set_audit(side == "on", triggers)
                result["runs"].append({"audit": side, **pgbench(script, seconds=seconds)})
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:1500]
    finally:
        set_audit(True, triggers)
        result["events_removed"] = remove_contexts(Context.objects.filter(metadata__url=MARKER))
    runs = result["runs"]
    result["command"] = runs[0]["command"] if runs else ""
    for side in ("on", "off"):
        mine = [run for run in runs if run["audit"] == side and run["tps"]]
        # TPS of a side over all its runs: its transactions over its time (runs of equal length).
        result[side] = {"tps": round(sum(r["tps"] for r in mine) / len(mine), 1) if mine else None}
        result[side]["failed"] = sum(run["failed"] for run in runs if run["audit"] == side)
    if result["on"]["tps"] and result["off"]["tps"]:
        result["ratio"] = round(result["on"]["tps"] / result["off"]["tps"], 3)
    return result


# --- the progress-update POST -----------------------------------------------------------------


def without_history_middleware(client) -> None:
    """Build ``client``'s middleware stack now, without pghistory's HistoryMiddleware; it keeps it."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != HISTORY_MIDDLEWARE]):
        client.handler.load_middleware()


def post_progress(client, commitment: int, narrative: str) -> float:
    """GET the form (untimed) for its one-time token, then POST a report; the seconds the POST took."""
    action = f"/commitments/{commitment}/progress/new/"
    page = client.get(action)
    form = hidden_inputs(page.content.decode(), action)
    if page.status_code != 200 or "client_token" not in form:
        raise RuntimeError(f"GET {action} answered {page.status_code} without a one-time token")
    # Repeated reports soon pass the target: confirmed, as an officer would, so every POST saves.
    data = {
        **form,
        "achieved_quantity": "1",
        "achieved_value_vnd": "1000000",
        "narrative": narrative,
        "confirm_over_target": "on",
    }
    started = time.perf_counter()
    response = client.post(action, data)
    seconds = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"POST {action} answered {response.status_code}, not the redirect after saving")
    return seconds


def measure_post(officer, *, rounds: int = POST_ROUNDS, block: int = POST_BLOCK) -> dict:
    """p95 of the progress-update POST with the audit on and off, blocks alternated."""
    from django.apps import apps
    from pghistory.models import Context

    from commitments.models import Commitment, ProgressUpdate

    from .measure import signed_in_client, summary

    editable = Commitment.objects.editable_by(officer).order_by("pk")
    commitments = list(editable.values_list("pk", flat=True)[:POST_COMMITMENTS])
    if not commitments:
        return {"error": f"{officer} has no commitment to report on"}
    clients = {"on": signed_in_client(officer), "off": signed_in_client(officer)}
    without_history_middleware(clients["off"])
    run = f"{MARKER} {uuid.uuid4().hex[:8]}"
    times: dict[str, list[float]] = {"on": [], "off": []}
    triggers = audit_triggers()
    result: dict = {"rounds": rounds, "block": block, "user": officer.username}
    count = 0
    try:
        set_audit(True, triggers)
        for index in range(rounds):
            for side in ("on", "off") if index % 2 == 0 else ("off", "on"):
                set_audit(side == "on", triggers)
                # One untimed request after each switch: the first statements on a table whose
                # triggers changed rebuild its cached description.
                for timed in [False] + [True] * block:
                    count += 1
                    seconds = post_progress(clients[side], commitments[count % len(commitments)], f"{run} #{count}")
                    if timed:
                        times[side].append(seconds)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:1500]
    finally:
        set_audit(True, triggers)
        written = ProgressUpdate.objects.filter(narrative__startswith=run)
        ids = list(written.values_list("pk", flat=True))
        events = apps.get_model("commitments", "ProgressUpdateEvent").objects.filter(pgh_obj_id__in=ids)
        contexts = set(events.values_list("pgh_context_id", flat=True)) - {None}
        result["events_removed"] = remove_contexts(Context.objects.filter(pk__in=contexts))
        with ignoring_audit():
            result["updates_removed"] = written.delete()[0]
    for side in ("on", "off"):
        if times[side]:
            result[side] = summary(times[side])
    if times["on"] and times["off"]:
        result["ratio_p95"] = round(result["on"]["p95_ms"] / result["off"]["p95_ms"], 3)
        result["ratio_p50"] = round(result["on"]["p50_ms"] / result["off"]["p50_ms"], 3)
    return result


def measure_audit_overhead(officer, *, pgbench_seconds: int = PGBENCH_SECONDS, rounds: int = POST_ROUNDS) -> dict:
    result = {"update": measure_update(seconds=pgbench_seconds), "post": measure_post(officer, rounds=rounds)}
    result["audit_left_disabled"] = disabled_triggers()
    return result
