"""Small helpers shared by the chaos tests: publishing render messages, a cookie-keeping HTTP client."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from celery import Celery

from reports.models import Report

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FINISHED = {Report.Status.DONE, Report.Status.FAILED}


def publish(redis_url: str, report_ids: list[int]) -> None:
    """What ``request_report`` sends on commit, from a publisher bound to the test's own Redis."""
    app = Celery("chaos-publisher", broker=redis_url)
    app.conf.broker_connection_retry_on_startup = False
    try:
        for report_id in report_ids:
            app.send_task("reports.tasks.render_report_task", args=[report_id], queue="reports")
    finally:
        app.close()


def wait_all(reports: list[Report], statuses: set[str], until: float) -> list[Report]:
    ids = [report.pk for report in reports]
    while True:
        rows = list(Report.objects.filter(pk__in=ids).order_by("pk"))
        if all(row.status in statuses for row in rows) or time.monotonic() >= until:
            return rows
        time.sleep(0.2)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping client that does not follow redirects (stdlib only)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def request(self, path: str, data: dict | None = None, timeout: float = 10) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def csrf(self, path: str) -> str:
        status, _headers, html = self.request(path)
        assert status == 200, (path, status)
        match = CSRF_INPUT.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/accounts/login/")
        status, headers, html = self.request(
            "/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        assert status == 302, (status, html[-2000:])
        landing = headers.get("Location", "/")
        if "/accounts/two-step/" not in landing:
            _status, landed_headers, _html = self.request(landing)
            landing = landed_headers.get("Location", "")
        if "/accounts/two-step/" in landing:
            # City staff: the second step (RELIABILITY B5), with a code from the device in the pytest database.
            from tests.browser.pages import current_totp_code

            token = self.csrf("/accounts/two-step/")
            status, headers, html = self.request(
                "/accounts/two-step/", {"code": current_totp_code(username), "csrfmiddlewaretoken": token}
            )
            assert status == 302, (status, html[-2000:])
