"""``/healthz``: public, answers "ok", and touches neither the database nor the session (RELIABILITY K4)."""

import pytest
from django.urls import reverse

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
