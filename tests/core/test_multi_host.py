"""Two web processes behind the proxy, sharing sessions and files (issue 21 items 9 and 10).

On loopback: nginx from Debian's packages with deploy/nginx/ketnghia.conf.template (the file the
docker-compose nginx service runs, TLS included, with a throw-away certificate), in front of two
gunicorn processes on different ports with production settings (config.settings.base), one database
and one media folder. A user signs in while only process A runs; A is then stopped and B started, and
the same session reads a commitment, uploads evidence and downloads it through B. nginx's access log
names the process that answered each request. Never skipped: bin/install-system-packages installs nginx.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import urllib3
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

from commitments.models import Evidence
from tests.chaos.procs import Processes, free_port, tail
from tests.commitments import fixtures
from tests.factories import PASSWORD
from tests.live_services import database_url
from tests.security.helpers import jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "ketnghia.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "localhost"

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the certificate is made by the test


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def envsubst(text: str, **values: str) -> str:
    """What the nginx image does to its templates: ${NAME} from the environment, nginx's $name untouched."""
    return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda match: values[match.group(1)], text)


def nginx_config(folder: Path, web_ports: list[int], http_port: int, https_port: int) -> Path:
    cert, key = certificate(folder)
    site = envsubst(
        TEMPLATE.read_text(),
        WEB_1=f"127.0.0.1:{web_ports[0]}",
        WEB_2=f"127.0.0.1:{web_ports[1]}",
        NGINX_HTTP_PORT=f"127.0.0.1:{http_port}",
        NGINX_HTTPS_PORT=f"127.0.0.1:{https_port}",
        NGINX_SERVER_NAME=HOST,
        NGINX_TLS_CERT=str(cert),
        NGINX_TLS_KEY=str(key),
    )
    (folder / "site.conf").write_text(site)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir()
    main = folder / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    log_format upstream '$request_method $uri $status $upstream_addr';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""
    )
    return main


def production_env(media: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_ENV_FILE": "/dev/null",
            "DJANGO_SECRET_KEY": "multi-host-test-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "true",
            "DJANGO_MEDIA_ROOT": str(media),
            "DATABASE_URL": database_url(),
            "DJANGO_STATIC_ROOT": str(media.parent / "static"),
            "UPLOAD_SCANNER": "stub",
        }
    )
    return env


