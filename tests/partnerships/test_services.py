"""Partnership services: all-or-nothing member writes, database refusals as Vietnamese errors."""

import datetime

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from partnerships import services
from partnerships.models import Activity, Membership, Partnership
from tests import factories
from tests.partnerships.routes import png_bytes

pytestmark = pytest.mark.django_db


def roles(partnership) -> dict[str, str]:
    """The current members' names and roles."""
    return dict(partnership.memberships.on().values_list("commune__name", "role"))


def unsigned_with_commitment():
    """A partnership never signed (assigned) whose supporting unit owns a commitment."""
    partnership = factories.partnership(status=Partnership.Status.ASSIGNED, signed_on=None)
    return partnership, factories.commitment(partnership=partnership)


CO = Membership.Role.CO_SUPPORTER


def new_partnership(**overrides) -> Partnership:
    values = {"legal_basis": factories.legal_basis(), "status": Partnership.Status.ASSIGNED}
    values.update(overrides)
    return Partnership(**values)


class TestCreatePartnership:
    def test_creates_the_partnership_with_its_members(self, world):
        lead, co = factories.commune(name="Nam Phước"), factories.commune(name="Thăng Phú")
        supported = factories.commune(name="Phước Thành")

        created = services.create_partnership(
            partnership=new_partnership(),
            members=[(supported, Membership.Role.SUPPORTED), (lead, Membership.Role.LEAD_SUPPORTER), (co, CO)],
            user=world.city,
        )

        assert roles(created) == {
            "Phước Thành": Membership.Role.SUPPORTED,
            "Nam Phước": Membership.Role.LEAD_SUPPORTER,
            "Thăng Phú": Membership.Role.CO_SUPPORTER,
        }

    @pytest.mark.parametrize("role", ["leader", "officer"])
    def test_only_city_staff_create(self, world, role):
        with pytest.raises(PermissionDenied):
            services.create_partnership(
                partnership=new_partnership(),
                members=[(world.supported, Membership.Role.SUPPORTED), (world.outsider, CO)],
                user=getattr(world, role),
            )

    def test_the_same_unit_twice_is_refused_by_the_database_and_nothing_is_saved(self, world):
        before = Partnership.objects.count()
        partnership = new_partnership()

        with pytest.raises(ValidationError) as raised:
            services.create_partnership(
                partnership=partnership,
                members=[(world.outsider, Membership.Role.SUPPORTED), (world.outsider, CO)],
                user=world.city,
            )

        assert raised.value.messages == ["Một đơn vị chỉ được tham gia quan hệ kết nghĩa một lần."]
        assert Partnership.objects.count() == before
        assert partnership.pk is None  # the form can be shown again as a new partnership

    def test_a_three_way_partnership_needs_no_lead(self, world):
        thang_phu, nam_phuoc = factories.commune(name="Thăng Phú"), factories.commune(name="Nam Phước")

        created = services.create_partnership(
            partnership=new_partnership(),
            members=[(world.supported, Membership.Role.SUPPORTED), (nam_phuoc, CO), (thang_phu, CO)],
            user=world.city,
        )

        assert roles(created) == {"Trà Tân": "supported", "Nam Phước": CO, "Thăng Phú": CO}

    def test_no_supported_unit_is_refused_by_the_database_and_nothing_is_saved(self, world):
        before = Partnership.objects.count()

        with pytest.raises(ValidationError) as raised:
            services.create_partnership(
                partnership=new_partnership(), members=[(world.outsider, CO), (world.supporter, CO)], user=world.city
            )

        assert "đúng một đơn vị được hỗ trợ" in raised.value.messages[0]
        assert Partnership.objects.count() == before


