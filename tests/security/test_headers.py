"""Security headers on every response, no third-party origins, CSRF on every POST, Vietnamese error pages
(RELIABILITY A3, A5, A6, E3).

Every route of the access table (tests/<app>/routes.py) is requested as city staff, plain and htmx,
plus the login page, a 404, a 403 and a 500.
"""

import re
from urllib.parse import urlparse

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

from tests.routes import declared_routes, rolled_back, url_of
from tests.security.helpers import media_snapshot, table_snapshot
from tests.signin import sign_in

ROUTES = declared_routes()

pytestmark = pytest.mark.django_db

SCRIPT_SRC = re.compile(r"script-src ([^;]*)")
LINKS = re.compile(r"""(?:src|href|action|poster|srcset|formaction)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
CSS_URLS = re.compile(r"url\(\s*['\"]?([^'\")]+)")
SECRETS = ("Traceback", 'File "/', "psycopg", "SECRET", "django.db", "Exception Value")


def responses(client, world) -> list:
    """(label, response) for every GET route as city staff, plain and htmx, and the error pages."""
    sign_in(client, world.city)
    results = []
    for route in ROUTES:
        if route.get is None or route.get.get("city") != 200:
            continue
        with rolled_back():
            url = url_of(route, world)
            results.append((url, client.get(url)))
            if route.htmx:
                results.append((f"{url} (htmx)", client.get(url, headers={"HX-Request": "true"})))
    results.append(("404", client.get("/khong-co-trang-nay/")))
    sign_in(client, world.leader)
    results.append(("403", client.post(reverse("commitments:commitment_update", args=[world.commitment.pk]))))
    client.logout()
    results.append(("login", client.get(reverse("accounts:login"))))
    return results


def assert_headers(label, response, *, authenticated=True):
    assert response["X-Content-Type-Options"] == "nosniff", label
    assert response["Referrer-Policy"] == "same-origin", label
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (label, csp)
    content_type = response["Content-Type"]
    if content_type.startswith("text/"):
        assert "charset=utf-8" in content_type.lower(), (label, content_type)
        assert response["X-Frame-Options"] == "DENY", label
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (label, csp)
        script_src = SCRIPT_SRC.search(csp)
        assert script_src and "*" not in script_src.group(1), (label, csp)
        if authenticated:
            assert "no-store" in response["Cache-Control"], (label, response.get("Cache-Control"))
    elif label.startswith("/reports/"):  # our own PDFs: nothing loads; Chromium won't preview a sandboxed PDF
        assert "default-src 'none'" in csp, (label, csp)
    else:  # an uploaded file: never rendered as a page, never able to run anything, never framed or kept
        assert "sandbox" in csp and "frame-ancestors 'none'" in csp, (label, csp)
        assert response["Cache-Control"] == "private, no-store", (label, response["Cache-Control"])


def test_every_response_carries_the_security_headers(client, world):
    seen = 0
    for label, response in responses(client, world):
        assert_headers(label, response, authenticated=label != "login")
        seen += 1
    assert seen >= 20


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_over_https_once_configured(client, world):
    sign_in(client, world.city)
    for route in ROUTES[:5]:
        if route.get and route.get["city"] == 200:
            response = client.get(url_of(route, world), secure=True)
            assert response["Strict-Transport-Security"].startswith("max-age=31536000; includeSubDomains")


def external_hosts(html: str) -> set[str]:
    hosts = set()
    for link in LINKS.findall(html) + CSS_URLS.findall(html):
        for candidate in link.split(","):
            parsed = urlparse(candidate.strip().split(" ")[0])
            if parsed.netloc and parsed.netloc != "testserver":
                hosts.add(parsed.netloc)
    return hosts


def test_no_page_loads_anything_from_another_origin(client, world, settings):
    found = {}
    for label, response in responses(client, world):
        if response["Content-Type"].startswith("text/html"):
            hosts = external_hosts(response.content.decode())
            if hosts:
                found[label] = hosts
    assert found == {}
    for stylesheet in (settings.BASE_DIR / "static" / "css").glob("*.css"):
        assert external_hosts(stylesheet.read_text()) == set(), stylesheet


def test_the_external_host_check_can_fail():
    assert external_hosts('<script src="https://cdn.example/htmx.js"></script>') == {"cdn.example"}
    assert external_hosts('<link href="//fonts.example/css">') == {"fonts.example"}
    assert external_hosts('<img src="/static/img/a.svg">') == set()


# --- CSRF ------------------------------------------------------------------------------------------


def post_routes(world):
    for route in ROUTES:
        if route.post is not None and route.post.get("city") not in (None, 403, 404, 405):
            yield route


def test_every_post_route_refuses_a_missing_token_and_a_foreign_origin(world):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.city)
    client.get(reverse("commitments:commitment_list"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    checked = []
    for route in post_routes(world):
        with rolled_back():
            url = url_of(route, world)
            # Building the route's objects may add rows and files; the refused POSTs may not.
            data = route.post_data(world)  # may build the rows it names, before the snapshot
            tables, media = table_snapshot(), media_snapshot()
            without_token = client.post(url, data)
            foreign = client.post(
                url, {**data, "csrfmiddlewaretoken": token}, headers={"Origin": "https://evil.example"}
            )
            htmx = client.post(url, data, headers={"HX-Request": "true"})
            statuses = (without_token.status_code, foreign.status_code, htmx.status_code)
            assert statuses == (403, 403, 403), route.name
            assert "Chưa gửi được biểu mẫu" in without_token.content.decode(), route.name
            assert table_snapshot() == tables, route.name
            assert media_snapshot() == media, route.name
        checked.append(route.name)
    assert len(checked) >= 10, checked


def test_a_valid_token_from_this_site_is_accepted(world):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.city)
    client.get(reverse("commitments:commitment_list"))
    token = client.cookies["csrftoken"].value
    url = reverse("commitments:progress_return", args=[world.commitment.pk])  # any pk: 404 means it got past CSRF
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 404


# --- Error pages with DEBUG off ---------------------------------------------------------------------


def explode(request):
    raise RuntimeError("SECRET_KEY psycopg boom")


urlpatterns = [path("explode/", explode)]


@override_settings(DEBUG=False, ROOT_URLCONF="tests.security.test_headers")
def test_500_is_the_branded_page_without_internals(world):
    client = Client(raise_request_exception=False)
    sign_in(client, world.city)
    response = client.get("/explode/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in body
    assert not [secret for secret in SECRETS if secret in body]
    assert_headers("500", response)


def test_404_and_403_are_vietnamese_without_internals(client, world, settings):
    assert settings.DEBUG is False
    sign_in(client, world.outsider_officer)
    not_found = client.get(reverse("commitments:commitment_detail", args=[world.commitment.pk]))
    assert not_found.status_code == 404 and "Không tìm thấy trang" in not_found.content.decode()
    sign_in(client, world.leader)
    forbidden = client.post(reverse("commitments:commitment_update", args=[world.commitment.pk]))
    assert forbidden.status_code == 403 and "Không được phép" in forbidden.content.decode()
    for response in (not_found, forbidden):
        assert not [secret for secret in SECRETS if secret in response.content.decode()]
