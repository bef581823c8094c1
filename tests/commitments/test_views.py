"""The commitments pages through the test client: access, htmx fragments, forms, query counts."""

import datetime
import json
import uuid
from decimal import Decimal

import pghistory
import pytest
from django.template.loader import render_to_string
from django.test import TransactionTestCase
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from commitments import services, views
from commitments.models import Commitment, Field, ProgressUpdate
from communes.models import Commune
from partnerships.models import Partnership
from tests import factories
from tests.assertions import count_queries
from tests.commitments import fixtures
from tests.commitments.cases import HX, WorldTestCase
from tests.partnerships.member_rows import LEAD, SUPPORTED, member_rows
from tests.partnerships.routes import document_of, photo_of
from tests.signin import sign_in


def more_commitments(world, count=8):
    def add():
        for index in range(count):
            commitment = factories.commitment(
                partnership=world.partnership, field=world.commitment.field, title=f"Cam kết {index}"
            )
            fixtures.submitted_update(world, evidence_files=[fixtures.photo()])
            services.submit_progress(commitment=commitment, author=world.officer, narrative="x", achieved_quantity=1)

    return add


def name_partnership(partnership, title: str) -> None:
    """Give ``partnership`` a title: pages then name it by the title, without its members."""
    partnership.title = title
    partnership.save(update_fields=["title"])


class CommitmentListViewTests(WorldTestCase):
    url = reverse("commitments:commitment_list")

    def test_officer_sees_only_commitments_of_their_partnerships(self):
        self.login(self.world.officer)
        response = self.client.get(self.url)
        self.assertContains(response, self.world.commitment.get_absolute_url())
        self.assertNotContains(response, self.world.other_commitment.get_absolute_url())

    def test_leader_sees_every_commitment(self):
        self.login(self.world.leader)
        response = self.client.get(self.url)
        self.assertContains(response, self.world.commitment.get_absolute_url())
        self.assertContains(response, self.world.other_commitment.get_absolute_url())

    def test_row_cells_are_the_shared_partials(self):
        """The list writes the target, progress and status cells inline (one include less each per row):
        they must stay what the shared partials render."""
        shapes = [
            {"target_quantity": Decimal("2.5"), "target_unit": "lớp", "target_value_vnd": None},
            {"target_quantity": None, "target_unit": "", "target_value_vnd": 75_000_000},
            {"achieved_quantity": Decimal(1), "title": 'Nhà "đại đoàn kết" <b>&'},
            {"completed_on": datetime.date(2026, 1, 5), "achieved_quantity": Decimal(2)},
        ]
        for shape in shapes:
            factories.commitment(partnership=self.world.partnership, **shape)
        self.login(self.world.city)
        for language in ("vi", "en"):
            with self.subTest(language=language), translation.override(language):
                response = self.client.get(self.url, HTTP_ACCEPT_LANGUAGE=language)
                commitments = response.context["page_obj"].object_list
                self.assertGreaterEqual(len(commitments), len(shapes))
                for commitment in commitments:
                    context = {"commitment": commitment}
                    for partial in ("commitments/partials.html#target", "commitments/partials.html#progress-bar"):
                        self.assertInHTML(render_to_string(partial, context), response.content.decode())
                    badge = {"status": commitment.status, "label": commitment.get_status_display()}
                    self.assertInHTML(
                        render_to_string("components/status_badge.html", badge), response.content.decode()
                    )

    def test_owner_filter_is_typed_not_a_select_of_every_unit(self):
        self.login(self.world.city)
        response = self.client.get(self.url)
        suggestions = reverse("commitments:owner_suggestions")
        self.assertContains(response, f'data-hx-get="{suggestions}?field=owner"')
        self.assertContains(response, '<datalist id="id_owner_suggestions"></datalist>', html=True)
        self.assertNotContains(response, f'<option value="{self.world.outsider.code}">')

    def test_owner_suggestions_list_only_units_the_officer_may_read(self):
        self.login(self.world.officer)
        url = reverse("commitments:owner_suggestions")
        response = self.client.get(url, {"field": "owner", "owner": "9"}, **HX)  # every factory code starts with 9
        self.assertContains(response, f"({self.world.supporter.code})")
        self.assertNotContains(response, f"({self.world.outsider.code})")
        self.login(self.world.city)
        response = self.client.get(url, {"field": "owner", "owner": "son tra"}, **HX)
        self.assertContains(response, f'<option value="Phường Sơn Trà ({self.world.outsider.code})">')

    def test_owner_typed_by_name_or_code_filters_and_keeps_the_text(self):
        mine = factories.commitment(partnership=self.world.partnership, owner=self.world.supported, title="Của Trà Tân")
        self.login(self.world.city)
        for typed in ("tra tan", self.world.supported.code, f"Xã Trà Tân ({self.world.supported.code})"):
            response = self.client.get(self.url, {"owner": typed})
            self.assertContains(response, mine.get_absolute_url())
            self.assertNotContains(response, self.world.commitment.get_absolute_url())
            self.assertContains(response, f'value="{typed}"')

    def test_unknown_owner_gets_a_message_next_to_the_field_and_keeps_the_text(self):
        self.login(self.world.city)
        response = self.client.get(self.url, {"owner": "khong co dau"})
        self.assertContains(response, 'id="id_owner_error"')
        self.assertContains(response, "Không tìm thấy đơn vị “khong co dau”")
        self.assertContains(response, 'value="khong co dau"')
        self.assertNotContains(response, self.world.commitment.get_absolute_url())

    def test_officer_cannot_type_a_unit_outside_their_partnerships(self):
        self.login(self.world.officer)
        response = self.client.get(self.url, {"owner": self.world.outsider.code})
        self.assertContains(response, f"Không có đơn vị mã {self.world.outsider.code} để chọn ở đây.")
        self.assertNotContains(response, self.world.other_commitment.get_absolute_url())

    def test_bookmarked_partnership_link_still_filters(self):
        """The partnership page links here with ?partnership=<pk>."""
        self.login(self.world.city)
        response = self.client.get(self.url, {"partnership": self.world.other_partnership.pk})
        self.assertContains(response, self.world.other_commitment.get_absolute_url())
        self.assertNotContains(response, self.world.commitment.get_absolute_url())

    def test_owner_suggestions_query_count_does_not_grow_with_rows(self):
        self.login(self.world.city)
        url = reverse("commitments:owner_suggestions") + "?field=owner&owner=9"

        def more_owners():
            for _ in range(25):
                factories.commitment(partnership=self.world.partnership, owner=self.world.supported)
                factories.commitment(partnership=factories.partnership(), title="Cam kết khác")

        self.assert_same_query_count(url, more_owners, expected=1, htmx=True)

    def test_status_filter_finds_overdue_commitments(self):
        overdue = factories.commitment(
            partnership=self.world.partnership,
            start_on=datetime.date(2025, 1, 1),
            due_on=datetime.date(2025, 2, 1),
            title="Cam kết đã quá hạn",
        )
        self.login(self.world.city)
        response = self.client.get(self.url, {"status": Commitment.Status.OVERDUE})
        self.assertContains(response, overdue.get_absolute_url())
        self.assertNotContains(response, self.world.commitment.get_absolute_url())
        self.assertContains(response, 'class="badge badge--overdue"')

    def test_search_ignores_accents(self):
        self.login(self.world.city)
        response = self.client.get(self.url, {"q": "nha dai doan ket"})
        self.assertContains(response, self.world.commitment.get_absolute_url())

    def test_partnership_parameter_limits_the_list(self):
        self.login(self.world.city)
        response = self.client.get(self.url, {"partnership": self.world.other_partnership.pk})
        self.assertContains(response, self.world.other_commitment.get_absolute_url())
        self.assertNotContains(response, self.world.commitment.get_absolute_url())

    def test_htmx_request_gets_the_results_fragment_only(self):
        self.login(self.world.city)
        response = self.client.get(self.url, **HX)
        self.assertContains(response, 'id="results"')
        self.assertNotContains(response, "<html")
        self.assertNotContains(response, 'name="q"')

    def test_page_query_count_does_not_grow_with_rows(self):
        self.login(self.world.officer)
        self.assert_same_query_count(self.url, more_commitments(self.world), expected=4)

    def test_fragment_query_count_does_not_grow_with_rows(self):
        self.login(self.world.officer)
        self.assert_same_query_count(self.url, more_commitments(self.world), expected=3, htmx=True)

    def test_rows_name_untitled_partnerships_by_their_members_and_titled_ones_by_title_alone(self):
        self.login(self.world.city)
        self.assertContains(self.client.get(self.url), str(self.world.other_partnership))  # by its members
        name_partnership(self.world.partnership, "Kết nghĩa Trà Tân")
        name_partnership(self.world.other_partnership, "Kết nghĩa Tam Hải")
        response = self.client.get(self.url)
        self.assertContains(response, "Kết nghĩa Trà Tân")
        self.assertContains(response, "Kết nghĩa Tam Hải")

    def test_titled_partnerships_spare_the_query_for_members_names(self):
        self.login(self.world.officer)
        name_partnership(self.world.partnership, "Kết nghĩa Trà Tân")
        self.assert_same_query_count(self.url, more_commitments(self.world), expected=3)
        self.assert_same_query_count(self.url, more_commitments(self.world), expected=2, htmx=True)

    def test_city_staff_see_the_add_button_and_leaders_do_not(self):
        self.login(self.world.city)
        self.assertContains(self.client.get(self.url), reverse("commitments:commitment_create"))
        self.login(self.world.leader)
        self.assertNotContains(self.client.get(self.url), reverse("commitments:commitment_create"))

    def test_the_filter_form_shows_the_filters_sent(self):
        self.login(self.world.officer)
        self.client.get(self.url + "?status=overdue")
        response = self.client.get(self.url + "?status=in_progress")
        self.assertContains(response, '<option value="in_progress" selected>')
        self.assertNotContains(response, '<option value="overdue" selected>')

    def test_a_filter_form_with_typed_text_is_not_kept(self):
        self.login(self.world.officer)
        for query in ("?q=nha", f"?owner={self.world.supporter.code}"):
            with self.subTest(query):
                response = self.client.get(self.url + query)
                self.assertEqual(response.context["view"].filter_form_cache["seconds"], 0)
        self.assertGreater(
            self.client.get(self.url + "?status=overdue").context["view"].filter_form_cache["seconds"], 0
        )

    def test_a_filter_form_with_errors_is_not_kept(self):
        self.login(self.world.officer)
        response = self.client.get(self.url + "?owner=không-có-đơn-vị-này")
        self.assertContains(response, 'class="field__error"')
        self.assertEqual(response.context["view"].filter_form_cache["seconds"], 0)


