"""The dashboard page: its map sent once, its fragment light, its cache never stale, its queries fixed."""

import contextlib
import datetime
import gzip
import logging
import re
import uuid
from unittest import mock

import psycopg
import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from commitments.models import Commitment, ProgressUpdate
from commitments.services import return_progress, save_commitment, submit_progress, verify_progress
from communes import maps
from communes.models import Commune
from partnerships.models import Activity, Membership, Partnership
from partnerships.services import add_member, log_activity, remove_member, update_partnership
from reports import summary
from reports.figures import Scope
from reports.summary import cached_summary, current_versions, load_summary
from tests import factories
from tests.assertions import count_queries
from tests.reports.programme import Programme
from tests.signin import sign_in

HTMX = {"HX-Request": "true"}
URL = "/"


def shape_ids(content: str) -> list[str]:
    return re.findall(r'<path id="dashboard-shape-(\w+)"', content)


class DashboardMapTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.on_the_map = factories.commune(code="20194", name="Hải Vân", kind=Commune.Kind.WARD)

    def setUp(self):
        sign_in(self.client, self.programme.world.city)

    def test_the_page_draws_each_outline_once_and_the_map_uses_them(self):
        content = self.client.get(URL).content.decode()
        shapes = shape_ids(content)
        self.assertEqual(len(shapes), 94)  # every unit of the boundary file, once
        self.assertEqual(len(set(shapes)), 94)
        figures = content[content.index('<div id="figures"') :]
        self.assertNotIn('<path id="dashboard-shape-', figures)  # the outlines are outside the fragment
        self.assertEqual(figures.count('<use href="#dashboard-shape-'), 94)
        # Without JavaScript the map is complete: a link per unit with a text alternative, a title and
        # a description listing the counts.
        self.assertIn(f'<a href="{reverse("communes:commune_detail", args=["20194"])}" aria-label="Hải Vân – ', content)
        self.assertIn('aria-labelledby="dashboard-map-title dashboard-map-desc"', content)
        self.assertIn("Chưa kết nghĩa (1)", content)

    def test_the_fragment_colours_the_map_without_its_outlines(self):
        page = self.client.get(URL).content
        fragment = self.client.get(URL, {"border": "no"}, headers=HTMX).content
        content = fragment.decode()
        self.assertTrue(content.lstrip().startswith('<div id="figures"'))
        self.assertEqual(shape_ids(content), [])
        self.assertIn('<use href="#dashboard-shape-20194" class="unit unit--', content)
        self.assertIn("unit--outside_filter", content)  # units outside the filter are greyed
        # The outlines are the bulk of the page; the fragment stays far under P7's 15 KB.
        self.assertLess(len(gzip.compress(fragment)), 8_000)
        self.assertLess(len(gzip.compress(fragment)), len(gzip.compress(page)) / 3)

    def test_the_health_of_partnerships_is_shown(self):
        response = self.client.get(URL)
        self.assertContains(response, "Theo mức độ tiến độ")
        tallies = {t.key: t.count for t in response.context["view"].figures.partnerships_by_health}
        self.assertEqual(sum(tallies.values()), Partnership.objects.count())

    def test_the_missing_boundaries_warning_is_logged_once_per_process(self):
        maps._REPORTED_UNKNOWN.clear()
        units = [maps.MapUnit(code="99999", name="Ngoài bản đồ", category="x")]
        categories = [maps.MapCategory("x", "X", "#fff")]
        with self.assertLogs("communes.maps", logging.WARNING) as logged:
            for _ in range(3):
                maps.render_coverage_map(units, categories, boundaries_path=django_settings.BOUNDARIES_GEOJSON)
        self.assertEqual(len(logged.output), 1)
        self.assertIn("no boundary for 1 unit codes: 99999", logged.output[0])
        # The dashboard asks only for units the map can draw: it never logs it at all.
        self.client.get(URL)
        with self.assertNoLogs("communes.maps", logging.WARNING):
            maps._REPORTED_UNKNOWN.clear()
            self.client.get(URL)


