"""The commune directory and a commune's page: content, flags, htmx fragment, query counts."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune, Constituent
from partnerships.models import Membership, Partnership, StatusChange
from tests import factories
from tests.assertions import count_queries
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

LIST = reverse("communes:commune_list")
HTMX = {"HX-Request": "true"}


def detail_url(commune):
    return reverse("communes:commune_detail", args=[commune.code])


def results(response) -> str:
    """The results section of the directory (what its ``{% cache %}`` keeps): the rest of the page
    differs between any two responses (the CSRF token is masked afresh each time)."""
    body = response.content.decode()
    return '<section id="commune-results"' + body.split('<section id="commune-results"', 1)[1].split("</section>")[0]


def reads_the_rows(queries) -> bool:
    return any("partnership_count" in query["sql"] for query in queries.captured_queries)


class TestCommuneList:
    def test_every_signed_in_role_sees_the_directory(self, client, world):
        for user in [world.city, world.leader, world.officer, world.outsider_officer, world.admin]:
            sign_in(client, user)
            response = client.get(LIST)
            assert response.status_code == 200
            assert "Trà Tân" in response.content.decode()

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(LIST)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_unknown_flag_reads_chua_ro_never_khong(self, client, world):
        factories.commune(name="Avương", is_mountainous=None, is_border=None)
        sign_in(client, world.city)

        response = client.get(LIST, {"q": "avuong"})

        row = response.content.decode().split("Avương", 1)[1].split("</tr>", 1)[0]
        assert row.count("Chưa rõ") == 2
        assert "Không" not in row

    def test_accent_insensitive_search(self, client, world):
        sign_in(client, world.officer)

        response = client.get(LIST, {"q": "hoa cuong"})

        body = response.content.decode()
        assert "Hòa Cường" in body
        assert "Trà Tân" not in body

    def test_htmx_request_gets_only_the_results_fragment(self, client, world):
        sign_in(client, world.city)

        response = client.get(LIST, {"q": "tra tan"}, headers=HTMX)

        body = response.content.decode()
        assert body.lstrip().startswith('<section id="commune-results"')
        assert "<html" not in body
        assert "Trà Tân" in body

    def test_pagination_is_25_per_page(self, client, world):
        for _ in range(30):
            factories.commune()
        sign_in(client, world.city)

        response = client.get(LIST)

        assert len(response.context["page_obj"].object_list) == 25
        assert response.context["paginator"].count == Commune.objects.count()

    def test_unpaired_unit_is_flagged(self, client, world):
        factories.commune(name="Đặc khu Hoàng Sa thử")
        sign_in(client, world.city)

        body = client.get(LIST, {"paired": "no"}).content.decode()

        assert "Đặc khu Hoàng Sa thử" in body
        assert "Chưa có" in body

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "fragment"])
    def test_query_count_does_not_grow_with_rows(self, client, world, headers):
        sign_in(client, world.city)
        client.get(LIST, {"q": "tra tan"}, headers=headers)  # warm caches (session, content types)

        caches["dashboard"].clear()  # the results are rendered afresh, not read from the cache
        with count_queries() as one:
            response = client.get(LIST, {"q": "tra tan"}, headers=headers)
        assert response.context["paginator"].count == 1
        for number in range(30):
            factories.commune(name=f"Trà Tân {number}", is_mountainous=True)
        caches["dashboard"].clear()
        with count_queries() as many:
            response = client.get(LIST, {"q": "tra tan"}, headers=headers)
        assert results(response).count("<tr>") == 25 + 1  # the rows and the heading
        with count_queries() as cached:
            client.get(LIST, {"q": "tra tan"}, headers=headers)

        assert len(one) == len(many) <= 15, [q["sql"] for q in many.captured_queries]
        assert len(cached) < len(many)  # the rows (and the form's choices) are not read; the counter is


class TestCommuneListCache:
    """The directory's results are kept rendered under the pairing counter (UnitDirectoryView.results_cache)."""

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "fragment"])
    def test_cached_results_are_served_again_without_reading_the_rows(self, client, world, headers):
        sign_in(client, world.city)
        first = client.get(LIST, {"paired": "yes"}, headers=headers)

        with count_queries() as again:
            second = client.get(LIST, {"paired": "yes"}, headers=headers)

        assert "Trà Tân" in results(second)
        assert results(second) == results(first)
        assert not reads_the_rows(again)

    def test_the_page_and_its_fragment_share_the_entry(self, client, world):
        sign_in(client, world.city)
        page = client.get(LIST, {"q": "tra tan"})

        with count_queries() as fragment_queries:
            fragment = client.get(LIST, {"q": "tra tan"}, headers=HTMX)

        assert fragment.content.decode().strip() == results(page) + "</section>"
        assert not reads_the_rows(fragment_queries)

    def test_each_filter_page_and_language_has_its_own_entry(self, client, world):
        for _ in range(30):
            factories.commune()
        sign_in(client, world.city)
        everything = results(client.get(LIST))

        found = results(client.get(LIST, {"q": "tra tan"}))
        second_page = results(client.get(LIST, {"page": "2"}))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        in_english = results(client.get(LIST))

        assert "Trà Tân" in found and found.count("<tr>") == 1 + 1
        assert "Trang 2/" in second_page and second_page != everything
        assert "List of units" in in_english and "Danh sách đơn vị" in everything

    def test_the_filter_form_and_the_results_read_one_counter(self, client, world):
        sign_in(client, world.city)
        client.get(LIST)

        with count_queries() as queries:
            client.get(LIST)

        assert [q["sql"] for q in queries.captured_queries if "core_change_counter" in q["sql"]] == [
            "SELECT epoch, value FROM core_change_counter WHERE name = 'pairing'"
        ]
        assert not any("former_district" in q["sql"] for q in queries.captured_queries)  # the form's choices

    def test_a_filter_with_errors_is_not_kept(self, client, world):
        sign_in(client, world.city)

        response = client.get(LIST, {"kind": "không-có-loại-này"})

        assert response.context["view"].results_cache["seconds"] == 0
        assert response.context["view"].filter_form_cache["seconds"] == 0