class FilterFormCacheTests(TransactionTestCase):
    """The lists keep their rendered filter form under the change counter of the choices' tables
    (core.views.CachedFilterFormMixin). Writes commit here: the counter moves at COMMIT, as in production."""

    def setUp(self):
        self.world = factories.World.build()
        sign_in(self.client, self.world.city)

    def test_a_renamed_field_shows_at_the_next_request(self):
        for url in (reverse("commitments:commitment_list"), reverse("partnerships:partnership_list")):
            with self.subTest(url):
                field = factories.field(name="Lĩnh vực trước")
                self.assertContains(self.client.get(url), "Lĩnh vực trước")
                Field.objects.filter(pk=field.pk).update(name="Lĩnh vực sau")
                self.assertContains(self.client.get(url), "Lĩnh vực sau")
                field.delete()

    def test_a_new_former_district_shows_at_the_next_request(self):
        url = reverse("partnerships:partnership_list")
        self.assertNotContains(self.client.get(url), "Quận Mới")
        Commune.objects.filter(pk=self.world.supported.pk).update(former_district="Quận Mới")
        self.assertContains(self.client.get(url), "Quận Mới")


class CommitmentDetailViewTests(WorldTestCase):
    def url(self, commitment=None):
        return reverse("commitments:commitment_detail", args=[(commitment or self.world.commitment).pk])

    def test_shows_target_verified_totals_and_progress(self):
        update = fixtures.submitted_update(self.world)
        services.verify_progress(update=update, reviewer=self.world.city)
        self.login(self.world.leader)
        response = self.client.get(self.url())
        self.assertContains(response, "2 căn nhà")
        self.assertContains(response, "160.000.000 đ")
        self.assertContains(response, "80.000.000 đ/160.000.000 đ")
        self.assertContains(response, '<progress value="50" max="100"')
        self.assertContains(response, "Đã xác nhận")
        self.assertContains(response, str(self.world.city))

    def test_lists_updates_with_state_reason_and_evidence_through_the_checked_view(self):
        returned = fixtures.returned_update(self.world, reason="Ảnh mờ, chụp lại.")
        with_photo = fixtures.update_with_photo(self.world)
        self.login(self.world.officer)
        response = self.client.get(self.url())
        self.assertContains(response, "Bị trả lại")
        self.assertContains(response, "Ảnh mờ, chụp lại.")
        self.assertContains(response, "Chờ xác nhận")
        evidence = with_photo.evidence.get()
        self.assertContains(response, reverse("commitments:evidence_file", args=[evidence.pk]))
        self.assertNotContains(response, "/media/")
        self.assertContains(response, reverse("commitments:progress_resubmit", args=[returned.pk]))

    def test_viewers_get_no_edit_controls(self):
        returned = fixtures.returned_update(self.world)
        for user in (self.world.leader, self.world.supported_officer):
            self.login(user)
            response = self.client.get(self.url())
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, reverse("commitments:progress_resubmit", args=[returned.pk]))
            self.assertNotContains(response, reverse("commitments:commitment_update", args=[self.world.commitment.pk]))
            self.assertNotContains(response, reverse("commitments:progress_create", args=[self.world.commitment.pk]))

    def test_verified_update_shows_no_edit_controls(self):
        update = fixtures.submitted_update(self.world)
        services.verify_progress(update=update, reviewer=self.world.city)
        self.login(self.world.officer)
        response = self.client.get(self.url())
        self.assertNotContains(response, reverse("commitments:progress_resubmit", args=[update.pk]))

    def test_outsider_gets_404(self):
        self.login(self.world.outsider_officer)
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_query_count_does_not_grow_with_updates(self):
        self.login(self.world.officer)

        def add_updates():
            for _ in range(5):
                fixtures.update_with_photo(self.world)
            fixtures.returned_update(self.world)

        fixtures.update_with_photo(self.world)
        # The commitment (with whether it has adjustments: it has none, so their history is not read),
        # its partnership's members (for its name), the reports' count, the page of reports and their evidence.
        self.assert_same_query_count(self.url(), add_updates, expected=5)

    def test_a_titled_partnership_is_named_without_reading_its_members(self):
        self.login(self.world.officer)
        fixtures.update_with_photo(self.world)
        name_partnership(self.world.partnership, "Kết nghĩa Trà Tân")
        self.assertContains(self.client.get(self.url()), "Kết nghĩa Trà Tân")
        self.assert_same_query_count(self.url(), lambda: fixtures.update_with_photo(self.world), expected=4)

    def add_reports(self, count: int) -> list:
        """``count`` reports on world.commitment, a day apart, oldest first."""
        start = timezone.now() - datetime.timedelta(days=count)
        return [
            fixtures.submitted_update(self.world, narrative=f"Báo cáo số {n}", at=start + datetime.timedelta(days=n))
            for n in range(count)
        ]

    def test_reports_are_paged_newest_first(self):
        reports = self.add_reports(views.UPDATES_PER_PAGE + 2)
        self.login(self.world.officer)

        first = self.client.get(self.url())
        second = self.client.get(self.url() + "?page=2")

        self.assertEqual(list(first.context["updates"]), reports[::-1][: views.UPDATES_PER_PAGE])
        self.assertEqual(list(second.context["updates"]), reports[1::-1])
        self.assertContains(first, f"{len(reports)} báo cáo")
        self.assertContains(first, 'rel="next"')

    def test_a_link_to_one_report_opens_the_page_that_holds_it(self):
        reports = self.add_reports(views.UPDATES_PER_PAGE * 2 + 1)
        self.login(self.world.officer)

        response = self.client.get(reports[0].get_absolute_url())

        self.assertEqual(response.context["page_obj"].number, 3)
        self.assertContains(response, f'id="update-{reports[0].pk}"')
        self.assertEqual(self.client.get(reports[-1].get_absolute_url()).context["page_obj"].number, 1)

    def test_htmx_pages_the_reports_section_alone(self):
        self.add_reports(views.UPDATES_PER_PAGE + 1)
        self.login(self.world.officer)

        response = self.client.get(self.url() + "?page=2", headers={"HX-Request": "true"})

        html = response.content.decode().strip()
        self.assertTrue(html.startswith('<section id="updates"'), html[:200])
        self.assertNotIn("<html", html)
        self.assertEqual(len(response.context["updates"]), 1)


