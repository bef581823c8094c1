"""RELIABILITY B1: per username + address, the lock lifts after 15 min, a per-username cap of 20 a day,
no office-wide lockout, and a forged X-Forwarded-For neither resets nor evades anything."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client, username, password, ip="10.1.2.3", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, headers=headers)


def test_the_lock_lifts_after_fifteen_minutes_and_holds_on_another_address_only_for_that_pair(client):
    factories.user(username="city")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(client, "city", "sai-mat-khau")
        assert attempt(client, "city", factories.PASSWORD).status_code == 429
        # U from address Y: a different pair, not locked (the per-username cap is far away).
        assert attempt(client, "city", factories.PASSWORD, ip="10.9.9.9").status_code == 302
        client.post("/accounts/logout/")
    # (An attempt while locked restarts the 15 minutes: axes counts the cool-off from the last failure.)
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert attempt(client, "city", factories.PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_neither_evades_nor_resets_the_lock(client):
    factories.user(username="city")
    for number in range(5):
        attempt(client, "city", "sai-mat-khau", X_Forwarded_For=f"203.0.113.{number}")
    assert attempt(client, "city", factories.PASSWORD, X_Forwarded_For="198.51.100.7").status_code == 429
    assert attempt(client, "city", factories.PASSWORD).status_code == 429


def test_twenty_failures_a_day_from_many_addresses_lock_the_username(client):
    factories.user(username="city")
    factories.user(username="colleague")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # Four failures from each of five addresses: no address reaches its own limit of five.
        for network in range(5):
            for _ in range(4):
                assert attempt(client, "city", "sai-mat-khau", ip=f"10.0.{network}.1").status_code == 200
        response = attempt(client, "city", factories.PASSWORD, ip="10.77.0.1")
        assert response.status_code == 429 and "Tạm khóa" in response.content.decode()
        # A colleague behind the same office address signs in as usual.
        assert attempt(client, "colleague", factories.PASSWORD, ip="10.0.0.1").status_code == 302
        client.post("/accounts/logout/")
    with time_machine.travel(start + datetime.timedelta(hours=23), tick=False):
        assert attempt(client, "city", factories.PASSWORD, ip="10.78.0.1").status_code == 429
    with time_machine.travel(start + datetime.timedelta(hours=24, minutes=1), tick=False):
        assert attempt(client, "city", factories.PASSWORD, ip="10.79.0.1").status_code == 302


def test_nineteen_failures_then_a_success_start_the_count_again(client):
    factories.user(username="city")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for network in range(19):
            attempt(client, "city", "sai-mat-khau", ip=f"10.1.{network}.1")
        assert attempt(client, "city", factories.PASSWORD, ip="10.50.0.1").status_code == 302
        client.post("/accounts/logout/")
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):
        for network in range(3):
            attempt(client, "city", "sai-mat-khau", ip=f"10.2.{network}.1")
        assert attempt(client, "city", factories.PASSWORD, ip="10.51.0.1").status_code == 302


NGINX = "172.18.0.5"  # every request behind the proxy comes from its address


def test_behind_the_proxy_the_lock_counts_the_address_nginx_forwards(client, settings):
    """Behind nginx (DJANGO_BEHIND_PROXY) one person's failures must not lock their colleagues, who all
    arrive from nginx's address: the lock reads the X-Forwarded-For nginx writes."""
    settings.BEHIND_PROXY = True
    factories.user(username="city")
    for _ in range(5):
        attempt(client, "city", "sai-mat-khau", ip=NGINX, X_Forwarded_For="203.0.113.9")
    assert attempt(client, "city", factories.PASSWORD, ip=NGINX, X_Forwarded_For="203.0.113.9").status_code == 429
    assert attempt(client, "city", factories.PASSWORD, ip=NGINX, X_Forwarded_For="198.51.100.7").status_code == 302


def test_served_directly_a_forwarded_for_header_is_ignored(client, settings):
    settings.BEHIND_PROXY = False
    factories.user(username="city")
    for number in range(5):
        attempt(client, "city", "sai-mat-khau", ip="10.1.2.3", X_Forwarded_For=f"203.0.113.{number}")
    assert attempt(client, "city", factories.PASSWORD, ip="10.1.2.3", X_Forwarded_For="198.51.100.7").status_code == 429
