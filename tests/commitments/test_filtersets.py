"""CommitmentFilterSet directly: each filter, accent-insensitive search, scoped choices, sorting; the
partnership list's PartnershipFilterSet: the filter by its commitments' field."""

import datetime
from unittest import mock

from django.test import RequestFactory, TestCase

from commitments.filtersets import CommitmentFilterSet, PartnershipFilterSet
from commitments.models import Commitment, CommitmentQuerySet
from partnerships.models import Partnership, PartnershipQuerySet
from tests import factories
from tests.commitments import fixtures


class CommitmentFilterSetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = fixtures.current_period()
        cls.education = factories.field(name="Giáo dục")
        cls.scholarship = factories.commitment(
            partnership=cls.world.partnership,
            field=cls.education,
            title="Trao học bổng cho học sinh Cơ Tu",
            horizon=Commitment.Horizon.LONG_TERM,
            start_on=datetime.date(2025, 1, 1),
            due_on=datetime.date(2025, 3, 1),
        )

    def filtered(self, params, user=None):
        request = RequestFactory().get("/commitments/", params)
        request.user = user or self.world.city
        queryset = Commitment.objects.visible_to(request.user).with_status()
        filterset = CommitmentFilterSet(params, queryset=queryset, request=request)
        self.assertIs(filterset.is_valid(), True, filterset.errors)
        return list(filterset.qs)

    def test_search_is_accent_insensitive(self):
        self.assertEqual(self.filtered({"q": "co tu"}), [self.scholarship])
        self.assertEqual(self.filtered({"q": "HOC BONG"}), [self.scholarship])

    def test_search_finds_member_unit_names(self):
        self.assertIn(self.world.commitment, self.filtered({"q": "tra tan"}))
        self.assertNotIn(self.world.other_commitment, self.filtered({"q": "tra tan"}))

    def test_field_and_horizon(self):
        self.assertEqual(self.filtered({"field": self.education.pk}), [self.scholarship])
        self.assertEqual(self.filtered({"horizon": "long_term"}), [self.scholarship])

    def test_status_uses_the_sql_annotation(self):
        self.assertEqual(self.filtered({"status": "overdue"}), [self.scholarship])
        self.assertNotIn(self.scholarship, self.filtered({"status": "not_started"}))

    def test_period_keeps_commitments_reported_in_it(self):
        fixtures.submitted_update(self.world)
        self.assertEqual(self.filtered({"period": self.period.pk}), [self.world.commitment])

    def test_partnership(self):
        self.assertEqual(self.filtered({"partnership": self.world.other_partnership.pk}), [self.world.other_commitment])

    def test_owner_choices_are_scoped_to_the_user(self):
        request = RequestFactory().get("/")
        request.user = self.world.officer
        filterset = CommitmentFilterSet({}, queryset=Commitment.objects.none(), request=request)
        owners = set(filterset.form.fields["owner"].queryset.values_list("code", flat=True))
        self.assertEqual(owners, {self.world.supporter.code})
        partnerships = set(filterset.form.fields["partnership"].queryset)
        self.assertEqual(partnerships, {self.world.partnership})

    def test_an_unfiltered_form_builds_no_typed_choices(self):
        request = RequestFactory().get("/")
        request.user = self.world.officer
        with (
            mock.patch.object(CommitmentQuerySet, "visible_to") as owners,
            mock.patch.object(PartnershipQuerySet, "contents_visible_to") as partnerships,
        ):
            filterset = CommitmentFilterSet({}, queryset=Commitment.objects.all(), request=request)
            filterset.form.is_valid()
            str(filterset.form)
        owners.assert_not_called()
        partnerships.assert_not_called()

    def test_officer_cannot_filter_by_a_foreign_partnership(self):
        request = RequestFactory().get("/")
        request.user = self.world.officer
        params = {"partnership": self.world.other_partnership.pk}
        filterset = CommitmentFilterSet(params, queryset=Commitment.objects.all(), request=request)
        self.assertIs(filterset.is_valid(), False)

    def test_sorting(self):
        by_due = self.filtered({"sort": "due", "partnership": self.world.partnership.pk})
        self.assertEqual(by_due, [self.scholarship, self.world.commitment])
        latest_due_first = self.filtered({"sort": "-due", "partnership": self.world.partnership.pk})
        self.assertEqual(latest_due_first, [self.world.commitment, self.scholarship])


class PartnershipFilterSetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()

    def pks(self, params, user) -> set[int]:
        request = RequestFactory().get("/partnerships/", params)
        request.user = user
        filterset = PartnershipFilterSet(params, queryset=Partnership.objects.visible_to(user), request=request)
        self.assertIs(filterset.is_valid(), True, filterset.errors)
        return {partnership.pk for partnership in filterset.qs}

    def test_field_filter_uses_the_commitments_field(self):
        field = self.world.commitment.field

        self.assertEqual(self.pks({"field": field.code}, self.world.city), {self.world.partnership.pk})

    def test_field_filter_never_reveals_another_units_commitments(self):
        other_field = self.world.other_commitment.field

        self.assertEqual(self.pks({"field": other_field.code}, self.world.officer), set())
        self.assertEqual(
            self.pks({"field": other_field.code}, self.world.outsider_officer), {self.world.other_partnership.pk}
        )

    def test_the_partnerships_own_filters_stay_in_their_order_with_the_field_after_the_district(self):
        self.assertEqual(
            list(PartnershipFilterSet.base_filters),
            ["q", "status", "former_district", "field", "commune", "sort", "voided"],
        )
        self.assertEqual(
            self.pks({"q": "son tra", "field": self.world.other_commitment.field.code}, self.world.city),
            {self.world.other_partnership.pk},
        )