class CommitmentFormViewTests(WorldTestCase):
    create_url = reverse("commitments:commitment_create")

    def valid_data(self, **overrides):
        data = {
            "field": self.world.commitment.field_id,
            "title": "Trao 40 suất học bổng",
            "owner": self.world.supporter.code,
            "horizon": Commitment.Horizon.IMMEDIATE,
            "support_form": Commitment.SupportForm.SCHOLARSHIP,
            "target_quantity": "40",
            "target_unit": "suất học bổng",
            "target_value_vnd": "60000000",
            "start_on": "2025-09-01",
            "due_on": "2026-06-30",
        }
        data.update(overrides)
        return data

    def test_without_partnership_city_staff_choose_one(self):
        self.login(self.world.city)
        response = self.client.get(self.create_url)
        self.assertContains(response, 'name="partnership"')
        self.assertContains(response, f'<option value="{self.world.partnership.pk}">')

    def test_city_staff_create_a_commitment(self):
        self.login(self.world.city)
        url = f"{self.create_url}?partnership={self.world.partnership.pk}"
        response = self.client.post(url, self.valid_data())
        commitment = Commitment.objects.get(title="Trao 40 suất học bổng")
        self.assertRedirects(response, commitment.get_absolute_url())
        self.assertEqual(commitment.partnership, self.world.partnership)
        self.assertEqual(commitment.owner, self.world.supporter)

    def test_owner_choices_are_the_partnership_members_only(self):
        self.login(self.world.city)
        url = f"{self.create_url}?partnership={self.world.partnership.pk}"
        response = self.client.get(url)
        self.assertContains(response, f'<option value="{self.world.supported.code}">')
        self.assertNotContains(response, f'<option value="{self.world.outsider.code}">')
        response = self.client.post(url, self.valid_data(owner=self.world.outsider.code))
        self.assertEqual(response.status_code, 200)
        self.assertIn("owner", response.context["form"].errors)
        self.assertFalse(Commitment.objects.filter(title="Trao 40 suất học bổng").exists())

    def test_due_before_start_is_refused_next_to_the_field_with_values_kept(self):
        self.login(self.world.city)
        url = f"{self.create_url}?partnership={self.world.partnership.pk}"
        response = self.client.post(url, self.valid_data(due_on="2025-08-01"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Hạn hoàn thành không được trước ngày bắt đầu.")
        self.assertContains(response, 'value="Trao 40 suất học bổng"')
        self.assertContains(response, 'id="id_due_on_error"')
        self.assertFalse(Commitment.objects.filter(title="Trao 40 suất học bổng").exists())

    def test_messages_are_the_portals_own_in_the_active_language(self):
        # The portal's messages (not Django's defaults), translated like the rest of the page.
        self.login(self.world.city)
        url = f"{self.create_url}?partnership={self.world.partnership.pk}"
        response = self.client.post(url, self.valid_data(title="", field=""))
        self.assertContains(response, "Vui lòng nhập mục này.")
        self.assertContains(response, "Vui lòng chọn mục này.")
        self.client.cookies["django_language"] = "en"  # chosen in the user menu (set_language)
        response = self.client.post(url, self.valid_data(title="", field=""))
        with translation.override("en"):
            self.assertContains(response, gettext("Vui lòng nhập mục này."))
            self.assertContains(response, gettext("Vui lòng chọn mục này."))
        self.assertNotContains(response, "This field is required.")

    def test_a_target_is_required(self):
        self.login(self.world.city)
        url = f"{self.create_url}?partnership={self.world.partnership.pk}"
        data = self.valid_data(target_quantity="", target_unit="", target_value_vnd="")
        response = self.client.post(url, data)
        self.assertContains(response, "Cần nhập chỉ tiêu số lượng (kèm đơn vị tính) hoặc giá trị (đồng).")

    def test_officer_edits_a_commitment_their_unit_owns(self):
        self.login(self.world.officer)
        url = reverse("commitments:commitment_update", args=[self.world.commitment.pk])
        data = self.valid_data(
            title="Xây 2 căn nhà đại đoàn kết",
            owner=self.world.supported.code,
            version=self.world.commitment.version,
            reason="Điều chỉnh theo khảo sát",
        )
        response = self.client.post(url, data)
        self.assertRedirects(response, self.world.commitment.get_absolute_url())
        self.world.commitment.refresh_from_db()
        self.assertEqual(self.world.commitment.title, "Xây 2 căn nhà đại đoàn kết")
        self.assertEqual(self.world.commitment.owner, self.world.supporter, "the owner field is disabled")

    def test_officer_cannot_edit_another_units_commitment(self):
        self.login(self.world.officer)
        url = reverse("commitments:commitment_update", args=[self.world.other_commitment.pk])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, self.valid_data()).status_code, 404)

    def test_leader_gets_403_on_every_write(self):
        self.login(self.world.leader)
        url = reverse("commitments:commitment_update", args=[self.world.commitment.pk])
        self.assertEqual(self.client.post(url, self.valid_data()).status_code, 403)
        self.assertEqual(self.client.post(self.create_url, self.valid_data()).status_code, 403)


