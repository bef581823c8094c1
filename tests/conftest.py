import os
import socket
from urllib.parse import urlparse

import pytest

from tests import factories


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
