"""PartnershipQuerySet read API: member names without N+1, visibility scopes (health: tests/commitments/test_health.py)."""

import pytest

from partnerships.models import Membership, Partnership
from tests import factories
from tests.assertions import count_queries

pytestmark = pytest.mark.django_db


class TestWithMemberNames:
    def test_display_name_lists_lead_then_co_supporters_then_supported(self):
        supported = factories.commune(name="Trà Giáp")
        lead = factories.commune(name="Việt An")
        co = factories.commune(name="Bàn Thạch")
        partnership = factories.partnership(supported=supported, supporters=[lead, co])

        row = Partnership.objects.with_member_names().get(pk=partnership.pk)

        assert row.display_name() == "Việt An, Bàn Thạch – Trà Giáp"
        assert [m.role for m in row.memberships.all()] == [
            Membership.Role.LEAD_SUPPORTER,
            Membership.Role.CO_SUPPORTER,
            Membership.Role.SUPPORTED,
        ]

    def test_two_queries_for_any_number_of_partnerships(self):
        world = factories.World.build()
        factories.partnership()

        with count_queries() as queries:
            names = [p.display_name() for p in Partnership.objects.with_member_names().order_by("pk")]

        assert len(queries) == 2
        assert names[0] == "Hòa Cường – Trà Tân"
        assert world.partnership.pk == Partnership.objects.order_by("pk").first().pk

    @pytest.mark.parametrize("names_only", [False, True])
    def test_names_only_gives_the_same_names_in_the_same_two_queries(self, names_only):
        factories.World.build()
        factories.partnership(supporters=[factories.commune(name="Bàn Thạch"), factories.commune(name="Việt An")])
        expected = [p.display_name() for p in Partnership.objects.with_member_names().order_by("pk")]

        with count_queries() as queries:
            rows = list(Partnership.objects.with_member_names(names_only=names_only).order_by("pk"))
            names = [p.display_name() for p in rows]
            roles = [m.role for p in rows for m in p.memberships.all()]

        assert (len(queries), names) == (2, expected)
        assert len(roles) == Membership.objects.count()


class TestVisibility:
    def test_everyone_signed_in_sees_every_partnership(self, world):
        for user in [world.city, world.leader, world.officer, world.outsider_officer]:
            assert Partnership.objects.visible_to(user).count() == 2

    def test_contents_are_visible_to_members_and_city_only(self, world):
        def contents(user):
            return set(Partnership.objects.contents_visible_to(user).values_list("pk", flat=True))

        both = {world.partnership.pk, world.other_partnership.pk}
        assert contents(world.city) == both
        assert contents(world.leader) == both
        assert contents(world.officer) == {world.partnership.pk}
        assert contents(world.supported_officer) == {world.partnership.pk}
        assert contents(world.outsider_officer) == {world.other_partnership.pk}

    def test_only_city_staff_edit(self, world):
        assert Partnership.objects.editable_by(world.city).count() == 2
        assert Partnership.objects.editable_by(world.admin).count() == 2
        assert Partnership.objects.editable_by(world.leader).count() == 0
        assert Partnership.objects.editable_by(world.officer).count() == 0