class SummaryStatementTests(TestCase):
    """The summary's statements are built once per scope and day, and run afresh every time."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_a_statement_built_once_reads_every_later_write(self):
        summary.load_summary(Scope())  # builds the statements, or finds them built
        reused = summary._statements.cache_info().hits
        before = summary.load_summary(Scope())
        self.assertEqual(summary._statements.cache_info().hits, reused + 1)
        world = self.programme.world
        factories.commitment(
            partnership=world.partnership, start_on=datetime.date(2025, 1, 1), due_on=datetime.date(2025, 1, 31)
        )
        after = summary.load_summary(Scope())
        self.assertEqual(summary._statements.cache_info().hits, reused + 2)
        self.assertEqual(after.commitment_total, before.commitment_total + 1)
        self.assertEqual(after.overdue_count, before.overdue_count + 1)
        self.assertEqual(after.overdue[0].due_on, datetime.date(2025, 1, 31))  # the oldest overdue now

    def test_a_day_read_again_after_midnight_leaves_out_what_was_verified_since(self):
        """As of today, progress comes from the totals kept on each commitment; once that day is past it
        must come from the reports verified by then. The statements are built per current day too."""
        day = timezone.localdate()
        zone = timezone.get_current_timezone()
        with time_machine.travel(datetime.datetime.combine(day, datetime.time(22), tzinfo=zone), tick=False) as clock:
            on_the_day = summary.load_summary(Scope(), today=day)
            clock.move_to(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(9), tzinfo=zone))
            verify_progress(update=self.programme.pending, reviewer=self.programme.world.city)
            self.assertEqual(summary.load_summary(Scope(), today=day), on_the_day)
            next_day = summary.load_summary(Scope())
        self.assertGreater(next_day.progress_percent, on_the_day.progress_percent)  # the verified report counts


class DashboardQueryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def setUp(self):
        sign_in(self.client, self.programme.world.city)

    def measure(self) -> tuple[int, int, int]:
        """Queries of an uncached page, the same page cached, and an uncached htmx fragment."""
        caches["dashboard"].clear()
        with count_queries() as uncached:
            self.client.get(URL)
        with count_queries() as cached:
            response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        caches["dashboard"].clear()
        with count_queries() as fragment:
            self.client.get(URL, {"mountainous": "yes"}, headers=HTMX)
        return len(uncached), len(cached), len(fragment)

    def test_query_counts_are_fixed_cached_or_not(self):
        self.client.get(URL)  # warm per-process caches (content types, the boundary file)
        few = self.measure()
        world = self.programme.world
        for index in range(10):
            partnership = factories.partnership(supported=factories.commune(former_district=f"Huyện {index}"))
            factories.commitment(partnership=partnership, due_on=datetime.date(2025, 12, 1))
            factories.activity(partnership=partnership)
        factories.commitment(partnership=world.partnership, due_on=datetime.date(2025, 10, 1))
        many = self.measure()
        self.assertEqual(few, many)
        uncached, cached, fragment = many
        self.assertLessEqual(uncached, 15)
        self.assertLessEqual(fragment, 15)
        self.assertLess(cached, uncached - 5)  # a cached page reads the counter, not the figures

    def test_a_cached_page_reads_the_cache_and_not_the_figures(self):
        self.client.get(URL)
        with count_queries() as cached:
            self.client.get(URL)
        statements = " ".join(query["sql"] for query in cached.captured_queries)
        self.assertIn("core_change_counter", statements)
        self.assertNotIn("commitments_commitment", statements)


@contextlib.contextmanager
def stored_in_cache():
    """The keys the dashboard cache holds, among those written while the block runs (a write with
    timeout 0, as ``{% cache %}`` makes for refused filters, stores nothing)."""
    cache = caches["dashboard"]
    written = []

    def recording(method):
        def write(key, value, timeout=DEFAULT_TIMEOUT, version=None):
            written.append(key)
            return method(key, value, timeout, version=version)

        return write

    stored = set()
    with mock.patch.object(cache, "add", recording(cache.add)), mock.patch.object(cache, "set", recording(cache.set)):
        yield stored
    stored.update(key for key in written if cache.has_key(key))


class DashboardRenderedCacheTests(TestCase):
    """The filters and the figures fragment are cached as HTML: never shared across roles or languages."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_staff_and_leadership_get_their_own_fragment(self):
        world = self.programme.world
        sign_in(self.client, world.city)
        self.assertContains(self.client.get(URL), reverse("commitments:review_queue") + '">')
        sign_in(self.client, world.leader)
        content = self.client.get(URL).content.decode().split("mainnav")[-1]
        self.assertNotIn(reverse("commitments:review_queue") + '"', content)
        self.assertIn("Báo cáo tiến độ chờ xác nhận", content)

    def test_each_language_gets_its_own_html(self):
        sign_in(self.client, self.programme.world.city)
        self.assertContains(self.client.get(URL), "Cam kết theo lĩnh vực")
        self.client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        response = self.client.get(URL)
        self.assertNotContains(response, "Cam kết theo lĩnh vực")
        self.assertNotContains(response, "Quận/huyện cũ")  # the filters too
        self.assertContains(response, "By health")

    def test_filter_values_the_form_refuses_create_no_cache_entry(self):
        sign_in(self.client, self.programme.world.city)
        with stored_in_cache() as known:
            self.client.get(URL)
        self.assertEqual(len(known), 6)  # districts, the summary's two parts, the filters', figures' and map's HTML
        for query in ({"former_district": "Không có"}, {"border": "x"}, {"mountainous": "có"}, {"as_of": "2099-01-01"}):
            with stored_in_cache() as added:
                response = self.client.get(URL, query)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "field__error")  # shown with its message, not served from the cache
            self.assertEqual(response.context["view"].figures.partnership_total, Partnership.objects.count())
            self.assertEqual(added, set(), query)  # the whole-city summary and figures were reused
        with stored_in_cache() as added:
            self.client.get(URL, {"former_district": "Nam Giang"})
        self.assertEqual(len(added), 5)  # its summary's two parts, its filters', figures' and map's HTML

    def test_a_cached_fragment_is_served_without_rendering_it_again(self):
        sign_in(self.client, self.programme.world.city)
        first = self.client.get(URL, headers=HTMX).content
        with mock.patch("reports.views.coverage_map", side_effect=AssertionError("rendered again")):
            again = self.client.get(URL, headers=HTMX).content
        self.assertEqual(again, first)