class PartnershipCommitmentsViewTests(WorldTestCase):
    def url(self):
        return reverse("commitments:partnership_commitments", args=[self.world.partnership.pk])

    def test_groups_commitments_by_field(self):
        other_field = factories.field(name="Giáo dục")
        factories.commitment(partnership=self.world.partnership, field=other_field, title="Trao học bổng")
        self.login(self.world.supported_officer)
        response = self.client.get(self.url())
        self.assertContains(response, "Giáo dục")
        self.assertContains(response, self.world.commitment.field.name)
        self.assertContains(response, '<progress value="0" max="100"')
        self.assertContains(response, "Hạn 31/12/2026")

    def test_a_long_field_shows_its_soonest_commitments_and_links_to_all_of_them(self):
        shown = views.FIELD_ROWS_SHOWN
        field = self.world.commitment.field
        for n in range(shown + 2):
            factories.commitment(
                partnership=self.world.partnership,
                field=field,
                title=f"Hạng mục {n:02}",
                due_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=n),
            )
        self.login(self.world.city)
        response = self.client.get(self.url())
        (group,) = response.context["groups"]
        self.assertEqual(group.total, shown + 3)
        self.assertEqual([c.title for c in group.commitments], [f"Hạng mục {n:02}" for n in range(shown)])
        self.assertContains(response, f"({shown + 3})")
        self.assertContains(response, f"Xem cả {shown + 3} cam kết lĩnh vực {field.name}")
        self.assertContains(response, f"?partnership={self.world.partnership.pk}&amp;field={field.pk}&amp;sort=due")
        self.assertNotContains(response, f"Hạng mục {shown:02}")
        listed = self.client.get(
            reverse("commitments:commitment_list"),
            {"partnership": self.world.partnership.pk, "field": field.pk, "sort": "due"},
        )
        self.assertContains(listed, f"Hạng mục {shown:02}")  # the link leads to the hidden ones

    def test_htmx_gets_the_grouped_fragment(self):
        self.login(self.world.city)
        response = self.client.get(self.url(), **HX)
        self.assertContains(response, 'id="partnership-commitments"')
        self.assertNotContains(response, "<html")

    def test_outsider_gets_404(self):
        self.login(self.world.outsider_officer)
        self.assertEqual(self.client.get(self.url()).status_code, 404)
        self.assertEqual(self.client.get(self.url(), **HX).status_code, 404)

    def test_query_counts_do_not_grow_with_rows(self):
        self.login(self.world.officer)
        self.assert_same_query_count(self.url(), more_commitments(self.world, 3), expected=3)
        self.assert_same_query_count(self.url(), more_commitments(self.world, 3), expected=3, htmx=True)