def collect_static(media: Path) -> None:
    """What the image's build does (Dockerfile): production serves the collected, hashed files."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=production_env(media),
        check=True,
        capture_output=True,
        timeout=300,
    )


def gunicorn(processes: Processes, port: int, media: Path, name: str):
    env = production_env(media)
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "60",
    ]
    process = processes.add(name, args, media.parent / f"{name}.log", env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (
                requests.get(
                    f"http://127.0.0.1:{port}/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"}, timeout=2
                ).status_code
                == 200
            ):
                return process
        except requests.RequestException:  # bound but still loading the application
            pass
        if not process.alive():
            break
        time.sleep(0.2)
    raise AssertionError(f"{name} did not start:\n{tail(process.log)}")


def answered_by(access_log: Path, method: str, path: str) -> list[str]:
    """The upstream that gave the final answer to each matching request ("B, A" when B refused first)."""
    found = []
    for line in access_log.read_text().splitlines():
        parts = line.split(" ", 3)
        # "-": nginx answered itself (the 413 of an oversized body), no upstream to name.
        if parts[0] == method and parts[1] == path and parts[3] != "-":
            found.append(parts[3].split(", ")[-1])
    return found


@pytest.mark.django_db(transaction=True)
def test_sign_in_through_one_process_then_read_upload_and_download_through_the_other(world, tmp_path):
    fixtures.current_period()
    world.officer.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    world.officer.save(update_fields=["password"])
    media = tmp_path / "media"
    media.mkdir()
    collect_static(media)
    port_a, port_b, http_port, https_port = free_port(), free_port(), free_port(), free_port()
    (tmp_path / "nginx").mkdir()
    config = nginx_config(tmp_path / "nginx", [port_a, port_b], http_port, https_port)
    processes = Processes(tmp_path)
    try:
        proxy = processes.add("nginx", [NGINX, "-c", str(config), "-p", str(config.parent)], tmp_path / "nginx.log")
        a = gunicorn(processes, port_a, media, "web-a")
        base = f"https://{HOST}:{https_port}"
        session = requests.Session()
        session.verify = False
        session.trust_env = False  # neither the machine's CA bundle nor its proxy: loopback, our certificate
        deadline = time.monotonic() + 20
        while True:
            try:
                login_page = session.get(base + reverse("accounts:login"), timeout=10)
                break
            except requests.ConnectionError:
                assert proxy.alive() and time.monotonic() < deadline, tail(config.parent / "error.log")
                time.sleep(0.2)
        assert login_page.status_code == 200, tail(tmp_path / "web-a.log")
        token = session.cookies["__Host-csrftoken"]
        signed_in = session.post(
            base + reverse("accounts:login"),
            data={"username": world.officer.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": base + reverse("accounts:login"), "Origin": base},
            allow_redirects=False,
            timeout=30,
        )
        assert signed_in.status_code == 302, signed_in.text[:2000]
        assert "__Host-sessionid" in session.cookies

        a.signal(signal.SIGTERM)
        assert a.wait_exit(30) is not None
        gunicorn(processes, port_b, media, "web-b")
        # nginx marked B down while it was not yet listening (max_fails=1, fail_timeout=10s) and A down
        # once stopped: it answers 502 until B's mark expires, as it would when a host comes back.
        deadline = time.monotonic() + 30
        while session.get(base + "/healthz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, tail(config.parent / "error.log")
            time.sleep(0.5)

        detail = reverse("commitments:commitment_detail", args=[world.commitment.pk])
        page = session.get(base + detail, timeout=30)
        assert page.status_code == 200 and world.commitment.title in page.text
        create = base + reverse("commitments:progress_create", args=[world.commitment.pk])
        form = session.get(create, timeout=30)
        client_token = re.search(r'name="client_token" value="([^"]+)"', form.text).group(1)
        photo = jpeg_bytes(size=(640, 480))
        posted = session.post(
            create,
            data={
                "achieved_quantity": "1",
                "narrative": "Đã bàn giao qua máy chủ thứ hai",
                "client_token": client_token,
                "csrfmiddlewaretoken": session.cookies["__Host-csrftoken"],
            },
            files={"evidence": ("anh-ban-giao.jpg", photo, "image/jpeg")},
            headers={"Referer": create, "Origin": base},
            allow_redirects=False,
            timeout=60,
        )
        assert posted.status_code == 302, posted.text[:3000]
        evidence = Evidence.objects.get(update__commitment=world.commitment)
        download = session.get(base + reverse("commitments:evidence_file", args=[evidence.pk]), timeout=30)
        assert download.status_code == 200 and download.content.startswith(b"\xff\xd8")
        assert download.headers["Cache-Control"] == "private, no-store"
        assert download.headers["Strict-Transport-Security"].startswith("max-age=31536000")

        too_large = session.post(
            create, data=b"x" * (65 * 1024 * 1024), headers={"Content-Type": "text/plain"}, timeout=60
        )
        assert too_large.status_code == 413  # nginx's client_max_body_size: gunicorn never sees it

        access_log = config.parent / "access.log"
        a_addr, b_addr = f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}"
        assert answered_by(access_log, "POST", reverse("accounts:login")) == [a_addr]
        assert set(answered_by(access_log, "GET", detail)) == {b_addr}
        assert set(
            answered_by(access_log, "POST", reverse("commitments:progress_create", args=[world.commitment.pk]))
        ) == {b_addr}
        assert set(answered_by(access_log, "GET", reverse("commitments:evidence_file", args=[evidence.pk]))) == {b_addr}
    finally:
        for process in reversed(processes.started):
            process.kill_group()


def test_plain_http_is_sent_to_https_and_the_template_keeps_the_limits():
    text = TEMPLATE.read_text()
    assert "return 301 https://$host$request_uri;" in text
    assert "client_max_body_size 64m;" in text  # REQUEST_MAX_BYTES
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text  # replaced, never appended