class DashboardAsOfTests(TestCase):
    """The "Số liệu đến ngày" picker: the dashboard as it stood at the end of a past day."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def setUp(self):
        sign_in(self.client, self.programme.world.city)

    def test_a_past_day_shows_the_figures_of_that_day(self):
        q3_cutoff = self.programme.q3.ends_on  # 14/09/2025: the verified work of quý IV had not happened
        response = self.client.get(URL, {"as_of": q3_cutoff.isoformat()})
        shown = response.context["view"].figures
        self.assertEqual(shown, load_summary(Scope(), today=q3_cutoff))
        self.assertEqual(shown.as_of, q3_cutoff)
        self.assertNotEqual(shown, load_summary(Scope()))
        self.assertContains(response, "Đang xem số liệu đến hết ngày 14/09/2025")
        self.assertContains(response, 'name="as_of" value="2025-09-14"')
        fragment = self.client.get(URL, {"as_of": q3_cutoff.isoformat()}, headers=HTMX)
        self.assertContains(fragment, "Đang xem số liệu đến hết ngày 14/09/2025")

    def test_today_is_the_default(self):
        response = self.client.get(URL)
        self.assertEqual(response.context["view"].figures.as_of, timezone.localdate())
        self.assertNotContains(response, "Đang xem số liệu đến hết ngày")

    def test_a_future_or_malformed_day_is_refused_in_vietnamese_and_kept(self):
        tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        response = self.client.get(URL, {"as_of": tomorrow, "border": "no"})
        self.assertEqual(response.context["view"].figures.as_of, timezone.localdate())
        self.assertContains(response, "Chỉ xem được số liệu đến hôm nay, không xem trước ngày tương lai.")
        self.assertContains(response, f'name="as_of" value="{tomorrow}"')
        response = self.client.get(URL, {"as_of": "14/13/2025"})
        self.assertContains(response, "Nhập một ngày hợp lệ")
        self.assertEqual(response.context["view"].figures.as_of, timezone.localdate())

    def test_queries_do_not_grow_with_rows_on_a_past_day(self):
        query = {"as_of": self.programme.q4.ends_on.isoformat()}
        self.client.get(URL)  # the signed-in user is read once, then from the cache (accounts.backends)
        caches["dashboard"].clear()
        with count_queries() as few:
            self.client.get(URL, query)
        for _ in range(3):
            partnership = factories.partnership()
            factories.commitment(partnership=partnership)
            factories.activity(partnership=partnership, occurred_on=datetime.date(2025, 10, 1))
        caches["dashboard"].clear()
        with count_queries() as many:
            self.client.get(URL, query)
        self.assertEqual(len(few), len(many))


def figures(client, **query):
    """The figures the page was rendered with, after checking that its (possibly cached) HTML shows them."""
    response = client.get(URL, query)
    assert response.status_code == 200
    shown = response.context["view"].figures
    content = response.content.decode()
    assert f"{shown.commitment_total} cam kết · tiến độ bình quân {shown.progress_percent}%" in content
    assert overdue_shown(content) == shown.overdue_count
    return shown


def overdue_shown(content: str) -> int:
    """The "Cam kết quá hạn" figure of the rendered page."""
    return int(
        re.search(r'<span class="stat__value">(\d+)</span>\s*<span class="stat__label">Cam kết quá hạn', content)[1]
    )


class DashboardCacheInvalidationTests(TransactionTestCase):
    """Writes commit here (TransactionTestCase): the counter moves at COMMIT, as in production."""

    def setUp(self):
        self.world = factories.World.build()
        sign_in(self.client, self.world.city)

    def assert_fresh(self, before, after, what: str):
        self.assertNotEqual(before, after, f"{what}: the dashboard still shows the old figures")
        # …and exactly what a computation from scratch gives, i.e. nothing stale mixed in.
        self.assertEqual(after, load_summary(after.scope), what)

    def test_every_write_path_changes_the_next_page(self):
        world = self.world
        steps = []

        def step(what, write, **query):
            before = figures(self.client, **query)
            self.assertEqual(figures(self.client, **query), before)  # served from the cache
            write()
            steps.append(what)
            self.assert_fresh(before, figures(self.client, **query), what)

        state = {}
        step(
            "submit_progress",
            lambda: state.update(
                update=submit_progress(
                    commitment=world.commitment, author=world.officer, narrative="Đã khởi công", achieved_quantity=1
                )
            ),
        )
        step(
            "return_progress", lambda: return_progress(update=state["update"], reviewer=world.city, reason="Thiếu ảnh")
        )
        second = {}
        step(
            "submit again",
            lambda: second.update(
                update=submit_progress(
                    commitment=world.commitment, author=world.officer, narrative="Bổ sung", achieved_quantity=2
                )
            ),
        )
        step("verify_progress", lambda: verify_progress(update=second["update"], reviewer=world.city))

        def overdue_by_edit():
            commitment = Commitment.objects.get(pk=world.other_commitment.pk)
            commitment.start_on = datetime.date(2025, 1, 1)
            commitment.due_on = datetime.date(2025, 6, 30)
            save_commitment(commitment=commitment, editor=world.city, reason="Lùi thời hạn")

        step("save_commitment", overdue_by_edit)
        newcomer = factories.commune(name="Hòa Ninh", programme_role=Commune.ProgrammeRole.SUPPORTING)
        membership = Membership(partnership=world.partnership, commune=newcomer, role=Membership.Role.CO_SUPPORTER)
        step("add_member", lambda: add_member(membership=membership, user=world.city))
        step("remove_member", lambda: remove_member(membership=membership, user=world.city))

        def suspend():
            partnership = Partnership.objects.get(pk=world.other_partnership.pk)
            partnership.status = Partnership.Status.SUSPENDED
            members = [(m.commune, m.role) for m in partnership.memberships.select_related("commune")]
            update_partnership(partnership=partnership, members=members, user=world.city)

        step("update_partnership (status)", suspend)
        activity = Activity(kind=Activity.Kind.HANDOVER, occurred_on=timezone.localdate(), title="Trao 50 suất quà")
        step(
            "log_activity",
            lambda: log_activity(activity=activity, partnership=world.partnership, user=world.city),
        )
        step(
            "bulk update (queryset)",
            lambda: Commitment.objects.update(completed_on=datetime.date(2025, 12, 1)),
        )

        def raw_sql():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE communes_commune SET is_mountainous = NOT COALESCE(is_mountainous, false)")

        step("raw SQL on units", raw_sql, mountainous="yes")
        self.assertEqual(len(steps), 11)

    def test_each_counter_moves_with_its_own_tables(self):
        pairing_tables = [
            "communes_commune",
            "partnerships_partnership",
            "partnerships_membership",
            "partnerships_statuschange",
            "partnerships_activity",
        ]
        for table in [*pairing_tables, "commitments_field", "commitments_commitment", "commitments_progressupdate"]:
            with self.subTest(table):
                before = current_versions()
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {table} WHERE false")  # statement triggers fire all the same
                after = current_versions()
                self.assertNotEqual(after.figures, before.figures)
                self.assertEqual(after.pairing != before.pairing, table in pairing_tables)

    def test_a_progress_report_recomputes_the_figures_but_keeps_the_map(self):
        """Officers report progress all day: only what reads commitments and progress is computed again."""
        before = figures(self.client)
        pairing = current_versions().pairing
        submit_progress(
            commitment=self.world.commitment, author=self.world.officer, narrative="Đã khởi công", achieved_quantity=1
        )
        self.assertEqual(current_versions().pairing, pairing)
        with (
            mock.patch("reports.summary.load_pairing", side_effect=AssertionError("pairing computed again")),
            mock.patch("reports.views.coverage_map", side_effect=AssertionError("map rendered again")),
        ):
            after = figures(self.client)
        self.assert_fresh(before, after, "submit_progress")
        self.assertEqual(after.awaiting_verification, before.awaiting_verification + 1)

    def test_the_counter_moves_once_per_committed_transaction_and_not_on_rollback(self):
        start = current_versions().figures
        with transaction.atomic():
            for index in range(5):
                factories.activity(partnership=self.world.partnership, title=f"Hoạt động {index}")
            ProgressUpdate.objects.update(narrative="…")
        epoch, number = start.split(":")
        self.assertEqual(current_versions().figures, f"{epoch}:{int(number) + 1}")
        with self.assertRaises(RuntimeError), transaction.atomic():
            factories.activity(partnership=self.world.partnership)
            raise RuntimeError
        self.assertEqual(current_versions().figures, f"{epoch}:{int(number) + 1}")

    def test_a_write_from_another_connection_is_seen_by_the_next_request(self):
        """Another gunicorn worker is another connection: its commit must invalidate our cache too."""
        before = figures(self.client)
        settings_dict = connection.settings_dict
        with psycopg.connect(
            dbname=settings_dict["NAME"],
            user=settings_dict["USER"],
            host=settings_dict["HOST"],
            port=settings_dict["PORT"] or 5432,
            autocommit=True,
        ) as other:
            other.execute("UPDATE commitments_commitment SET due_on = '2025-06-30', start_on = '2025-01-01'")
        self.assert_fresh(before, figures(self.client), "another connection's UPDATE")
        self.assertEqual(figures(self.client).overdue_count, 2)

    def test_the_day_is_part_of_the_key(self):
        versions = current_versions()
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        due = commitment.due_on
        today = cached_summary(versions, Scope(), today=due)
        tomorrow = cached_summary(versions, Scope(), today=due + datetime.timedelta(days=1))
        self.assertEqual(today.overdue_count, 0)
        # Same counter, next day: the commitments due today are overdue now.
        self.assertEqual(tomorrow.overdue_count, Commitment.objects.filter(due_on=due).count())
        self.assertGreater(tomorrow.overdue_count, 0)

    def test_the_page_changes_at_midnight_without_a_write(self):
        """The fragments' keys hold the day too: the same counter shows the next day's overdue count."""
        due = Commitment.objects.get(pk=self.world.commitment.pk).due_on
        zone = timezone.get_current_timezone()
        evening = datetime.datetime.combine(due, datetime.time(23, 59), tzinfo=zone)
        with time_machine.travel(evening, tick=False) as clock:
            sign_in(self.client, self.world.city)  # a session from the real today would not be valid then
            versions = current_versions()
            on_the_day = figures(self.client)
            clock.move_to(evening + datetime.timedelta(minutes=2))
            next_day = figures(self.client)
            self.assertEqual(current_versions(), versions)
        self.assertEqual(on_the_day.overdue_count, 0)
        self.assertEqual(next_day.overdue_count, Commitment.objects.filter(due_on=due).count())
        self.assertGreater(next_day.overdue_count, 0)


class DashboardCacheOutageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_a_cache_outage_computes_the_figures_directly(self):
        sign_in(self.client, self.programme.world.city)
        unreachable = {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
        with (
            self.settings(CACHES={**django_settings.CACHES, "dashboard": unreachable}),
            self.assertLogs("core.cache", logging.WARNING) as logged,
        ):
            response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["view"].figures.awaiting_verification, 1)
        self.assertContains(response, "Báo cáo tiến độ chờ xác nhận")  # the fragments are rendered too
        self.assertIn("cache unavailable", logged.output[0])


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_redis_shares_the_figures_between_processes_and_a_commit_invalidates_them(client, redis_url, settings):
    """Two workers = two cache clients on one Redis: what one stores the other reads, until a commit."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **django_settings.CACHES,
        "dashboard": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": redis_url, "KEY_PREFIX": prefix},
    }
    world = factories.World.build()
    sign_in(client, world.city)
    first = figures(client)
    # Another client of the same Redis (as in another process) finds the entries the request stored.
    other_worker = redis.Redis.from_url(redis_url)
    stored = other_worker.keys(f"{prefix}:*")
    assert len(stored) == 6  # the districts, the two parts of the summary, the filters', figures' and map's HTML
    assert any(current_versions().figures.encode() in key for key in stored)
    with count_queries() as cached:
        assert figures(client) == first
    assert not any("commitments_commitment" in q["sql"] for q in cached.captured_queries)
    Commitment.objects.filter(pk=world.commitment.pk).update(target_value_vnd=165_000_000)
    assert figures(client).target_value_vnd == first.target_value_vnd + 5_000_000
    other_worker.delete(*other_worker.keys(f"{prefix}:*"))
