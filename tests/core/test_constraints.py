"""Every database invariant, each violated once. The database refuses; no Python check is involved."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role, User
from commitments.models import ProgressUpdate, ReportingPeriod
from communes.models import Commune, Constituent
from partnerships.models import Membership, Partnership
from tests import factories
from tests.assertions import violates

pytestmark = pytest.mark.django_db


class TestAccounts:
    def test_officer_needs_a_commune(self):
        with violates("officer_bound_to_exactly_one_commune"):
            User.objects.create(username="x", role=Role.UNIT_OFFICER, commune=None)

    def test_city_staff_has_no_commune(self):
        with violates("officer_bound_to_exactly_one_commune"):
            User.objects.create(username="y", role=Role.CITY_STAFF, commune=factories.commune())


class TestCommunes:
    def test_code_is_five_digits(self):
        with violates("commune_code_is_five_digits"):
            Commune.objects.create(code="2024", name="Thiếu số", kind=Commune.Kind.WARD)

    def test_name_unique_per_kind(self):
        factories.commune(name="Hòa Cường", kind=Commune.Kind.WARD)
        with violates("commune_name_unique_per_kind"):
            factories.commune(name="Hòa Cường", kind=Commune.Kind.WARD)

    def test_constituent_code(self):
        with violates("constituent_old_code_is_five_digits"):
            Constituent.objects.create(
                commune=factories.commune(), old_code="12", old_name="Xã A", old_district="B", old_province="C"
            )

    def test_constituent_once(self):
        unit = factories.commune()
        Constituent.objects.create(
            commune=unit, old_code="20227", old_name="Thanh Bình", old_district="Hải Châu", old_province="ĐN"
        )
        with violates("constituent_once_per_commune"):
            Constituent.objects.create(
                commune=unit, old_code="20227", old_name="Thanh Bình", old_district="Hải Châu", old_province="ĐN"
            )


class TestPartnerships:
    def test_term_end_after_start(self):
        with violates("partnership_term_ends_after_start"):
            factories.partnership(term_start=datetime.date(2026, 1, 1), term_end=datetime.date(2025, 1, 1))

    def test_term_does_not_start_before_signing(self):
        with violates("partnership_effective_not_before_signing"):
            factories.partnership(signed_on=datetime.date(2025, 8, 8), term_start=datetime.date(2025, 8, 7))

    def test_unsigned_has_no_signing_date(self):
        with violates("partnership_unsigned_has_no_signing_date"):
            factories.partnership(status=Partnership.Status.ASSIGNED, signed_on=datetime.date(2025, 8, 8))

    def test_external_ref_unique(self):
        factories.partnership(external_ref="known:a>b")
        with violates("partnership_external_ref_unique"):
            factories.partnership(external_ref="known:a>b")

    def test_unit_once_per_partnership(self):
        partnership = factories.partnership()
        member = partnership.memberships.first().commune
        with violates("membership_unit_once_per_partnership"):
            Membership.objects.create(partnership=partnership, commune=member, role=Membership.Role.CO_SUPPORTER)

    def test_one_supported_unit(self):
        partnership = factories.partnership()
        with violates("membership_one_supported_unit"):
            Membership.objects.create(
                partnership=partnership, commune=factories.commune(), role=Membership.Role.SUPPORTED
            )

    def test_one_lead_supporter(self):
        partnership = factories.partnership()
        with violates("membership_one_lead_supporter"):
            Membership.objects.create(
                partnership=partnership, commune=factories.commune(), role=Membership.Role.LEAD_SUPPORTER
            )

    def test_a_unit_that_left_may_join_again_but_not_twice_at_once(self):
        partnership = factories.partnership()
        member = partnership.memberships.exclude(role=Membership.Role.SUPPORTED).get()
        Membership.objects.filter(pk=member.pk).update(left_on=datetime.date(2025, 10, 1))
        Membership.objects.create(
            partnership=partnership, commune=member.commune, role=member.role, joined_on=datetime.date(2025, 11, 1)
        )
        with violates("membership_unit_once_per_partnership"):
            Membership.objects.create(
                partnership=partnership,
                commune=member.commune,
                role=Membership.Role.CO_SUPPORTER,
                joined_on=datetime.date(2025, 12, 1),
            )

    def test_periods_of_a_unit_do_not_overlap(self):
        partnership = factories.partnership(supporters=[factories.commune(), factories.commune()])
        member = partnership.memberships.get(role=Membership.Role.CO_SUPPORTER)
        Membership.objects.filter(pk=member.pk).update(
            joined_on=datetime.date(2025, 8, 8), left_on=datetime.date(2025, 10, 1)
        )
        with violates("membership_periods_do_not_overlap"):
            Membership.objects.create(
                partnership=partnership,
                commune=member.commune,
                role=Membership.Role.CO_SUPPORTER,
                joined_on=datetime.date(2025, 9, 30),
                left_on=datetime.date(2025, 9, 30) + datetime.timedelta(days=10),
            )

    def test_a_period_may_start_the_day_the_former_one_ended(self):
        partnership = factories.partnership(supporters=[factories.commune(), factories.commune()])
        member = partnership.memberships.get(role=Membership.Role.CO_SUPPORTER)
        Membership.objects.filter(pk=member.pk).update(left_on=datetime.date(2025, 10, 1))
        again = Membership.objects.create(
            partnership=partnership,
            commune=member.commune,
            role=Membership.Role.CO_SUPPORTER,
            joined_on=datetime.date(2025, 10, 1),
            left_on=datetime.date(2025, 11, 1),
        )
        assert again.pk is not None

    def test_leaving_comes_after_joining(self):
        partnership = factories.partnership()
        with violates("membership_leaves_after_joining"):
            partnership.memberships.exclude(role=Membership.Role.SUPPORTED).update(
                joined_on=datetime.date(2025, 9, 1), left_on=datetime.date(2025, 9, 1)
            )

    def test_one_supported_unit_at_a_time_a_former_one_aside(self):
        partnership = factories.partnership()
        partnership.memberships.filter(role=Membership.Role.SUPPORTED).update(left_on=datetime.date(2025, 10, 1))
        Membership.objects.create(
            partnership=partnership, commune=factories.commune(), role=Membership.Role.SUPPORTED
        )  # the former supported unit's row does not count
        with violates("membership_one_supported_unit"):
            Membership.objects.create(
                partnership=partnership, commune=factories.commune(), role=Membership.Role.SUPPORTED
            )

    def test_one_lead_at_a_time_a_former_one_aside(self):
        partnership = factories.partnership()
        partnership.memberships.filter(role=Membership.Role.LEAD_SUPPORTER).update(left_on=datetime.date(2025, 10, 1))
        Membership.objects.create(
            partnership=partnership, commune=factories.commune(), role=Membership.Role.LEAD_SUPPORTER
        )
        with violates("membership_one_lead_supporter"):
            Membership.objects.create(
                partnership=partnership, commune=factories.commune(), role=Membership.Role.LEAD_SUPPORTER
            )

    def test_partnership_needs_a_current_supporter(self):
        partnership = factories.partnership()
        with violates("must have exactly one supported unit and at least one supporter", immediate=True):
            partnership.memberships.exclude(role=Membership.Role.SUPPORTED).update(left_on=datetime.date(2025, 10, 1))

    def test_partnership_needs_a_current_supported_unit(self):
        partnership = factories.partnership()
        with violates("must have exactly one supported unit and at least one supporter", immediate=True):
            partnership.memberships.filter(role=Membership.Role.SUPPORTED).update(left_on=datetime.date(2025, 10, 1))

    def test_partnership_needs_a_supporter(self):
        partnership = factories.partnership()
        with violates("must have exactly one supported unit and at least one supporter", immediate=True):
            partnership.memberships.exclude(role=Membership.Role.SUPPORTED).delete()

    def test_partnership_needs_its_supported_unit(self):
        partnership = factories.partnership()
        with violates("must have exactly one supported unit and at least one supporter", immediate=True):
            partnership.memberships.filter(role=Membership.Role.SUPPORTED).delete()

    def test_three_way_partnership_is_valid(self):
        partnership = factories.partnership(supporters=[factories.commune(), factories.commune()])
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert partnership.memberships.count() == 3

    def test_activity_value_not_negative(self):
        with violates("activity_value_not_negative"):
            factories.activity(partnership=factories.partnership(), value_vnd=-1)


class TestCommitments:
    @pytest.fixture
    def partnership(self):
        return factories.partnership()

    def test_measurable_target(self, partnership):
        with violates("commitment_has_measurable_target"):
            factories.commitment(partnership=partnership, target_quantity=None, target_value_vnd=None)

    def test_quantity_has_unit(self, partnership):
        with violates("commitment_quantity_has_unit"):
            factories.commitment(partnership=partnership, target_unit="")

    def test_targets_positive(self, partnership):
        with violates("commitment_targets_positive"):
            factories.commitment(partnership=partnership, target_value_vnd=0)

    def test_due_after_start(self, partnership):
        with violates("commitment_due_after_start"):
            factories.commitment(partnership=partnership, due_on=datetime.date(2025, 1, 1))

    def test_achieved_not_negative(self, partnership):
        with violates("commitment_achieved_not_negative"):
            factories.commitment(partnership=partnership, achieved_value_vnd=-5)

    def test_owner_is_a_member(self, partnership):
        with violates("commitment_owner_is_member", immediate=True):
            factories.commitment(partnership=partnership, owner=factories.commune())

    def test_a_unit_that_left_keeps_owning_its_commitments(self, partnership):
        commitment = factories.commitment(partnership=partnership)
        Membership.objects.create(partnership=partnership, commune=factories.commune(), role="co_supporter")
        Membership.objects.filter(partnership=partnership, commune=commitment.owner).update(
            left_on=datetime.date(2025, 10, 1)
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert Membership.objects.filter(partnership=partnership, commune=commitment.owner).exists()

    def test_the_last_row_of_an_owner_cannot_be_deleted(self, partnership):
        commitment = factories.commitment(partnership=partnership)
        Membership.objects.create(partnership=partnership, commune=factories.commune(), role="co_supporter")
        with violates("commitment_owner_is_member", immediate=True):
            Membership.objects.filter(partnership=partnership, commune=commitment.owner).delete()

    def test_member_who_owns_commitments_cannot_leave(self, partnership):
        commitment = factories.commitment(partnership=partnership)
        with violates("commitment_owner_is_member", immediate=True):
            Membership.objects.filter(partnership=partnership, commune=commitment.owner).update(
                commune=factories.commune()
            )


class TestPeriodsAndProgress:
    def test_period_ends_after_start(self):
        with violates("reporting_period_ends_after_start"):
            ReportingPeriod.objects.create(
                year=2025, number=1, starts_on=datetime.date(2025, 3, 14), ends_on=datetime.date(2025, 3, 1)
            )

    def test_period_number_in_range(self):
        with violates("reporting_period_number_in_range"):
            ReportingPeriod.objects.create(
                year=2025, number=5, starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2025, 3, 1)
            )

    def test_period_unique(self):
        factories.period(2025, 4)
        with violates("reporting_period_unique"):
            ReportingPeriod.objects.create(
                year=2025, number=4, starts_on=datetime.date(2025, 9, 15), ends_on=datetime.date(2025, 12, 14)
            )

    @pytest.fixture
    def update(self, world):
        return factories.progress(commitment=world.commitment, author=world.officer)

    def test_returned_needs_reason(self, update, world):
        with violates("progress_returned_has_reason"):
            ProgressUpdate.objects.filter(pk=update.pk).update(
                state="returned", reviewed_by=world.city, reviewed_at=timezone.now()
            )

    def test_reviewed_needs_reviewer(self, update):
        with violates("progress_reviewed_has_reviewer"):
            ProgressUpdate.objects.filter(pk=update.pk).update(state="verified")

    def test_values_not_negative(self, world):
        with violates("progress_values_not_negative"):
            factories.progress(commitment=world.commitment, author=world.officer, achieved_quantity=Decimal(-1))

    def test_verified_update_is_locked(self, update, world):
        ProgressUpdate.objects.filter(pk=update.pk).update(
            state="verified", reviewed_by=world.city, reviewed_at=timezone.now()
        )
        with violates("verified_progress_is_locked"):
            ProgressUpdate.objects.filter(pk=update.pk).update(narrative="sửa sau khi xác nhận")
        with violates("verified_progress_is_locked"):
            ProgressUpdate.objects.filter(pk=update.pk).delete()
