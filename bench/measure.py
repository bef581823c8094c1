"""In-process timing with Django's test client: signed-in clients, timed GETs, percentiles, one counted request."""

from __future__ import annotations

import gzip
import math
import statistics

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


class BadResponse(Exception):
    pass


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 30 values is the 29th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(seconds: list[float]) -> dict:
    milliseconds = [s * 1000 for s in seconds]
    return {
        "n": len(milliseconds),
        "p50_ms": round(statistics.median(milliseconds), 2),
        "p95_ms": round(percentile(milliseconds, 0.95), 2),
        "min_ms": round(min(milliseconds), 2),
        "max_ms": round(max(milliseconds), 2),
    }


def signed_in_client(user) -> Client:
    """Signed in with both steps: city staff and administrators get a TOTP device (bench data only) and
    a session marked verified, as django_otp.login leaves it after a code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.mfa import confirmed_devices, must_use_mfa

    client = Client()
    client.force_login(user)
    if must_use_mfa(user) or confirmed_devices(user).exists():
        device = confirmed_devices(user).first() or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def get(client: Client, path: str, *, htmx: bool = False):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver" + path} if htmx else {}
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise BadResponse(f"GET {path} answered {response.status_code}")
    return response


def weigh(client: Client, path: str, *, htmx: bool = False) -> dict:
    """One more request to ``path``, counted: its queries, and the response's size raw and gzipped."""
    with CaptureQueriesContext(connection) as queries:
        response = get(client, path, htmx=htmx)
    body = response.content
    return {
        "path": path,
        "queries": len(queries),
        "bytes": len(body),
        "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
    }
