"""core.cache.FailOpenRedisCache: Django's Redis cache, except that an unreachable Redis is a miss."""

import logging
import uuid
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from redis import Redis

from core.cache import RETRY_SECONDS, FailOpenRedisCache

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens there


def unreachable() -> FailOpenRedisCache:
    return FailOpenRedisCache(NOWHERE, {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}})


def test_an_unreachable_redis_reads_as_empty_and_drops_writes(caplog):
    cache = unreachable()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("key", "default") == "default"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("key", 1) is False
        cache.set("key", 1)
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert cache.get_or_set("key", lambda: "computed") == "computed"
    assert "cache unavailable" in caplog.text


def test_after_an_error_redis_is_left_alone_for_a_while(caplog):
    cache = unreachable()
    with mock.patch("core.cache.time.monotonic", return_value=1000.0) as clock, caplog.at_level(logging.WARNING):
        cache.get("key")
        cache.get("key")
        cache.set("key", 1)
        assert len(caplog.records) == 1  # one timeout for the request, not one per call
        clock.return_value = 1000.0 + RETRY_SECONDS
        cache.get("key")
        assert len(caplog.records) == 2  # asked again once the interval has passed


@pytest.mark.integration
def test_a_reachable_redis_is_django_s_redis_cache(redis_url):
    cache = FailOpenRedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    assert cache.get_or_set("key", lambda: {"figures": 1}, 60) == {"figures": 1}
    assert cache.get_or_set("key", lambda: {"figures": 2}, 60) == {"figures": 1}
    cache.delete("key")
    assert cache.get("key") is None


@pytest.mark.integration
def test_clear_deletes_this_cache_s_keys_and_nothing_else(redis_url):
    """Celery's queues share the database: clearing the dashboard cache must not empty them (FLUSHDB)."""
    mine = FailOpenRedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    other = FailOpenRedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    queue = f"test-queue-{uuid.uuid4().hex}"  # a key without a cache prefix, as Celery's are
    raw = Redis.from_url(redis_url)
    try:
        raw.rpush(queue, "message")
        mine.set_many({f"key-{n}": n for n in range(1200)}, 60)  # more than one SCAN batch
        other.set("key-1", "kept", 60)
        mine.clear()
        assert mine.get_many([f"key-{n}" for n in range(1200)]) == {}
        assert other.get("key-1") == "kept"
        assert raw.lrange(queue, 0, -1) == [b"message"]
    finally:
        raw.delete(queue)
        other.delete("key-1")
        raw.close()


def test_clear_without_a_key_prefix_is_refused():
    with pytest.raises(ImproperlyConfigured):
        unreachable().clear()