class ProgressCreateViewTests(WorldTestCase):
    def url(self):
        return reverse("commitments:progress_create", args=[self.world.commitment.pk])

    def data(self, **overrides):
        values = {
            "achieved_quantity": "1",
            "achieved_value_vnd": "80000000",
            "narrative": "Đã bàn giao căn nhà thứ nhất cho hộ ông A.",
            "client_token": str(uuid.uuid4()),
        }
        values.update(overrides)
        return values

    def test_officer_submits_with_photos_from_the_phone(self):
        self.login(self.world.officer)
        response = self.client.post(self.url(), {**self.data(), "evidence": [fixtures.jpeg(), fixtures.photo()]})
        self.assertRedirects(response, self.world.commitment.get_absolute_url())
        update = ProgressUpdate.objects.get(commitment=self.world.commitment)
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)
        self.assertEqual(update.author, self.world.officer)
        self.assertEqual(update.evidence.count(), 2)

    def test_form_reads_the_commitment_with_its_progress_in_one_query(self):
        self.login(self.world.officer)
        self.client.get(self.url())  # warm per-process caches
        with count_queries() as queries:
            response = self.client.get(self.url())
        self.assertContains(response, "đã đạt 0%")
        # The commitment with its progress (for "đã đạt …%"); session and user come from the cache.
        self.assertEqual(len(queries.captured_queries), 1, [query["sql"] for query in queries.captured_queries])

    def test_form_offers_camera_friendly_multiple_file_input(self):
        self.login(self.world.officer)
        response = self.client.get(self.url())
        self.assertContains(response, 'accept="image/*,application/pdf"')
        self.assertContains(response, "multiple")
        self.assertContains(response, 'name="client_token"')

    def test_htmx_get_returns_the_dialog_form_and_htmx_post_answers_with_the_confirmation(self):
        self.login(self.world.officer)
        response = self.client.get(self.url(), **HX)
        self.assertContains(response, 'id="progress-dialog-title"')
        self.assertContains(response, "data-close-dialog")
        self.assertNotContains(response, "<html")
        response = self.client.post(self.url() + "?next=/my-unit/", self.data(), **HX)
        self.assertEqual(response.status_code, 200)
        # No redirect and no whole page: on a slow link the confirmation is the answer itself (P8).
        self.assertNotIn("HX-Redirect", response)
        self.assertNotContains(response, "<html")
        self.assertContains(response, 'role="status"')
        self.assertContains(response, "Đã gửi báo cáo tiến độ, đang chờ Thành ủy xác nhận.")
        update = ProgressUpdate.objects.get(commitment=self.world.commitment, state=ProgressUpdate.State.SUBMITTED)
        self.assertContains(response, update.get_absolute_url())
        self.assertLess(len(response.content), 3_000)

    def test_next_must_stay_on_the_site(self):
        self.login(self.world.officer)
        response = self.client.post(self.url(), {**self.data(), "next": "https://evil.example/"})
        self.assertRedirects(response, self.world.commitment.get_absolute_url())

    def test_bad_input_keeps_what_was_typed_and_saves_nothing(self):
        self.login(self.world.officer)
        response = self.client.post(self.url(), self.data(achieved_quantity="-3"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Kết quả không được âm.")
        self.assertContains(response, "Đã bàn giao căn nhà thứ nhất cho hộ ông A.")
        self.assertContains(response, 'value="80000000"')
        self.assertFalse(ProgressUpdate.objects.exists())

    def test_exe_renamed_jpg_is_refused_and_nothing_is_saved(self):
        self.login(self.world.officer)
        response = self.client.post(
            self.url(), {**self.data(), "evidence": [fixtures.photo(), fixtures.exe_renamed_jpg()]}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "không phải ảnh JPEG, PNG hoặc tệp PDF")
        self.assertContains(response, "vui lòng chọn lại")
        self.assertFalse(ProgressUpdate.objects.exists())

    def test_pdf_with_javascript_is_refused(self):
        self.login(self.world.officer)
        response = self.client.post(self.url(), {**self.data(), "evidence": [fixtures.pdf(javascript=True)]})
        self.assertContains(response, "chứa mã lệnh hoặc tệp nhúng")
        self.assertFalse(ProgressUpdate.objects.exists())

    def test_more_than_ten_files_come_back_as_the_form_with_everything_typed(self):
        """Eleven photos: the form says so beside the field and keeps the text, never a 400 page
        (Django's own cap, DATA_UPLOAD_MAX_NUMBER_FILES, is twice the form's)."""
        self.login(self.world.officer)
        files = [fixtures.photo(f"anh-{index}.png") for index in range(11)]
        data = {**self.data(), "narrative": "Đã trao 4 suất học bổng tại trường Trà Leng"}
        response = self.client.post(self.url(), {**data, "evidence": files})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Tối đa 10 tệp minh chứng mỗi lần gửi.")
        self.assertContains(response, "Đã trao 4 suất học bổng tại trường Trà Leng")
        self.assertFalse(ProgressUpdate.objects.exists())

    def test_double_tap_creates_one_update(self):
        self.login(self.world.officer)
        data = self.data()
        first = self.client.post(self.url(), data)
        second = self.client.post(self.url(), {**data, "evidence": [fixtures.photo()]})
        self.assertEqual(ProgressUpdate.objects.count(), 1)
        self.assertEqual(first["Location"], second["Location"])
        self.assertEqual(ProgressUpdate.objects.get().evidence.count(), 0)

    def test_city_staff_may_report_for_a_unit(self):
        self.login(self.world.city)
        self.assertRedirects(self.client.post(self.url(), self.data()), self.world.commitment.get_absolute_url())

    def test_leader_gets_403_and_others_404(self):
        self.login(self.world.leader)
        self.assertEqual(self.client.post(self.url(), self.data()).status_code, 403)
        for user in (self.world.supported_officer, self.world.outsider_officer):
            self.login(user)
            self.assertEqual(self.client.post(self.url(), self.data()).status_code, 404)
        self.assertFalse(ProgressUpdate.objects.exists())


class ProgressResubmitViewTests(WorldTestCase):
    def test_officer_fixes_and_resubmits_a_returned_update(self):
        update = fixtures.returned_update(self.world, reason="Thiếu biên bản bàn giao.")
        url = reverse("commitments:progress_resubmit", args=[update.pk])
        self.login(self.world.officer)
        response = self.client.get(url)
        self.assertContains(response, "Thiếu biên bản bàn giao.")
        self.assertContains(response, "Đã bàn giao 1 căn nhà")
        data = {
            "achieved_quantity": "1",
            "narrative": "Bổ sung biên bản.",
            "evidence": [fixtures.pdf()],
            "version": update.version,
        }
        response = self.client.post(url, data)
        self.assertRedirects(response, update.get_absolute_url(), fetch_redirect_response=False)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)
        self.assertEqual(update.resubmission_count, 1)
        self.assertEqual(update.evidence.get().kind, "pdf")

    def test_htmx_resubmission_answers_with_the_confirmation_in_the_dialog(self):
        update = fixtures.returned_update(self.world)
        url = reverse("commitments:progress_resubmit", args=[update.pk])
        self.login(self.world.officer)
        data = {"achieved_quantity": "1", "narrative": "Bổ sung.", "version": update.version}
        response = self.client.post(url, data, **HX)
        self.assertNotIn("HX-Redirect", response)
        self.assertContains(response, "Đã gửi lại báo cáo tiến độ, đang chờ Thành ủy xác nhận.")
        self.assertContains(response, "data-progress-sent")
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)

    def test_replayed_resubmission_changes_nothing(self):
        update = fixtures.returned_update(self.world)
        url = reverse("commitments:progress_resubmit", args=[update.pk])
        self.login(self.world.officer)
        data = {"achieved_quantity": "1", "narrative": "Bổ sung.", "version": update.version}
        self.client.post(url, data)
        response = self.client.post(url, {**data, "evidence": [fixtures.photo()]})
        self.assertEqual(response.status_code, 302)
        update.refresh_from_db()
        self.assertEqual(update.resubmission_count, 1)
        self.assertEqual(update.evidence.count(), 0)

    def test_verified_update_cannot_be_resubmitted(self):
        update = fixtures.submitted_update(self.world)
        services.verify_progress(update=update, reviewer=self.world.city)
        self.login(self.world.officer)
        url = reverse("commitments:progress_resubmit", args=[update.pk])
        self.assertEqual(self.client.get(url).status_code, 404)


