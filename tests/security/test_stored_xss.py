"""E1 (RELIABILITY): markup stored in every text column of the domain comes back escaped on every page.

Every Char/Text field (without choices) of every row of the test world is overwritten with payloads,
then every GET route of the access table is rendered as city staff, plain and htmx.
"""

import pytest
from django.apps import apps
from django.db import DatabaseError, models, transaction
from django.urls import reverse

from tests.routes import declared_routes
from tests.signin import sign_in

PAYLOADS = [
    '<script>alert("x1")</script>',
    '"><img src=x onerror=alert("x2")>',
    "</textarea><b hx-get=/x3>",
    "{{7*7}}x4",
]
INJECTED = ('<script>alert("x1")', "<img src=x onerror", "<b hx-get=/x3>", "49x4")
DOMAIN_APPS = ("communes", "partnerships", "commitments", "reports", "accounts")


def poison_every_text_column() -> int:
    poisoned = 0
    for model in apps.get_models():
        if model._meta.app_label not in DOMAIN_APPS or model._meta.proxy or not model._meta.managed:
            continue
        if model._meta.db_table.endswith("event") or "pgh_" in " ".join(f.name for f in model._meta.fields):
            continue  # the audit tables are append-only
        for field in model._meta.concrete_fields:
            if not isinstance(field, (models.CharField, models.TextField)) or field.choices or field.primary_key:
                continue
            if field.name in {"username", "password", "key", "sha256", "client_token"} or isinstance(
                field, models.FileField
            ):
                continue
            payload = PAYLOADS[poisoned % len(PAYLOADS)]
            if field.max_length:
                payload = payload[: field.max_length]
            try:
                with transaction.atomic():
                    poisoned += model.objects.update(**{field.attname: payload}) and 1
            except (DatabaseError, ValueError):
                pass  # a constraint forbids free text here (codes, numbers): nothing to inject
    return poisoned


@pytest.mark.django_db
def test_payloads_in_every_text_column_are_escaped_everywhere(client, world):
    assert poison_every_text_column() >= 15
    sign_in(client, world.city)
    found, rendered, escaped = [], 0, 0
    for route in declared_routes():
        if route.get is None or route.get.get("city") != 200:
            continue
        with transaction.atomic():
            query = route.query(world) if callable(route.query) else route.query
            url = reverse(route.name, kwargs=route.kwargs(world)) + query
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                    continue
                rendered += 1
                body = response.content.decode()
                found += [f"{url} {marker}" for marker in INJECTED if marker in body]
                escaped += "&lt;script&gt;alert(" in body
            transaction.set_rollback(True)
    assert rendered >= 20 and escaped >= 10  # the payloads were shown, as text
    assert found == [], found
