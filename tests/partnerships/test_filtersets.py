"""PartnershipFilterSet: accent-insensitive search, member filters, private fields, sorting."""

import datetime

import pytest
from django.test import RequestFactory

from partnerships.filtersets import PartnershipFilterSet
from partnerships.models import Partnership
from tests import factories

pytestmark = pytest.mark.django_db


def run(params, user) -> list[Partnership]:
    request = RequestFactory().get("/partnerships/", params)
    request.user = user
    filterset = PartnershipFilterSet(params, queryset=Partnership.objects.visible_to(user), request=request)
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


def pks(params, user) -> set[int]:
    return {partnership.pk for partnership in run(params, user)}


def test_search_ignores_accents_on_member_names(world):
    assert pks({"q": "hoa cuong"}, world.city) == {world.partnership.pk}
    assert pks({"q": "TRA TAN"}, world.city) == {world.partnership.pk}


def test_search_matches_the_title_and_returns_each_partnership_once(world):
    Partnership.objects.filter(pk=world.other_partnership.pk).update(title="Chương trình kết nghĩa Sơn Trà")

    assert [p.pk for p in run({"q": "son tra"}, world.city)] == [world.other_partnership.pk]


def test_status_filter(world):
    Partnership.objects.filter(pk=world.other_partnership.pk).update(status=Partnership.Status.ACTIVE)

    assert pks({"status": "active"}, world.city) == {world.other_partnership.pk}


def test_former_district_of_any_member(world):
    world.supporter.former_district = "Hải Châu"
    world.supporter.save()

    assert pks({"former_district": "Hải Châu"}, world.city) == {world.partnership.pk}


def test_member_unit_by_code(world):
    assert pks({"commune": world.outsider.code}, world.city) == {world.other_partnership.pk}
    assert pks({"commune": world.supported.code}, world.city) == {world.partnership.pk}


def test_field_filter_uses_the_commitments_field(world):
    field = world.commitment.field

    assert pks({"field": field.code}, world.city) == {world.partnership.pk}


def test_field_filter_never_reveals_another_units_commitments(world):
    other_field = world.other_commitment.field

    assert pks({"field": other_field.code}, world.officer) == set()
    assert pks({"field": other_field.code}, world.outsider_officer) == {world.other_partnership.pk}


def test_default_sort_is_latest_signing_first_with_unsigned_last(world):
    Partnership.objects.filter(pk=world.partnership.pk).update(signed_on=datetime.date(2025, 9, 1))
    unsigned = factories.partnership(status=Partnership.Status.ASSIGNED, signed_on=None)

    order = [p.pk for p in run({}, world.city)]

    assert order == [world.partnership.pk, world.other_partnership.pk, unsigned.pk]


def test_sort_by_name_uses_the_first_member_without_accents(world):
    # "Hòa Cường – Trà Tân" vs "Sơn Trà – …": H before S.
    assert [p.pk for p in run({"sort": "name"}, world.city)] == [world.partnership.pk, world.other_partnership.pk]
    assert [p.pk for p in run({"sort": "-name"}, world.city)] == [world.other_partnership.pk, world.partnership.pk]


def test_sort_by_status_follows_the_lifecycle(world):
    Partnership.objects.filter(pk=world.partnership.pk).update(status=Partnership.Status.ACTIVE)
    surveyed = factories.partnership(status=Partnership.Status.SURVEYED, signed_on=None)

    order = [p.pk for p in run({"sort": "status"}, world.city)]

    assert order == [surveyed.pk, world.other_partnership.pk, world.partnership.pk]
    descending = [p.pk for p in run({"sort": "-status"}, world.city)]
    assert descending == [world.partnership.pk, world.other_partnership.pk, surveyed.pk]


def test_only_a_status_sort_computes_the_status_order(world):
    """The lifecycle CASE is built only for the sorts that use it (it cost every page about 1 ms)."""

    def annotations(params):
        request = RequestFactory().get("/partnerships/", params)
        request.user = world.city
        filterset = PartnershipFilterSet(params, queryset=Partnership.objects.all(), request=request)
        return set(filterset.qs.query.annotations)

    assert "status_order" not in annotations({}) | annotations({"sort": "name"})
    assert "status_order" in annotations({"sort": "-status"})


def test_unbound_filterset_lists_everything_in_default_order(world):
    filterset = PartnershipFilterSet(None, queryset=Partnership.objects.all())
    assert filterset.qs.count() == 2