class ReviewQueueViewTests(WorldTestCase):
    url = reverse("commitments:review_queue")

    def test_lists_waiting_updates_oldest_first(self):
        newer = fixtures.submitted_update(self.world, narrative="Báo cáo mới")
        older = fixtures.submitted_update(
            self.world, narrative="Báo cáo cũ", at=timezone.now() - datetime.timedelta(days=3)
        )
        fixtures.returned_update(self.world)
        self.login(self.world.city)
        response = self.client.get(self.url)
        self.assertEqual(list(response.context["updates"]), [older, newer])
        self.assertContains(response, reverse("commitments:progress_return", args=[older.pk]))

    def test_only_city_staff_and_admins_see_the_queue(self):
        for user in (self.world.leader, self.world.officer, self.world.outsider_officer):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 404)
        self.login(self.world.admin)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_query_counts_do_not_grow_with_rows(self):
        self.login(self.world.city)
        fixtures.update_with_photo(self.world)
        # Rows, their count, four prefetches (commitments with their progress, the partnerships' member
        # names, periods, authors... ); the filters' two choice lists and one count
        # per filter (field, period, waiting time); the full page adds its adjustment requests.
        self.assert_same_query_count(self.url, more_commitments(self.world, 4), expected=13)
        self.assert_same_query_count(self.url, more_commitments(self.world, 2), expected=12, htmx=True)
        # A page turn replaces the results alone: no filters, no counts.
        self.assert_same_query_count(
            self.url + "?page=1", more_commitments(self.world, 2), expected=7, htmx=True, target="results"
        )

    def test_verify_in_place_with_htmx(self):
        update = fixtures.submitted_update(self.world)
        self.login(self.world.city)
        response = self.client.post(reverse("commitments:progress_verify", args=[update.pk]), **HX)
        self.assertContains(response, f'id="review-{update.pk}"')
        self.assertContains(response, "Đã xác nhận")
        self.assertEqual(json.loads(response["HX-Trigger"])["toast"]["kind"], "success")
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.VERIFIED)
        self.world.commitment.refresh_from_db()
        self.assertEqual(self.world.commitment.achieved_quantity, Decimal(1))

    def test_verify_without_javascript_redirects_to_the_queue(self):
        update = fixtures.submitted_update(self.world)
        self.login(self.world.city)
        response = self.client.post(reverse("commitments:progress_verify", args=[update.pk]))
        self.assertRedirects(response, self.url)

    def test_return_requires_a_reason(self):
        update = fixtures.submitted_update(self.world)
        url = reverse("commitments:progress_return", args=[update.pk])
        self.login(self.world.city)
        response = self.client.post(url, {"reason": "   "})
        self.assertContains(response, "Vui lòng nêu lý do trả lại.")
        response = self.client.post(url, {"reason": ""}, **HX)
        self.assertContains(response, "Vui lòng nêu lý do trả lại.")
        self.assertContains(response, f'id="review-{update.pk}"')
        self.assertContains(response, '<details class="review__return" open>')
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)

    def test_return_in_place_with_htmx(self):
        update = fixtures.submitted_update(self.world)
        self.login(self.world.city)
        url = reverse("commitments:progress_return", args=[update.pk])
        response = self.client.post(url, {"reason": "Ảnh không rõ."}, **HX)
        self.assertContains(response, "Lý do trả lại: Ảnh không rõ.")
        self.assertIn("toast", response["HX-Trigger"])
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.RETURNED)

    def test_second_review_changes_nothing(self):
        update = fixtures.submitted_update(self.world)
        services.return_progress(update=update, reviewer=self.world.city, reason="Sai số liệu.")
        self.login(self.world.admin)
        response = self.client.post(reverse("commitments:progress_verify", args=[update.pk]))
        self.assertRedirects(response, self.url)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.RETURNED)

    def test_leader_gets_403_and_officers_404_on_review_posts(self):
        update = fixtures.submitted_update(self.world)
        for name in ("commitments:progress_verify", "commitments:progress_return"):
            url = reverse(name, args=[update.pk])
            self.login(self.world.leader)
            self.assertEqual(self.client.post(url, {"reason": "x"}).status_code, 403)
            self.login(self.world.officer)
            self.assertEqual(self.client.post(url, {"reason": "x"}).status_code, 404)
        update.refresh_from_db()
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)