class TestUpdatePartnership:
    def test_roles_can_be_swapped_and_units_added(self, world):
        partnership = world.partnership
        partnership.status = Partnership.Status.ACTIVE

        services.update_partnership(
            partnership=partnership,
            members=[
                (world.supported, Membership.Role.SUPPORTED),
                (world.outsider, Membership.Role.LEAD_SUPPORTER),
                (world.supporter, CO),
            ],
            user=world.city,
        )

        partnership.refresh_from_db()
        assert partnership.status == Partnership.Status.ACTIVE
        assert roles(partnership) == {
            "Trà Tân": Membership.Role.SUPPORTED,
            "Sơn Trà": Membership.Role.LEAD_SUPPORTER,
            "Hòa Cường": Membership.Role.CO_SUPPORTER,
        }

    def test_member_changes_are_audited_and_rows_of_staying_units_kept(self, world):
        lead = world.partnership.memberships.get(commune=world.supporter)

        services.update_partnership(
            partnership=world.partnership,
            members=[(world.supported, Membership.Role.SUPPORTED), (world.supporter, CO), (world.outsider, CO)],
            user=world.city,
        )

        lead.refresh_from_db()  # the same row, its role changed
        assert lead.role == CO
        events = pghistory.models.Events.objects.tracks(lead)
        assert [event.pgh_data["role"] for event in events.order_by("pgh_created_at")][-1] == CO
        added = world.partnership.memberships.get(commune=world.outsider)
        assert pghistory.models.Events.objects.tracks(added).count() == 1

    def test_dropping_a_unit_that_owns_commitments_from_an_unsigned_partnership_is_refused(self, world):
        partnership, commitment = unsigned_with_commitment()
        before = roles(partnership)
        partnership.signed_place = "đã đổi"

        with pytest.raises(ValidationError) as raised:
            services.update_partnership(
                partnership=partnership,
                members=[
                    (partnership.supported_membership().commune, Membership.Role.SUPPORTED),
                    (world.outsider, Membership.Role.LEAD_SUPPORTER),
                ],
                user=world.city,
            )

        assert "đang thực hiện cam kết" in raised.value.messages[0]
        partnership.refresh_from_db()
        assert partnership.signed_place == ""
        assert roles(partnership) == before

    def test_a_unit_dropped_from_a_signed_partnership_leaves_on_the_day_and_keeps_its_commitments(self, world):
        day = datetime.date(2026, 1, 15)

        services.update_partnership(
            partnership=world.partnership,
            members=[(world.supported, Membership.Role.SUPPORTED), (world.outsider, Membership.Role.LEAD_SUPPORTER)],
            user=world.city,
            members_changed_on=day,
        )

        left = Membership.objects.get(partnership=world.partnership, commune=world.supporter)
        joined = Membership.objects.get(partnership=world.partnership, commune=world.outsider)
        assert (left.left_on, joined.joined_on) == (day, day)
        assert roles(world.partnership) == {"Trà Tân": "supported", "Sơn Trà": "lead_supporter"}
        on_the_eve = world.partnership.memberships.on(day - datetime.timedelta(days=1))
        assert set(on_the_eve.values_list("commune__name", flat=True)) == {"Trà Tân", "Hòa Cường"}
        world.commitment.refresh_from_db()
        assert world.commitment.owner == world.supporter
        latest = pghistory.models.Events.objects.tracks(left).order_by("pgh_created_at", "pgh_id").last()
        assert (latest.pgh_label, latest.pgh_data["left_on"]) == ("update", "2026-01-15")  # audited

    def test_a_leaving_day_before_the_unit_joined_is_refused(self, world):
        services.add_member(
            membership=Membership(
                partnership=world.partnership, commune=world.outsider, role=CO, joined_on=datetime.date(2026, 3, 1)
            ),
            user=world.city,
        )

        with pytest.raises(ValidationError) as raised:
            services.update_partnership(
                partnership=world.partnership,
                members=[
                    (world.supported, Membership.Role.SUPPORTED),
                    (world.supporter, Membership.Role.LEAD_SUPPORTER),
                ],
                user=world.city,
                members_changed_on=datetime.date(2026, 2, 1),
            )

        assert raised.value.code == "left_before_joining"
        assert "Sơn Trà" in roles(world.partnership)

    def test_officer_cannot_update(self, world):
        with pytest.raises(PermissionDenied):
            services.update_partnership(
                partnership=world.partnership,
                members=[(world.supported, Membership.Role.SUPPORTED), (world.supporter, CO)],
                user=world.officer,
            )


