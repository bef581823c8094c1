"""A Redis cache for content that can always be computed again: an unreachable Redis is a miss.

The dashboard's figures and rendered fragments (reports/summary.py, ``{% cache %}`` in
templates/reports/dashboard.html) live in Redis, shared by every worker. Django's own Redis backend
raises when Redis is down or hangs, which would turn a cache outage into a failing page; this one
logs the error and answers as an empty cache would (reads miss, writes are dropped), so the page is
computed directly. Configured as a cache backend (settings ``CACHES``), it covers ``cache.get_or_set``
and the ``{% cache %}`` tag alike.
"""

from __future__ import annotations

import logging
import time
from itertools import batched

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After an error this cache client leaves Redis alone for this long: a Redis that hangs then costs a
# request one socket timeout, not one per cache call.
RETRY_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    """Django's ``RedisCache``; while Redis is unreachable, a read returns its default, a write does
    nothing (``add`` answers False), and the error is logged once per ``RETRY_SECONDS``."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.unavailable_until = 0.0  # time.monotonic() before which Redis is not asked
        # Django's Redis client writes to the first server of the list; ``clear`` deletes there too.
        self.primary_url = server[0] if isinstance(server, list | tuple) else server.split(",")[0]
        self.socket_options = {k: v for k, v in params.get("OPTIONS", {}).items() if k.startswith("socket_")}

    def _attempt(self, call, fallback, *args, **kwargs):
        if time.monotonic() < self.unavailable_until:
            return fallback
        try:
            return call(*args, **kwargs)
        except RedisError:
            self.unavailable_until = time.monotonic() + RETRY_SECONDS
            logger.warning("cache unavailable, computing without it for %s s", RETRY_SECONDS, exc_info=True)
            return fallback

    def get(self, key, default=None, version=None):
        return self._attempt(super().get, default, key, default, version=version)

    def get_many(self, keys, version=None):
        return self._attempt(super().get_many, {}, keys, version=version)

    def has_key(self, key, version=None):
        return self._attempt(super().has_key, False, key, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().add, False, key, value, timeout, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().set, None, key, value, timeout, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().set_many, list(data), data, timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().touch, False, key, timeout, version=version)

    def delete(self, key, version=None):
        return self._attempt(super().delete, False, key, version=version)

    def delete_many(self, keys, version=None):
        return self._attempt(super().delete_many, None, keys, version=version)

    def clear(self):
        """Delete this cache's keys only. The Redis database is shared with Celery's queues, which
        Django's ``clear`` (FLUSHDB) would empty too; so the keys are found by this cache's prefix."""
        if not self.key_prefix:
            raise ImproperlyConfigured("FailOpenRedisCache.clear needs a KEY_PREFIX: the database is shared.")

        def delete_own_keys():
            client = Redis.from_url(self.primary_url, **self.socket_options)
            with client:
                for keys in batched(client.scan_iter(match=f"{self.key_prefix}:*", count=500), 500):
                    client.delete(*keys)

        return self._attempt(delete_own_keys, None)


# Change counters (core_change_counter) read outside the reports app, by the tables they cover; the
# reports migrations create them and their triggers.
PAIRING_COUNTER = "pairing"  # units, partnerships, members, statuses, activities (0005_pairing_counter)
FILTER_CHOICES_COUNTER = "filter_choices"  # units, fields, reporting periods (0006_filter_choices_counter)


def change_version(name: str) -> str | None:
    """The change counter ``name`` as "epoch:n", or None without one: a key part for what is cached
    from the tables it covers. Triggers bump it when a write to one of them commits
    (reports/migrations/0004_change_counter.py); the epoch changes when a backup is restored."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT epoch, value FROM core_change_counter WHERE name = %s", [name])
        row = cursor.fetchone()
    return f"{row[0].hex}:{row[1]}" if row else None
