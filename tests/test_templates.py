"""templates/base.html, the frame of every page: its parts that hold neither a token, the path nor the
user's name are cached (the main navigation per role, language and current view), and every page must
come out the same whichever page rendered them first."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import translation

from accounts.models import Role, User

PAGES = [
    ("reports:dashboard", ()),
    ("commitments:my_unit", ()),
    ("partnerships:partnership_list", ()),
    ("partnerships:partnership_detail", (1,)),
    ("commitments:commitment_list", ()),
    ("commitments:commitment_detail", (1,)),
    ("commitments:review_queue", ()),
    ("communes:commune_list", ()),
    ("communes:commune_detail", ("20194",)),
    ("reports:report_list", ()),
    (None, ()),  # a URL that matches no route: the 404 page
]
LANGUAGES = ["vi", "en"]


def render_page(user, language: str, view: str | None, args: tuple) -> str:
    request = RequestFactory().get(reverse(view, args=args) if view else "/no-such-page/")
    request.resolver_match = resolve(request.path) if view else None
    request.user = user
    with translation.override(language):
        page = render_to_string("base.html", request=request)
    return re.sub(r'(nonce="|"X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', r"\1…", page)


def main_navigation(role: str, language: str, view: str | None, args: tuple) -> str:
    page = render_page(User(username="someone", role=role), language, view, args)
    start = page.index('<nav class="mainnav"')
    return page[start : page.index("</nav>", start) + len("</nav>")]


def every_case():
    return [(role, language, view, args) for role in Role.values for language in LANGUAGES for view, args in PAGES]


def rendered_alone(case) -> str:
    cache.clear()  # the default cache is per process (LocMemCache): nothing else is lost
    return main_navigation(*case)


def test_each_role_language_and_page_gets_its_own_navigation_whatever_was_cached_before():
    expected = {case: rendered_alone(case) for case in every_case()}
    cache.clear()
    for case in every_case():  # each one after the cached navigation of every case before it
        assert main_navigation(*case) == expected[case], case
    for case in reversed(every_case()):
        assert main_navigation(*case) == expected[case], case


def whole_page(role: str | None, is_staff: bool, language: str, view: str | None, args: tuple) -> str:
    user = User(username="someone", role=role, is_staff=is_staff) if role else AnonymousUser()
    return render_page(user, language, view, args)


def test_every_page_frame_is_the_same_whatever_was_cached_before():
    cases = [
        (role, is_staff, language, view, args)
        for role in [*Role.values, None]  # None: signed out, as on the sign-in page
        for is_staff in (False, True)
        for language in LANGUAGES
        for view, args in PAGES[::3]
    ]
    expected = {}
    for case in cases:
        cache.clear()
        expected[case] = whole_page(*case)
    cache.clear()
    for case in [*cases, *reversed(cases)]:
        assert whole_page(*case) == expected[case], case


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.UNIT_OFFICER, ["Tổng quan", "Đơn vị của tôi", "Kết nghĩa", "Cam kết", "Đơn vị"]),
        (Role.CITY_STAFF, ["Tổng quan", "Kết nghĩa", "Cam kết", "Xác nhận tiến độ", "Đơn vị", "Báo cáo"]),
        (Role.ADMINISTRATOR, ["Tổng quan", "Kết nghĩa", "Cam kết", "Xác nhận tiến độ", "Đơn vị", "Báo cáo"]),
        (Role.LEADERSHIP, ["Tổng quan", "Kết nghĩa", "Cam kết", "Đơn vị", "Báo cáo"]),
    ],
)
def test_each_role_sees_its_links_with_the_current_page_marked(role, links):
    for other_role in Role.values:  # cached navigations of the other roles first
        main_navigation(other_role, "vi", "commitments:commitment_detail", (1,))
    navigation = main_navigation(role, "vi", "commitments:commitment_detail", (1,))

    assert [label for label in links if f">{label}</a>" in navigation] == links
    assert navigation.count("<li>") == len(links)
    assert navigation.count('aria-current="page"') == 1
    assert f'href="{reverse("commitments:commitment_list")}" aria-current="page">Cam kết</a>' in navigation


def test_the_language_is_part_of_the_key():
    assert ">Tổng quan</a>" in main_navigation(Role.CITY_STAFF, "vi", "reports:dashboard", ())
    navigation = main_navigation(Role.CITY_STAFF, "en", "reports:dashboard", ())

    assert ">Overview</a>" in navigation
    assert "Tổng quan" not in navigation


def test_the_navigation_is_kept_under_the_role_language_and_view():
    navigation = main_navigation(Role.LEADERSHIP, "en", "communes:commune_list", ())

    key = make_template_fragment_key("mainnav", ["en", Role.LEADERSHIP, "communes:commune_list"])
    assert cache.get(key) == navigation
