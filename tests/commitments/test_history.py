"""commitments.history: a partnership's change history, from its own rows' and its commitments' events."""

import pghistory
import pytest

from commitments.history import change_history
from partnerships.models import Membership, Partnership
from tests import factories
from tests.assertions import count_queries

pytestmark = pytest.mark.django_db


class TestChangeHistory:
    def history(self, partnership):
        return change_history(Partnership.objects.with_member_names().get(pk=partnership.pk))

    def test_names_the_user_and_describes_each_change(self, world):
        world.city.first_name, world.city.last_name = "Lan", "Nguyễn Thị"
        world.city.save()
        with pghistory.context(user=world.city.pk):
            Partnership.objects.filter(pk=world.partnership.pk).update(
                status=Partnership.Status.ACTIVE, signed_place="UBND xã Trà Tân"
            )

        update = next(e for e in self.history(world.partnership) if e.kind == "update")

        assert update.who == "Lan Nguyễn Thị"
        assert (update.action, update.subject) == ("Sửa", "quan hệ kết nghĩa")
        assert {(c.field, c.old, c.new) for c in update.changes} == {
            ("trạng thái", "Đã ký kết", "Đang triển khai"),
            ("nơi ký kết", "—", "UBND xã Trà Tân"),
        }

    def test_a_member_that_left_is_still_named(self, world):
        extra = Membership.objects.create(
            partnership=world.partnership, commune=world.outsider, role=Membership.Role.CO_SUPPORTER
        )
        extra.delete()

        removal = next(e for e in self.history(world.partnership) if e.kind == "delete")

        assert (removal.action, removal.subject, removal.label) == ("Xóa", "thành viên", "Sơn Trà (Cùng hỗ trợ)")

    def test_commitments_and_activities_are_part_of_the_history(self, world):
        factories.activity(partnership=world.partnership, title="Khảo sát thực tế")
        factories.activity(partnership=world.other_partnership, title="Hoạt động của quan hệ khác")

        labels = {e.label for e in self.history(world.partnership)}

        assert {"Khảo sát thực tế", world.commitment.title} <= labels
        assert "Hoạt động của quan hệ khác" not in labels

    def test_bookkeeping_only_updates_are_left_out(self, world):
        Partnership.objects.get(pk=world.partnership.pk).save()  # touches updated_at only

        assert not [e for e in self.history(world.partnership) if e.kind == "update"]

    def test_commands_are_named(self, world):
        with pghistory.context(command="seed_demo"):
            factories.activity(partnership=world.partnership, title="Trao quà minh họa")

        entry = next(e for e in self.history(world.partnership) if e.label == "Trao quà minh họa")

        assert entry.who == "Hệ thống (lệnh seed_demo)"

    def test_latest_twenty_at_most_in_three_queries(self, world):
        for number in range(25):
            factories.activity(partnership=world.partnership, title=f"Hoạt động {number}")
        partnership = Partnership.objects.with_member_names().get(pk=world.partnership.pk)

        with count_queries() as queries:
            entries = change_history(partnership)

        assert len(entries) == 20
        assert len(queries) <= 3
