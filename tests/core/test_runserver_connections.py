"""``make run`` must not run PostgreSQL out of connections (issue 21 item 8).

runserver serves every browser connection in a new thread; with persistent connections (CONN_MAX_AGE)
each thread's database connection outlived the thread, and about a hundred new connections made the
server answer 500. Here a real runserver (development settings, as ``make run``) gets 25 requests,
each on a new TCP connection, and the database is asked how many of its connections are still open.
"""

import os
import secrets
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.chaos.procs import Processes, free_port, tail
from tests.live_services import database_url

pytestmark = pytest.mark.django_db
REQUESTS = 25


def open_connections(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0]


def status_of(url: str) -> int:
    # A session cookie makes every request read the session table; no redirect is followed.
    request = urllib.request.Request(url, headers={"Cookie": "sessionid=" + secrets.token_hex(16)})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_runserver_keeps_no_database_connection_after_a_request(tmp_path):
    application_name = f"runserver-{secrets.token_hex(4)}"
    url = database_url()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DJANGO_ENV_FILE": "/dev/null",
            "DATABASE_URL": url + ("&" if "?" in url else "?") + f"application_name={application_name}",
        }
    )
    port = free_port()
    processes = Processes(tmp_path)
    server = processes.add(
        "runserver",
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        tmp_path / "runserver.log",
        env,
    )
    try:
        server.wait_for_log("Quit the server", time.monotonic() + 60)
        statuses = [status_of(f"http://127.0.0.1:{port}/") for _ in range(REQUESTS)]
        assert set(statuses) == {302}, (statuses, tail(server.log))
        time.sleep(0.5)
        assert open_connections(application_name) == 0
    finally:
        for process in processes.started:
            process.kill_group()
