"""No query string makes the portal answer 5xx (issue 21 item 2).

A NUL byte in a suggestion box, "²" in ``?update=`` (``str.isdigit()`` says yes, ``int()`` says no), a
number past a bigint in ``?partnership=`` answered 500. Here every route of the access tables
(tests/<app>/routes.py, which tests/test_access.py proves cover every URL pattern) is first requested
plainly while recording which query parameters the code reads, then each of those parameters gets
each hostile value, plain and (where the route has one) as its htmx fragment. Any 5xx fails.
"""

import pytest
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import reverse

from tests.routes import declared_routes, rolled_back, user_for
from tests.signin import sign_in

ROUTES = declared_routes()

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = {
    "nul": "1,\x00,2",
    "superscript-two": "²",
    "bigint-overflow": "9" * 30,
    "long": "ă" * 2000,
}
# Read by middleware for every request, whatever the route: always fuzzed.
ALWAYS = {"q", "field", "next", "page"}
READ_KEYS = []  # the recording middleware appends here


class RecordingQuery(QueryDict):
    """A QueryDict that notes every key the code looks up, present or not."""

    def _note(self, key):
        READ_KEYS.append(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


class RecordQueryKeys:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = RecordingQuery(request.GET.urlencode())
        return self.get_response(request)


def reader_of(route) -> str | None:
    """The role that sees the most of the route: city staff first, else anyone who gets 200."""
    if route.get is None:
        return None
    for role in ("city", "admin", "officer", "supported_officer", "leader", "outsider"):
        if route.get.get(role) == 200:
            return role
    return None


def parameters_read(client, url: str, htmx: bool) -> set[str]:
    from django.conf import settings

    READ_KEYS.clear()
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, f"{__name__}.RecordQueryKeys"]):
        response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code < 500, url
    return set(READ_KEYS)


def fuzz_route(client, world, route) -> list[str]:
    failures = []
    role = reader_of(route)
    if role is None:
        return failures
    sign_in(client, user_for(world, role))
    with rolled_back():
        query = route.query(world) if callable(route.query) else route.query
        base = reverse(route.name, kwargs=route.kwargs(world))
        modes = [False, True] if route.htmx else [False]
        own = QueryDict(query.lstrip("?"))
        for htmx in modes:
            names = parameters_read(client, base + query, htmx) | ALWAYS | set(own)
            # Each parameter alone (one may hide another: ?page= skips ?update=), then all at once as htmx.
            cases = [{name} for name in sorted(names)] if not htmx else [names]
            for fuzzed in cases:
                for label, value in HOSTILE_VALUES.items():
                    params = own.copy()
                    for name in fuzzed:
                        params[name] = value
                    response = client.get(base, params, headers={"HX-Request": "true"} if htmx else {})
                    if response.status_code >= 500:
                        failures.append(
                            f"{route.name} ?{','.join(sorted(fuzzed))}={label} htmx={htmx}: {response.status_code}"
                        )
    return failures


def test_hostile_query_parameters_never_cause_a_server_error(world):
    client = Client(raise_request_exception=False)
    failures, routes = [], 0
    for route in ROUTES:
        failures += fuzz_route(client, world, route)
        routes += reader_of(route) is not None
    assert failures == []
    assert routes >= 25  # the walk really reached the routes


def test_public_pages_take_hostile_query_parameters_too():
    client = Client(raise_request_exception=False)
    for name in ("accounts:login", "healthz"):
        for label, value in HOSTILE_VALUES.items():
            for key in ALWAYS:
                response = client.get(reverse(name), {key: value})
                assert response.status_code < 500, (name, key, label)


def test_the_recorder_sees_what_a_view_reads(client, world):
    sign_in(client, world.city)
    url = reverse("commitments:commitment_detail", args=[world.commitment.pk])
    assert {"update", "page"} <= parameters_read(client, url, htmx=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("²", None), ("9" * 30, None), ("0", None), ("-3", None), ("1\x00", None), ("", None), (None, None)],
)
def test_row_ids_are_read_strictly(raw, expected):
    from core.params import row_id

    assert row_id(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [(" Trà Tân ", "Trà Tân"), ("a\x00b", ""), ("x" * 201, ""), ("", "")])
def test_typed_text_refuses_what_no_one_types(raw, expected):
    from core.params import typed_text

    assert typed_text(raw) == expected
