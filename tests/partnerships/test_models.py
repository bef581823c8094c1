"""PartnershipQuerySet read API: member names without N+1, visibility scopes (health: tests/commitments/test_health.py)."""

import datetime

import pytest

from communes.models import Commune
from partnerships import services
from partnerships.models import Membership, Partnership, with_pairing, with_pairing_count
from tests import factories
from tests.assertions import count_queries

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


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


class TestMembersOnADay:
    """``MembershipQuerySet.on(day)``: joined by the day (or from the start), not yet left on it."""

    def periods(self, joined_on, left_on):
        partnership = factories.partnership(supporters=[factories.commune(), factories.commune()])
        member = partnership.memberships.get(role=Membership.Role.CO_SUPPORTER)
        Membership.objects.filter(pk=member.pk).update(joined_on=joined_on, left_on=left_on)
        return partnership, member

    @pytest.mark.parametrize(
        ("joined_on", "left_on", "day", "member"),
        [
            (None, None, datetime.date(2000, 1, 1), True),  # from the start, still a member
            (datetime.date(2025, 9, 1), None, datetime.date(2025, 8, 31), False),
            (datetime.date(2025, 9, 1), None, datetime.date(2025, 9, 1), True),  # from the day it joins
            (None, datetime.date(2025, 12, 1), datetime.date(2025, 11, 30), True),
            (None, datetime.date(2025, 12, 1), datetime.date(2025, 12, 1), False),  # not on the day it leaves
            (datetime.date(2025, 9, 1), datetime.date(2025, 12, 1), datetime.date(2025, 10, 1), True),
            (datetime.date(2025, 9, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), False),
        ],
    )
    def test_the_rule(self, joined_on, left_on, day, member):
        partnership, row = self.periods(joined_on, left_on)
        assert Membership.objects.on(day).filter(pk=row.pk).exists() is member

    def test_defaults_to_today(self):
        partnership, row = self.periods(None, TODAY)
        assert not Membership.objects.on().filter(pk=row.pk).exists()
        assert Membership.objects.on(TODAY - datetime.timedelta(days=1)).filter(pk=row.pk).exists()

    def test_names_and_pairing_read_members_on_the_day(self):
        partnership = factories.partnership(supporters=[factories.commune(name="Hòa Xuân")])
        leaving = partnership.memberships.get(role=Membership.Role.LEAD_SUPPORTER)
        Membership.objects.create(
            partnership=partnership, commune=factories.commune(name="Hòa Vang"), role=Membership.Role.CO_SUPPORTER
        )
        Membership.objects.filter(pk=leaving.pk).update(left_on=datetime.date(2026, 1, 1))
        before, after = datetime.date(2025, 12, 31), datetime.date(2026, 1, 1)

        def paired(day):
            units = with_pairing(Commune.objects.filter(pk=leaving.commune_id), day)
            return units.values_list("paired_any", flat=True).get()

        assert paired(before) is True and paired(after) is False
        named = {
            day: str(Partnership.objects.with_member_names(day=day).get(pk=partnership.pk)) for day in (before, after)
        }
        assert "Hòa Xuân" in named[before] and "Hòa Xuân" not in named[after]

    def test_what_is_built_once_a_day_reads_rows_written_after_it(self):
        # The pairing count and the member names are built once a day and copied for each use: rows
        # written after one use count on the next.
        unit = factories.commune(name="Hòa Bắc", programme_role=Commune.ProgrammeRole.SUPPORTED)

        def pairing_count():
            return (
                with_pairing_count(Commune.objects.filter(pk=unit.pk)).values_list("partnership_count", flat=True).get()
            )

        def name(partnership):
            return str(Partnership.objects.with_member_names().get(pk=partnership.pk))

        assert pairing_count() == 0
        partnership = factories.partnership(supported=unit, supporters=[factories.commune(name="Hòa Xuân")])
        assert pairing_count() == 1
        assert "Hòa Vang" not in name(partnership)
        Membership.objects.create(
            partnership=partnership, commune=factories.commune(name="Hòa Vang"), role=Membership.Role.CO_SUPPORTER
        )
        assert "Hòa Vang" in name(partnership)

    def test_former_members_are_listed_apart(self):
        partnership, row = self.periods(datetime.date(2025, 9, 1), datetime.date(2025, 12, 1))

        fetched = Partnership.objects.with_member_names().with_former_members().get(pk=partnership.pk)

        assert [m.pk for m in fetched.former_memberships] == [row.pk]
        assert row.pk not in {m.pk for m in fetched.memberships.all()}

    def test_a_unit_that_left_loses_the_contents(self, world):
        services_day = datetime.date(2026, 2, 1)
        services.update_partnership(
            partnership=world.partnership,
            members=[(world.supported, Membership.Role.SUPPORTED), (world.outsider, Membership.Role.LEAD_SUPPORTER)],
            user=world.city,
            members_changed_on=services_day,
        )

        assert not Partnership.objects.contents_visible_to(world.officer).filter(pk=world.partnership.pk).exists()
        assert not Partnership.objects.activities_loggable_by(world.officer).exists()
        assert Partnership.objects.contents_visible_to(world.outsider_officer).filter(pk=world.partnership.pk).exists()
        flags = dict(Partnership.objects.with_contents_visibility(world.officer).values_list("pk", "can_see_contents"))
        assert flags[world.partnership.pk] is False
