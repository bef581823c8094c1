"""C4: city staff end every session of a person from the admin site (a lost phone, a departure)."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PAGE = "/communes/"


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    assert client.get(PAGE).status_code == 200
    return client


def test_the_admin_action_ends_every_session_of_the_chosen_people_and_no_other():
    commune = factories.commune()
    leaver = factories.user(Role.UNIT_OFFICER, commune=commune, username="officer-leaver")
    colleague = factories.user(Role.UNIT_OFFICER, commune=commune, username="officer-colleague")
    phone, laptop, other = signed_in(leaver), signed_in(leaver), signed_in(colleague)
    admin = signed_in(factories.user(Role.ADMINISTRATOR, username="admin-x", is_staff=True, is_superuser=True))

    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "end_sessions", "_selected_action": [leaver.pk]},
        follow=True,
    )
    assert "Đã kết thúc 2 phiên đăng nhập." in response.content.decode()
    for client in (phone, laptop):
        response = client.get(PAGE)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert other.get(PAGE).status_code == 200
    assert admin.get(PAGE).status_code == 200
    assert Session.objects.count() == 2  # the colleague's and the administrator's


def test_the_action_is_refused_to_staff_without_the_admin_site():
    officer = factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="officer-y")
    victim = signed_in(officer)
    city = signed_in(factories.user(Role.CITY_STAFF, username="city-y"))
    response = city.post(
        reverse("admin:accounts_user_changelist"), {"action": "end_sessions", "_selected_action": [officer.pk]}
    )
    assert response.status_code in (302, 403)
    assert victim.get(PAGE).status_code == 200
    assert User.objects.filter(pk=officer.pk).exists()