@pytest.mark.django_db(transaction=True)
class TestCommuneListAfterWrites:
    """A committed write to a table the rows read shows at the next request: the pairing counter moves
    at COMMIT, as in production (the other tests' writes roll back and leave it where it was)."""

    @pytest.fixture
    def signed_in(self, client):
        world = factories.World.build()
        sign_in(client, world.city)
        return world

    @staticmethod
    def pairing_count(client, commune) -> str:
        row = results(client.get(LIST, {"q": commune.code}))
        return row.split('data-label="Kết nghĩa" class="num">', 1)[1].split("</td>", 1)[0]

    def test_a_renamed_unit(self, client, signed_in):
        assert "Trà Tân Mới" not in results(client.get(LIST))
        Commune.objects.filter(pk=signed_in.supported.pk).update(name="Trà Tân Mới")
        assert "Trà Tân Mới" in results(client.get(LIST))

    def test_a_new_former_district_in_the_filter_form(self, client, signed_in):
        assert '<option value="Quận Mới">' not in client.get(LIST).content.decode()
        Commune.objects.filter(pk=signed_in.supported.pk).update(former_district="Quận Mới")
        assert '<option value="Quận Mới">' in client.get(LIST).content.decode()

    def test_a_new_membership(self, client, signed_in):
        newcomer = factories.commune(programme_role=Commune.ProgrammeRole.SUPPORTING)
        assert "Chưa có" in self.pairing_count(client, newcomer)
        Membership.objects.create(
            partnership=signed_in.partnership, commune=newcomer, role=Membership.Role.CO_SUPPORTER
        )
        assert self.pairing_count(client, newcomer) == "1"

    def test_a_voided_partnership(self, client, signed_in):
        assert self.pairing_count(client, signed_in.supported) == "1"
        Partnership.objects.filter(pk=signed_in.partnership.pk).update(voided_at=timezone.now())
        assert "Chưa có" in self.pairing_count(client, signed_in.supported)

    def test_a_status_change(self, client, signed_in):
        assert self.pairing_count(client, signed_in.outsider) == "1"
        StatusChange.objects.create(
            partnership=signed_in.other_partnership, status=Partnership.Status.ENDED, effective_on=timezone.localdate()
        )
        assert "Chưa có" in self.pairing_count(client, signed_in.outsider)


class TestCommuneDetail:
    def test_shows_facts_constituents_and_embeds_partnerships(self, client, world):
        Constituent.objects.create(
            commune=world.supported, old_name="xã Trà Giác", old_district="Bắc Trà My", old_province="Quảng Nam"
        )
        sign_in(client, world.outsider_officer)

        response = client.get(detail_url(world.supported))

        body = response.content.decode()
        assert response.status_code == 200
        assert "xã Trà Giác" in body and "Quảng Nam" in body
        embed = f"{reverse('partnerships:partnership_list')}?commune={world.supported.code}"
        assert f'data-hx-get="{embed}"' in body
        assert 'data-hx-trigger="load"' in body
        assert f'href="{embed}"' in body  # the fallback link

    def test_flags_unknown_and_known(self, client, world):
        sign_in(client, world.city)

        body = client.get(detail_url(world.supported)).content.decode()

        facts = body.split('class="facts"', 1)[1].split("</dl>", 1)[0]
        assert "Có" in facts  # mountainous
        assert "Chưa rõ" in facts  # border unknown

    def test_unknown_code_is_404(self, client, world):
        sign_in(client, world.city)
        assert client.get(reverse("communes:commune_detail", args=["99999"])).status_code == 404

    def test_query_count_does_not_grow_with_constituents(self, client, world):
        sign_in(client, world.city)
        client.get(detail_url(world.supported))
        Constituent.objects.create(commune=world.supported, old_name="xã A", old_district="X", old_province="Quảng Nam")

        with count_queries() as one:
            client.get(detail_url(world.supported))
        for number in range(10):
            Constituent.objects.create(
                commune=world.supported, old_name=f"xã {number}", old_district="X", old_province="Quảng Nam"
            )
        with count_queries() as many:
            body = client.get(detail_url(world.supported)).content.decode()

        assert "xã 9" in body
        assert len(one) == len(many) <= 15


class TestUnitSuggestions:
    url = reverse("communes:unit_suggestions")

    def test_names_without_accents_and_code_prefixes_match(self, client, world):
        sign_in(client, world.officer)

        by_name = client.get(self.url, {"field": "commune", "commune": "hoa cuong"}, headers={"HX-Request": "true"})
        by_code = client.get(self.url, {"q": world.outsider.code[:4]}, headers={"HX-Request": "true"})

        assert (
            f'<option value="Phường Hòa Cường ({world.supporter.code})">Hòa Vang</option>' in by_name.content.decode()
        )
        assert f"({world.outsider.code})" in by_code.content.decode()

    def test_at_most_twenty_with_a_constant_query_count(self, client, world):
        sign_in(client, world.city)
        url = self.url + "?q=tan"
        client.get(url)
        with count_queries() as one:
            client.get(url)
        for number in range(25):
            factories.commune(name=f"Tân {number}")
        with count_queries() as many:
            response = client.get(url)

        assert response.content.decode().count("<option") == 20
        assert len(one.captured_queries) == len(many.captured_queries) == 1
