"""Members and roles edited row by row on the partnership page: a role per member, no multi-select."""

import json

import pghistory.models
from django.test import TestCase
from django.urls import reverse

from partnerships.models import Membership
from tests import factories
from tests.signin import sign_in

HX = {"HTTP_HX_REQUEST": "true"}


class MemberRoleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.co = Membership.objects.create(
            partnership=cls.world.partnership,
            commune=factories.commune(name="An Khê"),
            role=Membership.Role.CO_SUPPORTER,
        )

    def setUp(self):
        sign_in(self.client, self.world.city)
        self.lead = self.world.partnership.memberships.get(role=Membership.Role.LEAD_SUPPORTER)

    def url(self, membership):
        return reverse("partnerships:member_role", args=[self.world.partnership.pk, membership.pk])

    def roles(self) -> dict:
        return dict(self.world.partnership.memberships.values_list("commune__name", "role"))

    def test_each_supporting_row_has_its_role_choice(self):
        html = self.client.get(self.world.partnership.get_absolute_url()).content.decode()
        for membership in (self.lead, self.co):
            self.assertIn(f'action="{self.url(membership)}"', html)
            self.assertIn(f'id="role-{membership.pk}"', html)
        supported = self.world.partnership.memberships.get(role=Membership.Role.SUPPORTED)
        self.assertNotIn(f'id="role-{supported.pk}"', html)

    def test_a_new_lead_takes_over_and_the_former_one_stays_as_co_supporter(self):
        response = self.client.post(self.url(self.co), {"role": "lead_supporter"}, **HX)
        self.assertContains(response, 'id="members"')
        self.assertEqual(json.loads(response["HX-Trigger"])["toast"]["kind"], "success")
        self.assertEqual(
            self.roles(), {"Trà Tân": "supported", "Hòa Cường": "co_supporter", "An Khê": "lead_supporter"}
        )
        # One transaction in a TestCase: every event has the same time, so find the change by its data.
        (event,) = [
            e for e in pghistory.models.Events.objects.tracks(self.co) if e.pgh_data["role"] == "lead_supporter"
        ]
        self.assertEqual(event.pgh_context["user"], self.world.city.pk)

    def test_without_javascript_it_redirects_to_the_members(self):
        response = self.client.post(self.url(self.lead), {"role": "co_supporter"})
        self.assertRedirects(
            response, self.world.partnership.get_absolute_url() + "#members", fetch_redirect_response=False
        )
        self.assertEqual(self.roles()["Hòa Cường"], "co_supporter")

    def test_the_supported_unit_and_unknown_roles_are_refused_with_a_message(self):
        supported = self.world.partnership.memberships.get(role=Membership.Role.SUPPORTED)
        response = self.client.post(self.url(supported), {"role": "lead_supporter"}, **HX)
        self.assertContains(response, "Chỉ đổi được vai trò giữa hỗ trợ chính và cùng hỗ trợ.")
        response = self.client.post(self.url(self.co), {"role": "supported"}, **HX)
        self.assertEqual(json.loads(response["HX-Trigger"])["toast"]["kind"], "error")
        self.assertEqual(self.roles()["Trà Tân"], "supported")
        self.assertEqual(self.roles()["An Khê"], "co_supporter")

    def test_officers_and_leaders_cannot(self):
        for user, status in ((self.world.leader, 403), (self.world.officer, 404)):
            sign_in(self.client, user)
            self.assertEqual(self.client.post(self.url(self.co), {"role": "lead_supporter"}).status_code, status)
        self.assertEqual(self.roles()["An Khê"], "co_supporter")
