"""reports.summary's in-process memo: what a process read from the dashboard cache, served again while
the change counter stays put, and never longer than the cache itself would serve it.

(The memo is part of reports/summary.py; its tests have their own file because test_summary.py compares
figures with CityFigures.) The dashboard's cache tests run here once more with the memo on.
"""

import time
from unittest import mock

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from django.utils import timezone

import tests.reports.test_dashboard as dashboard_tests
from reports.summary import _cached, memo

KEY = "dashboard:epoch:7:vi:2025-11-20:parts"
NEXT_KEY = "dashboard:epoch:8:vi:2025-11-20:parts"  # the same figures' name after a write


@pytest.fixture(autouse=True)
def memo_on(settings):
    settings.CACHES = dashboard_tests.LOCMEM
    settings.DASHBOARD_MEMO_ENTRIES = 16
    caches["dashboard"].clear()
    memo.clear()
    yield
    memo.clear()


class Computed:
    """A compute() that counts its calls and returns a new object each time."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"call": self.calls}


def test_a_key_read_once_is_served_again_without_the_cache():
    compute = Computed()
    first = _cached(KEY, compute)

    with mock.patch.object(LocMemCache, "get_many", side_effect=AssertionError("cache read")):
        again = _cached(KEY, compute)

    assert again is first
    assert compute.calls == 1


def test_an_entry_another_process_stored_is_read_once_then_kept():
    caches["dashboard"].set(KEY, {"from": "another process"})

    with mock.patch.object(LocMemCache, "get_many", wraps=caches["dashboard"].get_many) as reads:
        assert _cached(KEY, Computed()) == {"from": "another process"}
        assert _cached(KEY, Computed()) == {"from": "another process"}

    assert reads.call_count == 1


def test_a_moved_counter_asks_the_cache_again():
    _cached(KEY, Computed())
    caches["dashboard"].set(NEXT_KEY, {"after": "the write"})

    assert _cached(NEXT_KEY, Computed()) == {"after": "the write"}


def test_reused_recent_figures_are_kept_only_while_the_cache_would_reuse_them(settings):
    settings.DASHBOARD_REUSE_SECONDS = 5
    never = mock.Mock(side_effect=AssertionError("computed again"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _cached(KEY, Computed(), reuse_recent=True)

        clock.shift(4)
        reused = _cached(NEXT_KEY, never, reuse_recent=True)
        assert reused == {"call": 1}
        with mock.patch.object(LocMemCache, "get_many", side_effect=AssertionError("cache read")):
            assert _cached(NEXT_KEY, never, reuse_recent=True) is reused

        clock.shift(1.5)  # 5.5 s after the computation: neither the cache nor the memo reuse it
        fresh = Computed()
        assert _cached(NEXT_KEY, fresh, reuse_recent=True) == {"call": 1}
        assert fresh.calls == 1


def test_the_memo_holds_a_bounded_number_of_entries_least_recently_used_first(settings):
    settings.DASHBOARD_MEMO_ENTRIES = 3
    for name in "abcd":
        memo.put(name, name)
        if name == "c":
            memo.get("a")  # used again: "b" is now the oldest

    assert [memo.get(name) for name in "abcd"] == ["a", memo.MISSING, "c", "d"]


def test_zero_entries_turns_the_memo_off(settings):
    settings.DASHBOARD_MEMO_ENTRIES = 0
    compute = Computed()
    _cached(KEY, compute)
    caches["dashboard"].clear()

    _cached(KEY, compute)

    assert compute.calls == 2


def test_figures_the_cache_could_not_store_are_not_kept_either():
    compute = Computed()
    with mock.patch.object(LocMemCache, "set_many", side_effect=ConnectionError("down")):
        _cached(KEY, compute)

    _cached(KEY, compute)

    assert compute.calls == 2


def test_a_failing_cache_is_bypassed_and_nothing_is_kept():
    compute = Computed()
    with mock.patch.object(LocMemCache, "get_many", side_effect=ConnectionError("down")):
        _cached(KEY, compute)

    assert memo.get(KEY) is memo.MISSING


def test_the_deadline_uses_the_time_the_figures_were_computed():
    memo.put(KEY, "recent", deadline=time.time() - 1)

    assert memo.get(KEY) is memo.MISSING


# --- The dashboard's own cache tests, with the memo on ---------------------------------------------


def clear_cache_and_memo(cache):
    """What these tests mean by clearing the cache: no figures left anywhere, memo included."""
    cache._cache.clear()
    cache._expire_info.clear()
    memo.clear()


class MemoOn:
    def setUp(self):
        patcher = mock.patch.object(LocMemCache, "clear", autospec=True, side_effect=clear_cache_and_memo)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(memo.clear)
        super().setUp()


@override_settings(DASHBOARD_MEMO_ENTRIES=16)
class DashboardQueryWithMemoTests(MemoOn, dashboard_tests.DashboardQueryTests):
    pass


@override_settings(DASHBOARD_MEMO_ENTRIES=16)
class DashboardCacheInvalidationWithMemoTests(MemoOn, dashboard_tests.DashboardCacheInvalidationTests):
    pass
