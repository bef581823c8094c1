import pytest

from tests import factories
from tests.browser.pages import PHONE, axe_violations, current_totp_code, enter_totp_code, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_accessible_and_rejects_a_wrong_password(new_page):
    factories.user(username="city")
    page = new_page(viewport=PHONE)
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    log_in(page, "city", "wrong-password")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the login page overflows a phone screen"


def test_city_staff_enter_a_totp_code_after_the_password_on_a_phone(new_page):
    factories.user(username="city")
    page = new_page(viewport=PHONE)
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("city")
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/two-step/" in page.url
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Mã xác thực (6 chữ số)").fill("000000" if current_totp_code("city") != "000000" else "111111")
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/two-step/" in page.url and page.get_by_role("alert").count() >= 1
    page.wait_for_timeout(1100)  # one wrong code: the next try is allowed after 1 s
    enter_totp_code(page, "city")
    assert "/accounts/" not in page.url  # the dashboard
    assert page.get_by_role("navigation", name="Điều hướng chính").is_visible()


def test_enrolment_page_is_accessible_on_a_phone(new_page):
    factories.user(username="city").totpdevice_set.all().delete()
    page = new_page(viewport=PHONE)
    log_in(page, "city", factories.PASSWORD)
    assert "/accounts/two-step/enrol/" in page.url
    assert page.get_by_role("img", name="Mã QR chứa khóa bí mật để thêm vào ứng dụng xác thực").is_visible()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
