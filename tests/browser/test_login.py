import pytest

from tests import factories
from tests.browser.conftest import PHONE, axe_violations, log_in

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
