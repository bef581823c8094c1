"""While PostgreSQL is unreachable every page answers a short Vietnamese 503, from wherever it fails."""

from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_without_tracebacks():
    return Client(raise_request_exception=False)


def test_outage_inside_a_view_gives_the_503_page(client_without_tracebacks):
    sign_in(client_without_tracebacks, factories.user())
    with mock.patch("partnerships.views.UnitDirectoryView.get_queryset", side_effect=OperationalError("server closed")):
        response = client_without_tracebacks.get(reverse("communes:commune_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    content = response.content.decode()
    assert "Hệ thống tạm thời gián đoạn" in content
    assert "OperationalError" not in content and "server closed" not in content


def test_outage_before_any_view_runs_gives_the_503_page(client_without_tracebacks):
    # Loading the session in middleware (from PostgreSQL when its cached copy is missing) comes first.
    sign_in(client_without_tracebacks, factories.user())
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with mock.patch.object(store, "load", side_effect=OperationalError("down")):
        response = client_without_tracebacks.get(reverse("communes:commune_list"))
    assert response.status_code == 503


def test_other_errors_stay_a_500(client_without_tracebacks):
    sign_in(client_without_tracebacks, factories.user())
    with mock.patch("partnerships.views.UnitDirectoryView.get_queryset", side_effect=RuntimeError("bug")):
        response = client_without_tracebacks.get(reverse("communes:commune_list"))
    assert response.status_code == 500
    assert "bug" not in response.content.decode()
