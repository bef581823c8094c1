"""``/healthz``: public, answers "ok", and touches neither the database nor the session (RELIABILITY K4)."""

import pytest
import yaml
from django.urls import reverse

from tests.live_services import ROOT

pytestmark = pytest.mark.django_db


def test_a_probe_without_a_cookie_gets_ok_without_a_query_or_a_cookie(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not response.cookies


def test_head_is_answered_and_writes_are_refused(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


PRODUCTION = {"ALLOWED_HOSTS": ["ketnghia.danang.gov.vn", "www.ketnghia.danang.gov.vn"], "SECURE_SSL_REDIRECT": True}


def test_the_container_health_check_is_answered_behind_production_settings(client, settings):
    """docker-compose's health check (operations.healthcheck) asks as the proxy would: a bare 127.0.0.1 host is
    refused (400) once DJANGO_ALLOWED_HOSTS names the real host, and plain HTTP is redirected to HTTPS."""
    from operations.healthcheck import probe_headers

    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    headers = probe_headers({"DJANGO_ALLOWED_HOSTS": ",".join(PRODUCTION["ALLOWED_HOSTS"])})
    assert client.get("/healthz", headers=headers).status_code == 200
    assert client.get("/healthz", HTTP_HOST="127.0.0.1").status_code == 400  # what a bare probe would get
    assert (
        client.get("/healthz", HTTP_HOST="ketnghia.danang.gov.vn").status_code == 301
    )  # and without the proxy's header


def test_the_probe_names_a_host_the_portal_answers_to():
    from operations.healthcheck import probe_headers

    assert probe_headers({"DJANGO_ALLOWED_HOSTS": " .danang.gov.vn, other"})["Host"] == "danang.gov.vn"
    assert probe_headers({"DJANGO_ALLOWED_HOSTS": "*"})["Host"] == "localhost"
    assert probe_headers({})["Host"] == "localhost"


def test_docker_compose_checks_the_web_container_through_the_probe():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["web"]["healthcheck"]["test"] == ["CMD", "python", "-m", "operations.healthcheck"]