class EvidenceFileViewTests(WorldTestCase):
    def test_serves_the_file_inline_with_safe_headers(self):
        evidence = fixtures.update_with_photo(self.world).evidence.get()
        self.login(self.world.supported_officer)
        response = self.client.get(reverse("commitments:evidence_file", args=[evidence.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Content-Security-Policy"], "default-src 'none'; sandbox; frame-ancestors 'none'")
        self.assertTrue(response["Content-Disposition"].startswith("inline"))

    def test_thumbnail_is_a_small_jpeg(self):
        evidence = fixtures.update_with_photo(self.world).evidence.get()
        self.login(self.world.city)
        response = self.client.get(reverse("commitments:evidence_file", args=[evidence.pk]), {"thumb": "1"})
        self.assertEqual(response["Content-Type"], "image/jpeg")
        self.assertTrue(response.content.startswith(b"\xff\xd8"))

    def test_outsider_gets_404(self):
        evidence = fixtures.update_with_photo(self.world).evidence.get()
        self.login(self.world.outsider_officer)
        self.assertEqual(self.client.get(reverse("commitments:evidence_file", args=[evidence.pk])).status_code, 404)


class MyUnitViewTests(WorldTestCase):
    url = reverse("commitments:my_unit")

    def test_officer_sees_what_is_owed_overdue_and_returned(self):
        overdue = factories.commitment(
            partnership=self.world.partnership,
            start_on=datetime.date(2025, 1, 1),
            due_on=datetime.date(2025, 3, 1),
            title="Trao thuốc quá hạn",
        )
        returned = fixtures.returned_update(self.world, reason="Thiếu số liệu chi tiết.")
        self.login(self.world.officer)
        response = self.client.get(self.url)
        self.assertEqual(response.context["overdue"], [overdue])
        self.assertEqual(response.context["owed"], [self.world.commitment])
        self.assertContains(response, "Thiếu số liệu chi tiết.")
        self.assertContains(response, reverse("commitments:progress_resubmit", args=[returned.pk]))
        self.assertContains(response, "Sửa và gửi lại")
        self.assertContains(response, reverse("commitments:progress_create", args=[overdue.pk]))
        self.assertContains(response, reverse("partnerships:activity_create", args=[self.world.partnership.pk]))
        self.assertNotContains(response, self.world.other_commitment.get_absolute_url())

    def test_supported_officer_sees_the_partners_commitments(self):
        self.login(self.world.supported_officer)
        response = self.client.get(self.url)
        self.assertEqual(response.context["for_us"], [self.world.commitment])
        self.assertEqual(response.context["owed"], [])

    def test_other_roles_get_404(self):
        for user in (self.world.city, self.world.leader, self.world.admin):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_a_long_section_shows_its_soonest_rows_its_total_and_a_link_to_all(self):
        limit = views.MY_UNIT_SECTION_LIMIT
        overdue = [
            factories.commitment(
                partnership=self.world.partnership,
                start_on=datetime.date(2025, 1, 1),
                due_on=datetime.date(2025, 3, 1) + datetime.timedelta(days=n),
                title=f"Quá hạn {n:02}",
            )
            for n in range(limit + 3)
        ]
        self.login(self.world.officer)
        response = self.client.get(self.url)
        self.assertEqual(response.context["overdue"], overdue[:limit])
        self.assertEqual(response.context["totals"]["overdue"], limit + 3)
        self.assertContains(response, f'<span class="stat__value">{limit + 3}</span>', html=True)
        self.assertContains(response, f"Xem cả {limit + 3} cam kết quá hạn")
        self.assertContains(response, f"?owner={self.world.supporter.code}&amp;status=overdue")
        self.assertNotContains(response, "Quá hạn 22")
        # The owed section is short: no link.
        self.assertNotContains(response, "cam kết cần thực hiện</a>")

    def test_waiting_reports_show_the_newest_and_their_total(self):
        limit = views.MY_UNIT_SECTION_LIMIT
        start = timezone.now() - datetime.timedelta(days=30)
        waiting = [
            fixtures.submitted_update(self.world, narrative=f"Chờ {n}", at=start + datetime.timedelta(days=n))
            for n in range(limit + 2)
        ]
        self.login(self.world.officer)

        response = self.client.get(self.url)

        self.assertEqual(response.context["waiting"], waiting[::-1][:limit])
        self.assertEqual(response.context["totals"]["waiting"], limit + 2)
        self.assertEqual(response.context["totals"]["returned"], 0)
        self.assertContains(response, f'<span class="stat__value">{limit + 2}</span>', html=True)

    def test_query_count_does_not_grow_with_rows(self):
        self.login(self.world.officer)
        fixtures.returned_update(self.world)
        fixtures.submitted_update(self.world)

        def add_rows():
            more_commitments(self.world, 4)()
            for _ in range(3):
                fixtures.returned_update(self.world)
                fixtures.submitted_update(self.world)
            factories.partnership(supporters=[self.world.supporter])

        self.assert_same_query_count(self.url, add_rows, expected=6)

    def test_titled_partnerships_spare_the_query_for_members_names(self):
        self.login(self.world.officer)
        fixtures.returned_update(self.world)
        name_partnership(self.world.partnership, "Kết nghĩa Trà Tân")
        self.assertContains(self.client.get(self.url), "Kết nghĩa Trà Tân")
        self.assert_same_query_count(self.url, more_commitments(self.world, 4), expected=5)


class MyUnitPartnershipsCacheTests(TransactionTestCase):
    """ "My unit" keeps its section of the unit's partnerships under the pairing counter. Writes commit
    here: the counter moves at COMMIT, as in production."""

    def setUp(self):
        self.world = factories.World.build()
        sign_in(self.client, self.world.officer)

    def test_a_renamed_partnership_shows_at_the_next_request(self):
        url = reverse("commitments:my_unit")
        self.assertNotContains(self.client.get(url), "Kết nghĩa mới đặt tên")
        Partnership.objects.filter(pk=self.world.partnership.pk).update(title="Kết nghĩa mới đặt tên")
        self.assertContains(self.client.get(url), "Kết nghĩa mới đặt tên")

    def test_each_unit_sees_its_own_partnerships(self):
        url = reverse("commitments:my_unit")
        self.assertContains(self.client.get(url), str(self.world.partnership))
        sign_in(self.client, self.world.outsider_officer)
        response = self.client.get(url)
        self.assertNotContains(
            response, reverse("commitments:partnership_commitments", args=[self.world.partnership.pk])
        )


# --- A partnership's change history (embedded in the partnership page) ----------------------------


def history_url(partnership):
    return reverse("commitments:partnership_history", args=[partnership.pk])


def add_partnership_contents(world):
    """A document and an activity with a photo, recorded as a signed-in user's change (as in real use)."""
    with pghistory.context(user=world.city.pk):
        document_of(world.partnership)
        photo_of(world.partnership)


@pytest.mark.django_db
class TestPartnershipHistoryView:
    def test_history_names_the_user_and_the_change(self, client, world):
        world.city.first_name, world.city.last_name = "Lan", "Nguyễn Thị"
        world.city.save()
        sign_in(client, world.city)
        form = client.get(reverse("partnerships:partnership_update", args=[world.partnership.pk])).context["form"]
        data = {name: value for name, value in form.initial.items() if value is not None}
        data |= {"status": "active", "legal_basis": world.partnership.legal_basis_id, "signed_on": "2025-08-08"}
        data |= member_rows((world.supported, SUPPORTED), (world.supporter, LEAD))
        update_url = reverse("partnerships:partnership_update", args=[world.partnership.pk])
        assert client.post(update_url, data).status_code == 302

        response = client.get(history_url(world.partnership))

        # Events of one transaction share a timestamp; pick the partnership's own update.
        entry = next(e for e in response.context["history"] if e.kind == "update" and e.subject == "quan hệ kết nghĩa")
        assert entry.who == "Lan Nguyễn Thị"
        assert [(c.field, c.old, c.new) for c in entry.changes] == [("trạng thái", "Đã ký kết", "Đang triển khai")]
        assert "Lan Nguyễn Thị" in response.content.decode()

    def test_without_javascript_the_history_is_a_page_linking_back(self, client, world):
        add_partnership_contents(world)
        sign_in(client, world.city)

        html = client.get(history_url(world.partnership)).content.decode()

        assert 'class="history"' in html and "<html" in html
        assert f'href="{reverse("partnerships:partnership_detail", args=[world.partnership.pk])}"' in html

    def test_htmx_gets_the_section_alone(self, client, world):
        add_partnership_contents(world)
        sign_in(client, world.supported_officer)

        html = client.get(history_url(world.partnership), headers={"HX-Request": "true"}).content.decode()

        assert html.lstrip().startswith('<section id="history"') and 'class="history"' in html
        assert "<html" not in html

    def test_history_of_a_partnership_whose_contents_are_private_is_404(self, client, world):
        add_partnership_contents(world)
        sign_in(client, world.outsider_officer)
        url = history_url(world.partnership)

        assert client.get(url).status_code == 404
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404

    def test_a_voided_partnership_keeps_its_history(self, client, world):
        services.void_record(record=world.commitment, user=world.city, reason="Nhập trùng")
        Partnership.objects.filter(pk=world.partnership.pk).update(voided_at=timezone.now(), void_reason="Nhập sai")
        sign_in(client, world.city)

        assert client.get(history_url(world.partnership)).status_code == 200

    def test_query_count_does_not_grow_with_events(self, client, world):
        sign_in(client, world.city)
        url = history_url(world.partnership)
        add_partnership_contents(world)
        client.get(url, headers={"HX-Request": "true"})

        with count_queries() as one:
            client.get(url, headers={"HX-Request": "true"})
        for _ in range(5):
            add_partnership_contents(world)
        with count_queries() as many:
            client.get(url, headers={"HX-Request": "true"})

        assert len(one) == len(many) <= 15, [q["sql"][:120] for q in many.captured_queries]


# --- The partnership pages served from here: each row's health, the filter by field ----------------

PARTNERSHIP_LIST = reverse("partnerships:partnership_list")


@pytest.mark.django_db
class TestPartnershipListView:
    def test_the_partnership_list_and_page_are_served_from_the_commitments_app(self):
        assert resolve(PARTNERSHIP_LIST).func.view_class is views.PartnershipListView
        detail = reverse("partnerships:partnership_detail", args=[1])
        assert resolve(detail).func.view_class is views.PartnershipDetailView

    def test_health_is_shown_only_where_contents_are_readable(self, client, world):
        sign_in(client, world.outsider_officer)

        response = client.get(PARTNERSHIP_LIST)

        rows = {p.pk: p for p in response.context["page_obj"].object_list}
        assert rows[world.other_partnership.pk].can_see_contents is True
        assert rows[world.partnership.pk].can_see_contents is False
        assert response.content.decode().count('class="health health--') == 1
        assert "Chỉ đơn vị thành viên xem được" in response.content.decode()

    def test_city_staff_see_health_with_reason_for_every_row(self, client, world):
        factories.commitment(
            partnership=world.partnership, start_on=datetime.date(2025, 1, 1), due_on=datetime.date(2025, 2, 1)
        )
        sign_in(client, world.city)

        html = client.get(PARTNERSHIP_LIST).content.decode()

        assert html.count('class="health health--') == 2
        assert 'title="1/1 cam kết đến hạn bị quá hạn"' in html

    def test_the_field_filter_finds_partnerships_by_their_commitments_field(self, client, world):
        sign_in(client, world.city)

        response = client.get(PARTNERSHIP_LIST, {"field": world.other_commitment.field.code})

        assert [p.pk for p in response.context["page_obj"].object_list] == [world.other_partnership.pk]
        assert f'<option value="{world.other_commitment.field.code}" selected>' in response.content.decode()


@pytest.mark.django_db
class TestPartnershipDetailView:
    def test_the_page_shows_the_health_with_its_reason(self, client, world):
        factories.commitment(
            partnership=world.partnership, start_on=datetime.date(2025, 1, 1), due_on=datetime.date(2025, 2, 1)
        )
        sign_in(client, world.city)

        response = client.get(reverse("partnerships:partnership_detail", args=[world.partnership.pk]))

        assert response.context["partnership"].health == "red"
        assert 'class="health health--red" title="1/1 cam kết đến hạn bị quá hạn"' in response.content.decode()
