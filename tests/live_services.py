"""Helpers for tests that start real processes (Celery workers, gunicorn, nginx) against the test database.

Those processes cannot share the test's connection: they are handed the pytest database as a
``DATABASE_URL`` and a Redis database of their own, and the tests wait on rows the processes write.
"""

import os
import socket
import time
from pathlib import Path
from urllib.parse import quote, urlparse, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from reports.models import Report

ROOT = Path(__file__).resolve().parents[1]


def redis_db_url(url: str, db: int) -> str:
    """``url`` pointed at Redis database ``db`` of the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def database_url() -> str:
    """The pytest database, as a DATABASE_URL another process understands."""
    params = connection.settings_dict
    auth = quote(params["USER"] or "")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"])
    host = params["HOST"] or ""
    if host.startswith("/"):
        return f"postgresql://{auth}@/{params['NAME']}?host={quote(host)}"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgresql://{auth}@{host}{port}/{params['NAME']}"


def wait_for(report: Report, statuses: set[str], deadline: float, log: Path | None = None) -> Report:
    """Poll ``report`` until its status is one of ``statuses``; past ``deadline``, fail with the log's tail."""
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in statuses:
            return report
        time.sleep(0.05)
    details = log.read_text(errors="replace")[-3000:] if log else ""
    raise AssertionError(f"report {report.pk} still {report.status}\n{details}")


def stored_pdfs() -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / "reports").rglob("*.pdf"))


def service_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def require(condition: bool, what: str) -> None:
    """Integration tests need real services. Locally a missing one skips; in CI it fails loudly."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {what} is not available: integration tests must run in CI", pytrace=False)
    pytest.skip(f"{what} is not available")
