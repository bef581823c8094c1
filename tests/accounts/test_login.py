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


def test_after_five_failures_the_next_attempt_waits_and_is_not_locked(client):
    """B1: the sixth attempt, even with the right password, is refused with 429 and the wait in
    Vietnamese; nothing says the account is locked (tests/accounts/test_lockout.py has the schedule)."""
    factories.user(username="city")
    for _ in range(5):
        attempt(client, "city", "sai-mat-khau")
    response = attempt(client, "city", factories.PASSWORD)
    assert response.status_code == 429 and response["Retry-After"] == "30"
    content = response.content.decode()
    assert "đợi 30 giây" in content and "khóa" not in content


def test_delays_do_not_spread_to_colleagues_behind_the_same_address(client):
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
