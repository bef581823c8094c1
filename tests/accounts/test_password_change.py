"""Changing one's password (RELIABILITY B3): the current password first, the validators, the other
sessions ended, the change audited and logged. Sessions sign in through the real login form."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from pghistory.models import Events

from accounts.models import PASSWORD_CHANGED_EVENT, Role
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

CHANGE = "/accounts/password/"
NEW_PASSWORD = "mùa lúa chín vàng trên đồi Trà Tân"
DASHBOARD = reverse("reports:dashboard")
PAGE = reverse("communes:commune_list")  # 200 for every role


def signed_in(user) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client


def change(client, old=factories.PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": again or new})


def stored_hash(user) -> str:
    return get_user_model().objects.get(pk=user.pk).password


def test_the_user_menu_links_to_the_page():
    client = signed_in(factories.user(Role.LEADERSHIP))
    assert f'href="{CHANGE}"' in client.get(DASHBOARD).content.decode()
    page = client.get(CHANGE)
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()


def test_a_wrong_current_password_changes_nothing_and_keeps_the_form(security_log):
    user = factories.user(Role.LEADERSHIP)
    client, other = signed_in(user), signed_in(user)
    before = stored_hash(user)
    security_log.clear()
    response = change(client, old="không phải mật khẩu này")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Mật khẩu hiện tại không đúng. Mật khẩu chưa được đổi." in content
    assert 'name="old_password"' in content and 'name="new_password1"' in content
    assert stored_hash(user) == before
    assert not Events.objects.filter(pgh_obj_model="accounts.User", pgh_label=PASSWORD_CHANGED_EVENT).exists()
    assert other.get(PAGE).status_code == 200, "nothing changed: the other session goes on"
    [event] = security_log.events()
    assert (event["event"], event["outcome"], event["reason"]) == (
        "password_change",
        "failure",
        "wrong_current_password",
    )


@pytest.mark.parametrize(
    "new",
    ["ngắn-quá-1", "password1234", "danang-thanhuy-2025", "123456789012345"],
    ids=["short", "common", "context-words", "numeric"],
)
def test_the_new_password_goes_through_the_validators(new):
    user = factories.user(Role.LEADERSHIP)
    client = signed_in(user)
    before = stored_hash(user)
    response = change(client, new=new)
    assert response.status_code == 200
    assert response.context["form"].has_error("new_password2")
    assert stored_hash(user) == before


def test_the_two_new_passwords_must_match():
    user = factories.user(Role.LEADERSHIP)
    response = change(signed_in(user), again=NEW_PASSWORD + "!")
    assert "Hai lần nhập mật khẩu mới không khớp." in response.content.decode()


def test_a_real_change_keeps_this_session_and_ends_every_other(security_log):
    user = factories.user(Role.UNIT_OFFICER, commune=factories.commune())
    here, other, other_htmx = signed_in(user), signed_in(user), signed_in(user)
    assert other.get(PAGE).status_code == 200
    security_log.clear()
    response = change(here)
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert here.get(PAGE).status_code == 200
    refused = other.get(PAGE)
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("accounts:login"))
    refused = other_htmx.get(PAGE, headers={"HX-Request": "true"})
    assert refused.status_code == 401 and refused["HX-Redirect"] == reverse("accounts:login")
    login = reverse("accounts:login")
    assert Client().post(login, {"username": user.username, "password": NEW_PASSWORD}).status_code == 302
    assert Client().post(login, {"username": user.username, "password": factories.PASSWORD}).status_code == 200
    [event] = security_log.events("password_change")
    assert (event["outcome"], event["actor"], event["object_id"]) == ("success", user.username, str(user.pk))
    assert NEW_PASSWORD not in security_log.text and factories.PASSWORD not in security_log.text


def test_city_staff_stay_verified_after_the_change(world):
    """The session id changes (update_session_auth_hash) but the accepted TOTP code still counts."""
    client = Client()
    sign_in(client, world.city)
    assert change(client).status_code == 302
    assert client.get(reverse("commitments:review_queue")).status_code == 200


def test_the_change_is_audited_with_its_actor():
    user = factories.user(Role.LEADERSHIP)
    change(signed_in(user))
    [event] = Events.objects.filter(pgh_obj_model="accounts.User", pgh_label=PASSWORD_CHANGED_EVENT)
    assert event.pgh_obj_id == str(user.pk)
    assert event.pgh_context["user"] == user.pk and event.pgh_context["url"] == CHANGE
    assert "password" not in event.pgh_data


def test_a_password_set_in_the_admin_site_is_audited_with_the_administrator(world, security_log):
    user = factories.user(Role.LEADERSHIP)
    admin = Client()
    sign_in(admin, world.admin)
    url = f"/admin/accounts/user/{user.pk}/password/"
    response = admin.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    assert get_user_model().objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    [event] = Events.objects.filter(pgh_obj_model="accounts.User", pgh_label=PASSWORD_CHANGED_EVENT)
    assert event.pgh_context["user"] == world.admin.pk
    [logged] = security_log.events("password_change")
    assert (logged["actor"], logged["object_id"], logged["reason"]) == ("admin", str(user.pk), "by_administrator")
