"""The base of the commitments view tests: the World built once per class, signing in, query-count checks."""

from django.test import TestCase

from tests import factories
from tests.assertions import count_queries
from tests.commitments import fixtures
from tests.signin import sign_in

HX = {"HTTP_HX_REQUEST": "true"}
MAX_QUERIES = 15


class WorldTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = fixtures.current_period()

    def login(self, user):
        sign_in(self.client, user)

    def assert_same_query_count(self, url, add_rows, *, expected, htmx=False, target=None):
        """The page costs ``expected`` queries with one row and with many (at most MAX_QUERIES)."""
        headers = HX if htmx else {}
        if target:
            headers = {**headers, "HTTP_HX_TARGET": target}
        self.client.get(url, **headers)  # warm per-process caches (content types, translations)
        with count_queries() as one:
            response = self.client.get(url, **headers)
        self.assertEqual(response.status_code, 200)
        add_rows()
        with count_queries() as many:
            response = self.client.get(url, **headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(one.captured_queries), len(many.captured_queries), [q["sql"] for q in many])
        self.assertLessEqual(len(many.captured_queries), MAX_QUERIES)
        self.assertEqual(len(many.captured_queries), expected)
