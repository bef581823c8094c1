"""A commitment added from its partnership's page, in place (htmx), shown at once in its field."""

import datetime
import json

from django.test import TestCase
from django.urls import reverse

from commitments import views
from commitments.models import Commitment
from tests import factories
from tests.assertions import count_queries
from tests.commitments import fixtures
from tests.signin import sign_in

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": views.IN_PLACE_TARGET}


class AddInPlaceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        fixtures.current_period()

    def setUp(self):
        sign_in(self.client, self.world.city)
        self.create = reverse("commitments:commitment_create") + f"?partnership={self.world.partnership.pk}"
        self.section = reverse("commitments:partnership_commitments", args=[self.world.partnership.pk])

    def data(self, **values):
        return {
            "title": "Tặng 30 bộ máy tính cho trường học",
            "field": self.world.commitment.field_id,
            "owner": self.world.supporter.code,
            "horizon": Commitment.Horizon.IMMEDIATE,
            "support_form": Commitment.SupportForm.HOUSING,
            "target_quantity": "30",
            "target_unit": "bộ",
            "start_on": "2025-10-01",
            "due_on": "2026-06-30",
            **values,
        }

    def test_city_staff_get_the_form_in_the_section_others_do_not(self):
        html = self.client.get(self.section, **HX).content.decode()
        self.assertIn('id="add-commitment"', html)
        self.assertIn(f'data-hx-post="{self.create}"', html)
        self.assertIn(f'action="{self.create}"', html)  # without JavaScript: the commitment page's own form
        self.assertIn('id="new-commitment-title"', html)
        for user in (self.world.officer, self.world.leader):
            sign_in(self.client, user)
            self.assertNotContains(self.client.get(self.section, **HX), 'id="add-commitment"')

    def test_added_in_place_and_shown_at_once_even_past_the_first_rows(self):
        field = self.world.commitment.field
        for n in range(views.FIELD_ROWS_SHOWN + 2):
            factories.commitment(
                partnership=self.world.partnership,
                field=field,
                title=f"Hạng mục {n:02}",
                due_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=n),
            )
        response = self.client.post(self.create, self.data(due_on="2027-12-31"), **HX)
        self.assertEqual(response.status_code, 200)
        added = Commitment.objects.get(title="Tặng 30 bộ máy tính cho trường học")
        self.assertEqual(added.partnership, self.world.partnership)
        html = response.content.decode()
        self.assertIn('id="partnership-commitments"', html)
        self.assertNotIn("<html", html)
        self.assertIn('id="commitment-new"', html)
        self.assertIn("Tặng 30 bộ máy tính cho trường học", html)  # due last: past the first rows, yet shown
        self.assertEqual(json.loads(response["HX-Trigger"])["toast"]["text"], "Đã thêm cam kết.")
        self.assertIn('id="add-commitment">', html)  # the form again, closed and empty, for the next one

    def test_a_refusal_keeps_what_was_typed_with_the_message_beside_the_field(self):
        response = self.client.post(self.create, self.data(target_quantity="-3"), **HX)
        html = response.content.decode()
        self.assertIn('id="add-commitment" open', html)
        self.assertIn("Chỉ tiêu phải lớn hơn 0.", html)
        self.assertIn('value="Tặng 30 bộ máy tính cho trường học"', html)
        self.assertFalse(Commitment.objects.filter(title="Tặng 30 bộ máy tính cho trường học").exists())

    def test_without_javascript_the_page_behind_works(self):
        response = self.client.post(self.create, self.data())
        added = Commitment.objects.get(title="Tặng 30 bộ máy tính cho trường học")
        self.assertRedirects(response, added.get_absolute_url(), fetch_redirect_response=False)

    def test_the_section_with_the_form_costs_the_same_with_more_rows(self):
        self.client.get(self.section, **HX)
        with count_queries() as few:
            self.client.get(self.section, **HX)
        for n in range(6):
            factories.commitment(partnership=self.world.partnership, field=factories.field(), title=f"Mục {n}")
        with count_queries() as many:
            self.client.get(self.section, **HX)
        self.assertEqual(len(few.captured_queries), len(many.captured_queries))
        self.assertLessEqual(len(many.captured_queries), 8)
