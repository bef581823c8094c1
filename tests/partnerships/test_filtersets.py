"""BasePartnershipFilterSet: accent-insensitive search, member filters, sorting (the filter by field:
tests/commitments/test_filtersets.py)."""

import datetime

import pytest
from django.test import RequestFactory

from communes.models import Commune
from partnerships.filtersets import BasePartnershipFilterSet, UnitDirectoryFilterSet
from partnerships.models import Partnership, unpaired
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def run(params, user) -> list[Partnership]:
    request = RequestFactory().get("/partnerships/", params)
    request.user = user
    filterset = BasePartnershipFilterSet(params, queryset=Partnership.objects.visible_to(user), request=request)
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
        filterset = BasePartnershipFilterSet(params, queryset=Partnership.objects.all(), request=request)
        return set(filterset.qs.query.annotations)

    assert "status_order" not in annotations({}) | annotations({"sort": "name"})
    assert "status_order" in annotations({"sort": "-status"})


def test_unbound_filterset_lists_everything_in_default_order(world):
    filterset = BasePartnershipFilterSet(None, queryset=Partnership.objects.all())
    assert filterset.qs.count() == 2


# --- UnitDirectoryFilterSet: the directory of units, by pairing ---


def unit_names(params) -> set[str]:
    filterset = UnitDirectoryFilterSet(params, queryset=Commune.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("name", flat=True))


@pytest.fixture
def directory_units():
    return {
        "hoa_cuong": factories.commune(name="Hòa Cường", kind=Commune.Kind.WARD),
        "tra_tan": factories.commune(name="Trà Tân", programme_role=Commune.ProgrammeRole.SUPPORTED),
        "avuong": factories.commune(name="Avương", programme_role=""),
    }


def test_the_directory_keeps_the_units_own_filters(directory_units):
    assert unit_names({"programme_role": "supported"}) == {"Trà Tân"}


def test_paired_and_unpaired_units(directory_units):
    factories.partnership(supported=directory_units["tra_tan"], supporters=[directory_units["hoa_cuong"]])

    assert unit_names({"paired": "yes"}) == {"Hòa Cường", "Trà Tân"}
    assert unit_names({"paired": "no"}) == {"Avương"}


def test_one_definition_of_unpaired_for_the_directory_the_dashboard_and_the_map(directory_units, client):
    """Issue 19: a unit in an assigned (unsigned) partnership is "chưa kết nghĩa" everywhere."""
    from reports.summary import load_summary

    factories.partnership(
        supported=directory_units["avuong"],
        supporters=[directory_units["hoa_cuong"]],
        status=Partnership.Status.ASSIGNED,
        signed_on=None,
    )

    assert unit_names({"paired": "yes"}) == set()
    assert unit_names({"paired": "no"}) == {"Hòa Cường", "Trà Tân", "Avương"}
    assert set(unpaired(Commune.objects.all()).values_list("name", flat=True)) == unit_names({"paired": "no"})
    coverage = load_summary().coverage
    assert coverage.supported_paired + coverage.supporting_paired == 0
    sign_in(client, factories.user("city_staff"))
    listed = client.get("/communes/").context["page_obj"].object_list
    assert {unit.name: unit.partnership_count for unit in listed} == {"Hòa Cường": 0, "Trà Tân": 0, "Avương": 0}

    factories.partnership(supported=directory_units["tra_tan"], supporters=[directory_units["hoa_cuong"]])

    assert unit_names({"paired": "no"}) == {"Avương"}
    coverage = load_summary().coverage
    assert (coverage.supported_paired, coverage.supporting_paired) == (1, 1)