class TestMembers:
    def test_add_and_remove_a_co_supporter(self, world):
        membership = Membership(
            partnership=world.partnership, commune=world.outsider, role=Membership.Role.CO_SUPPORTER
        )

        services.add_member(membership=membership, user=world.city)
        assert "Sơn Trà" in roles(world.partnership)

        services.remove_member(membership=membership, user=world.city)
        assert "Sơn Trà" not in roles(world.partnership)
        membership.refresh_from_db()  # signed: the row stays, with the day the unit left
        assert membership.left_on == timezone.localdate()

    def test_removing_from_an_unsigned_partnership_deletes_the_row(self, world):
        partnership = factories.partnership(
            status=Partnership.Status.ASSIGNED, signed_on=None, supporters=[world.outsider, world.supporter]
        )
        co = partnership.memberships.get(commune=world.supporter)

        services.remove_member(membership=co, user=world.city)

        assert not Membership.objects.filter(pk=co.pk).exists()

    def test_a_unit_that_left_may_join_again_later(self, world):
        membership = Membership(partnership=world.partnership, commune=world.outsider, role=CO)
        services.add_member(membership=membership, user=world.city)
        services.remove_member(membership=membership, user=world.city, left_on=datetime.date(2026, 1, 1))

        again = Membership(
            partnership=world.partnership, commune=world.outsider, role=CO, joined_on=datetime.date(2026, 2, 1)
        )
        services.add_member(membership=again, user=world.city)

        periods = Membership.objects.filter(partnership=world.partnership, commune=world.outsider).order_by("pk")
        assert [(m.joined_on, m.left_on) for m in periods] == [
            (None, datetime.date(2026, 1, 1)),
            (datetime.date(2026, 2, 1), None),
        ]
        assert not world.partnership.memberships.on(datetime.date(2026, 1, 15)).filter(commune=world.outsider).exists()

    def test_rejoining_inside_the_former_period_is_refused_in_vietnamese(self, world):
        membership = Membership(partnership=world.partnership, commune=world.outsider, role=CO)
        services.add_member(membership=membership, user=world.city)
        services.remove_member(membership=membership, user=world.city, left_on=datetime.date(2026, 1, 1))

        with pytest.raises(ValidationError) as raised:
            services.add_member(
                membership=Membership(
                    partnership=world.partnership, commune=world.outsider, role=CO, joined_on=datetime.date(2025, 12, 1)
                ),
                user=world.city,
            )

        assert raised.value.code == "integrity"
        assert "không được chồng lên nhau" in raised.value.messages[0]

    def test_a_unit_that_already_left_cannot_leave_again(self, world):
        membership = Membership(partnership=world.partnership, commune=world.outsider, role=CO)
        services.add_member(membership=membership, user=world.city)
        services.remove_member(membership=membership, user=world.city)

        with pytest.raises(ValidationError) as raised:
            services.remove_member(membership=membership, user=world.city)

        assert raised.value.code == "already_left"

    def test_a_second_lead_is_refused_in_vietnamese(self, world):
        membership = Membership(
            partnership=world.partnership, commune=world.outsider, role=Membership.Role.LEAD_SUPPORTER
        )

        with pytest.raises(ValidationError) as raised:
            services.add_member(membership=membership, user=world.city)

        assert raised.value.messages == ["Mỗi quan hệ kết nghĩa chỉ có một đơn vị hỗ trợ chính."]

    def test_removing_a_unit_with_commitments_from_an_unsigned_partnership_is_refused(self, world):
        partnership, commitment = unsigned_with_commitment()
        lead = partnership.memberships.get(commune=commitment.owner)
        services.add_member(
            membership=Membership(partnership=partnership, commune=world.outsider, role=Membership.Role.CO_SUPPORTER),
            user=world.city,
        )

        with pytest.raises(ValidationError) as raised:
            services.remove_member(membership=lead, user=world.city)

        assert raised.value.code == "integrity"
        assert "đang thực hiện cam kết" in raised.value.messages[0]
        assert Membership.objects.filter(pk=lead.pk).exists()
        assert commitment.__class__.objects.filter(pk=commitment.pk).exists()

    def test_removing_the_last_supporter_is_refused_by_the_trigger(self, world):
        world.commitment.delete()
        lead = world.partnership.memberships.get(commune=world.supporter)

        with pytest.raises(ValidationError) as raised:
            services.remove_member(membership=lead, user=world.city)

        assert "ít nhất một đơn vị hỗ trợ" in raised.value.messages[0]
        assert Membership.objects.filter(pk=lead.pk).exists()

    def test_the_supported_unit_cannot_be_removed(self, world):
        supported = world.partnership.memberships.get(role=Membership.Role.SUPPORTED)

        with pytest.raises(ValidationError) as raised:
            services.remove_member(membership=supported, user=world.city)

        assert raised.value.code == "supported_member"

    def test_leadership_cannot_change_members(self, world):
        supported = world.partnership.memberships.get(role=Membership.Role.SUPPORTED)
        with pytest.raises(PermissionDenied):
            services.remove_member(membership=supported, user=world.leader)


class TestLogActivity:
    def activity(self):
        return Activity(
            kind=Activity.Kind.HANDOVER, occurred_on="2025-10-01", title="Trao quà Tết", value_vnd=5_000_000
        )

    def test_member_officer_logs_an_activity_with_reencoded_photos(self, world):
        photo = SimpleUploadedFile("IMG_0001.png", png_bytes(size=(40, 30)))

        activity = services.log_activity(
            activity=self.activity(), partnership=world.partnership, photos=[photo], user=world.supported_officer
        )

        assert activity.logged_by == world.supported_officer
        stored = activity.photos.get()
        assert len(stored.sha256) == 64
        assert "IMG_0001" not in stored.image.name  # random name, original not trusted
        with Image.open(stored.image.path) as image:
            assert image.size == (40, 30)
        assert stored.caption == "Ảnh 1: Trao quà Tết"

    @pytest.mark.parametrize("role", ["outsider_officer", "leader"])
    def test_outsiders_and_leadership_cannot_log(self, world, role):
        with pytest.raises(PermissionDenied):
            services.log_activity(activity=self.activity(), partnership=world.partnership, user=getattr(world, role))
        assert not Activity.objects.exists()
