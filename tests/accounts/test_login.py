import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client, username, password, ip="10.1.2.3"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_wrong_password_shows_a_vietnamese_message_and_keeps_the_username(client):
    factories.user(username="city")
    response = attempt(client, "city", "sai-mat-khau")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Tên đăng nhập" in content and 'value="city"' in content
    assert "mật khẩu chính xác" in content  # Django's own Vietnamese message


def test_five_failures_lock_that_username_from_that_address(client):
    factories.user(username="city")
    for _ in range(5):
        attempt(client, "city", "sai-mat-khau")
    response = attempt(client, "city", factories.PASSWORD)
    assert response.status_code == 429
    assert "Tạm khóa" in response.content.decode()


def test_lockout_does_not_spread_to_colleagues_behind_the_same_address(client):
    factories.user(username="city")
    factories.user(username="colleague")
    for _ in range(5):
        attempt(client, "city", "sai-mat-khau")
    response = attempt(client, "colleague", factories.PASSWORD)
    assert response.status_code == 302


def test_successful_login_goes_to_the_dashboard(client):
    factories.user(username="city")
    response = attempt(client, "city", factories.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:dashboard")
