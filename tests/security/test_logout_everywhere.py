"""Logout everywhere (RELIABILITY C6): every full page a signed-in person can open carries a logout
control, and it is a POST form with a CSRF token (a GET link could be triggered by another site).

Every route of the access table is opened by every signed-in role that gets it (200); htmx fragments
and files are not pages and are left out.
"""

import re

import pytest
from django.urls import reverse

from tests.routes import ROLES, declared_routes, rolled_back, url_of, user_for
from tests.signin import sign_in

ROUTES = declared_routes()

pytestmark = pytest.mark.django_db
FORMS = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL | re.IGNORECASE)


def logout_forms(html: str) -> list[str]:
    action = f'action="{reverse("accounts:logout")}"'
    return [
        body
        for attributes, body in FORMS.findall(html)
        if action in attributes and re.search(r'method="post"', attributes, re.IGNORECASE)
    ]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_every_full_page_has_a_logout_post_form(client, world, role):
    sign_in(client, user_for(world, role))
    pages, missing = 0, []
    for route in ROUTES:
        if route.get is None or route.get[role] != 200:
            continue
        with rolled_back():
            url = url_of(route, world)
            response = client.get(url)
            html = response.content.decode() if response["Content-Type"].startswith("text/html") else ""
            if "<html" not in html:
                continue  # a file or a fragment
            pages += 1
            forms = logout_forms(html)
            if not forms or 'name="csrfmiddlewaretoken"' not in forms[0]:
                missing.append(url)
    assert missing == []
    assert pages >= 5, pages


def test_the_logout_form_signs_out(client, world):
    sign_in(client, world.officer)
    html = client.get(reverse("commitments:my_unit")).content.decode()
    assert logout_forms(html)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("commitments:my_unit"))["Location"].startswith(reverse("accounts:login"))
