"""Walk every URL pattern and check every role against the access table (tests/<app>/routes.py).

A route without an entry fails the walk, so a new view cannot ship without its permission cases.
The set of views reachable without login must equal an explicit allow-list.
"""

from collections import Counter

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.routes import LOGIN, ROLES, Route, declared_routes, rolled_back, url_of, user_for
from tests.signin import sign_in

# Names of routes that answer without login. Anything else must redirect anonymous users to login.
PUBLIC_URL_NAMES = {
    "accounts:login",
    "accounts:sign_in_link_request",
    "accounts:sign_in_link",
    "accounts:set_password",
    "healthz",
}
# Routes that belong to third-party apps and are tested by them (the admin has its own permissions).
NOT_OURS = ("admin:",)


def walk_url_patterns(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk_url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield (f"{namespace}{pattern.name}" if pattern.name else None), pattern


ROUTES = declared_routes()


def our_url_names() -> set[str]:
    return {name for name, _ in walk_url_patterns(get_resolver()) if name and not name.startswith(NOT_OURS)}


def test_every_route_has_an_access_entry():
    declared = {route.name for route in ROUTES}
    missing = our_url_names() - declared - PUBLIC_URL_NAMES
    assert not missing, f"routes without an access-table entry: {sorted(missing)}"
    assert not declared - our_url_names(), f"entries for routes that do not exist: {sorted(declared - our_url_names())}"


def test_every_entry_covers_every_role():
    for route in ROUTES:
        for table in (route.get, route.post):
            if table is not None:
                assert set(table) == set(ROLES), f"{route.name}: {set(ROLES) ^ set(table)}"


def test_public_views_are_exactly_the_allow_list():
    public = {
        name
        for name, pattern in walk_url_patterns(get_resolver())
        if name and not name.startswith(NOT_OURS) and not getattr(pattern.callback, "login_required", True)
    }
    assert public == PUBLIC_URL_NAMES


CASES = [
    pytest.param(route, role, method, id=f"{route.name}-{role}-{method}")
    for route in ROUTES
    for role in ROLES
    for method in ("get", "htmx", "post")
    if not (method == "htmx" and (not route.htmx or route.get is None))
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "role", "method"), CASES)
def test_access(client, world, route: Route, role: str, method: str):
    user = user_for(world, role)
    if user is not None:
        sign_in(client, user)
    query = route.query(world) if callable(route.query) else route.query
    url = reverse(route.name, kwargs=route.kwargs(world)) + query
    # A method the view does not offer answers 405, after the login redirect for anonymous users.
    not_offered = LOGIN if role == "anonymous" else 405
    if method == "post":
        expected = route.post[role] if route.post is not None else not_offered
        response = client.post(url, route.post_data(world))
    else:
        expected = route.get[role] if route.get is not None else not_offered
        headers = {"HX-Request": "true"} if method == "htmx" else {}
        response = client.get(url, headers=headers)
    if role == "anonymous" and expected == LOGIN and method == "htmx":
        # htmx would follow a 302 and swap the login form into the page; it is told to navigate instead.
        assert response.status_code == 401 and response["HX-Redirect"] == reverse("accounts:login")
        return
    assert response.status_code == expected, f"{method.upper()} {url} as {role}: {response.status_code} != {expected}"
    if expected == LOGIN and role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


UNSAFE_METHODS = ("put", "patch", "delete")
# Views that still answer another method like GET (200, the form again, nothing written), with why.
ANSWERS_OTHER_METHODS_LIKE_GET: dict[str, str] = {}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_put_patch_and_delete_change_nothing(client, world, role):
    """No view offers PUT, PATCH or DELETE (the pages' forms only POST): on every route each answers
    405 to a signed-in role and the login redirect to anonymous, and no row nor audit event changes.

    Every role is walked, not only those that may not write: a role that may write by POST must not
    be able to by another method either. The tables are compared per route (the route's own objects
    are built, then the three requests are sent, then everything is rolled back)."""
    from pghistory.models import Events

    from tests.security.helpers import table_snapshot

    user = user_for(world, role)
    if user is not None:
        sign_in(client, user)
    wrong, answers = [], Counter()
    for route in ROUTES:
        with rolled_back():
            url = url_of(route, world)
            before, events = table_snapshot(), Events.objects.count()
            for method in UNSAFE_METHODS:
                response = getattr(client, method)(url, data="x=1", content_type="application/x-www-form-urlencoded")
                answers[response.status_code] += 1
                if role == "anonymous" and route.name in PUBLIC_URL_NAMES:
                    refused = response.status_code == 405  # public pages answer GET and POST only
                elif role == "anonymous":
                    refused = response.status_code == LOGIN and response["Location"].startswith(
                        reverse("accounts:login")
                    )
                else:
                    # 405 where the method is checked first, 403/404 where the permission is; a redirect
                    # (the language switch, the second step) only when it changed nothing, cookies included.
                    refused = response.status_code in (403, 404, 405) or (
                        response.status_code == 302 and not response.cookies
                    )
                if response.status_code == 200 and route.name in ANSWERS_OTHER_METHODS_LIKE_GET:
                    refused = True  # and the tables below prove it changed nothing
                if not refused:
                    wrong.append(f"{method.upper()} {url}: {response.status_code} {dict(response.cookies)}")
            assert table_snapshot() == before, f"{url} as {role}: rows changed"
            assert Events.objects.count() == events, f"{url} as {role}: audit events added"
    assert wrong == []
    assert sum(answers.values()) == len(ROUTES) * len(UNSAFE_METHODS)
