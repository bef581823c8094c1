"""core.links: ObjectURL gives exactly what reverse() gives, whatever the key, prefix or language."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from core.links import ObjectURL, plain_url

pytestmark = pytest.mark.usefixtures("script_prefix_restored")


@pytest.fixture
def script_prefix_restored():
    yield
    set_script_prefix("/")


@pytest.mark.parametrize(
    ("viewname", "key"),
    [
        ("commitments:commitment_detail", 0),
        ("commitments:commitment_detail", 18),
        ("commitments:commitment_detail", 731_904_652_817),  # the sample itself
        ("partnerships:partnership_detail", 7),
        ("reports:report_detail", 123456),
        ("communes:commune_detail", "20194"),
        ("communes:commune_detail", "DK-01_x"),
        ("communes:commune_detail", "Hòa Vang"),  # quoted by reverse(): not filled in
        ("communes:commune_detail", "a b&c?d#e"),
        ("communes:commune_detail", 42),  # an int for a <str:…> URL
    ],
)
def test_the_url_is_the_one_reverse_gives(viewname, key):
    url = ObjectURL(viewname)
    assert url(key) == reverse(viewname, args=[key])
    assert url(key) == reverse(viewname, args=[key])  # again, from the template


def test_a_new_script_prefix_gets_its_own_template():
    url = ObjectURL("partnerships:partnership_detail")
    assert url(5) == reverse("partnerships:partnership_detail", args=[5])
    set_script_prefix("/portal/")
    assert url(5) == reverse("partnerships:partnership_detail", args=[5]) == "/portal/partnerships/5/"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_each_language_gets_the_url_reverse_gives(language):
    url = ObjectURL("commitments:commitment_detail")
    with translation.override(language):
        assert url(3) == reverse("commitments:commitment_detail", args=[3])


def test_keys_reverse_refuses_are_refused_the_same_way():
    url = ObjectURL("commitments:commitment_detail")
    for key in ("abc", -1, None):
        with pytest.raises(NoReverseMatch):
            url(key)
    assert url(9) == "/commitments/9/"  # a refused key leaves good ones working


def test_models_link_through_it():
    from commitments.models import Commitment, ProgressUpdate
    from communes.models import Commune
    from partnerships.models import Partnership
    from reports.models import Report

    assert Commitment(pk=4).get_absolute_url() == reverse("commitments:commitment_detail", args=[4])
    assert ProgressUpdate(pk=2, commitment_id=4).get_absolute_url() == "/commitments/4/?update=2#update-2"
    assert Commune(code="20194").get_absolute_url() == reverse("communes:commune_detail", args=["20194"])
    assert Partnership(pk=8).get_absolute_url() == reverse("partnerships:partnership_detail", args=[8])
    assert Report(pk=6).get_absolute_url() == reverse("reports:report_detail", args=[6])


BASE_LINKS = [
    "reports:dashboard",
    "set_language",
    "accounts:mfa_enrol",
    "accounts:password_change",
    "admin:index",
    "accounts:logout",
    "commitments:my_unit",
    "partnerships:partnership_list",
    "commitments:commitment_list",
    "commitments:review_queue",
    "communes:commune_list",
    "reports:report_list",
]


@pytest.mark.parametrize("viewname", BASE_LINKS)
def test_plain_url_is_the_one_reverse_gives(viewname):
    assert plain_url(viewname) == reverse(viewname)
    assert plain_url(viewname) == reverse(viewname)  # again, from the cache


def test_plain_url_follows_the_script_prefix():
    assert plain_url("reports:report_list") == "/reports/"
    set_script_prefix("/portal/")
    assert plain_url("reports:report_list") == "/portal/reports/"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_plain_url_in_each_language_is_the_one_reverse_gives(language):
    with translation.override(language):
        assert plain_url("communes:commune_list") == reverse("communes:commune_list")


def test_plain_url_refuses_what_reverse_refuses_every_time():
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            plain_url("commitments:commitment_detail")  # takes a key


def test_the_plain_url_tag_writes_the_url_tag_output():
    names = " ".join(f"{{% url '{name}' %}}|{{% plain_url '{name}' %}}" for name in BASE_LINKS)
    rendered = Template("{% load portal %}" + names).render(Context()).split()
    for pair in rendered:
        old, new = pair.split("|")
        assert new == old
