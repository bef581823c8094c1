import os
import uuid

import pytest

from tests import factories
from tests.live_services import require, service_reachable


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    require(bool(url) and service_reachable(url), "Redis (REDIS_URL)")
    return url


@pytest.fixture
def chromium_path():
    path = "/usr/bin/chromium"
    require(os.path.exists(path), "Chromium (/usr/bin/chromium)")
    return path


@pytest.fixture
def world(db):
    """A small, complete programme: two partnerships, their members, officers and the other roles."""
    return factories.World.build()


@pytest.fixture(autouse=True)
def vietnamese_by_default():
    """Each test starts in Vietnamese: a request in English earlier in the run must not leak into it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# The fault-injection suite (tests/chaos) starts its own Redis, workers and gunicorn and takes minutes:
# `make chaos` runs it (RUN_CHAOS=1); `make test` does not collect it at all rather than skip it.
collect_ignore = [] if os.environ.get("RUN_CHAOS") == "1" else ["chaos"]


class SecurityLog:
    """What the configured ``portal.security`` handler wrote: its text, its lines, the parsed events."""

    def __init__(self, stream):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return self.text.splitlines()

    def events(self, event: str | None = None, outcome: str | None = None) -> list[dict]:
        import json

        parsed = [json.loads(line) for line in self.lines()]
        return [
            e for e in parsed if (event is None or e["event"] == event) and (outcome is None or e["outcome"] == outcome)
        ]

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def security_log():
    """The security event log as production writes it (LOGGING's ``security`` handler and its JSON
    formatter), captured in memory instead of stderr for the duration of the test."""
    import io
    import logging

    handler = next(h for h in logging.getLogger("portal.security").handlers if h.name == "security")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield SecurityLog(stream)
    handler.setStream(previous)


@pytest.fixture(autouse=True)
def empty_caches(settings):
    """Each test starts with empty caches: its own key prefix on every cache. The dashboard's keys carry
    the change counter, which only a COMMIT moves: a test's writes roll back, so the next test could
    otherwise read its figures. Not cache.clear(): on Redis that empties the whole database, the Celery
    broker's queues and bindings included."""
    run = uuid.uuid4().hex
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}-test-{run}"}
        for alias, config in settings.CACHES.items()
    }
