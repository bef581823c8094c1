"""CommuneFilterSet: accent-insensitive search, and flags where unknown is its own answer."""

import pytest

from communes.filtersets import CommuneFilterSet
from communes.models import Commune
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def names(params) -> set[str]:
    filterset = CommuneFilterSet(params, queryset=Commune.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("name", flat=True))


@pytest.fixture
def units():
    return {
        "hoa_cuong": factories.commune(
            name="Hòa Cường", kind=Commune.Kind.WARD, former_district="Hải Châu", is_mountainous=False, is_border=False
        ),
        "tra_tan": factories.commune(
            name="Trà Tân",
            former_district="Bắc Trà My",
            is_mountainous=True,
            is_border=None,
            programme_role=Commune.ProgrammeRole.SUPPORTED,
        ),
        "avuong": factories.commune(
            name="Avương", former_district="Tây Giang", is_mountainous=None, is_border=True, programme_role=""
        ),
    }


def test_search_ignores_accents_and_case(units):
    assert names({"q": "hoa cuong"}) == {"Hòa Cường"}
    assert names({"q": "TRA TAN"}) == {"Trà Tân"}


def test_search_by_code_prefix(units):
    assert names({"q": units["avuong"].code}) == {"Avương"}


def test_kind_and_former_district(units):
    assert names({"kind": "ward"}) == {"Hòa Cường"}
    assert names({"former_district": "Bắc Trà My"}) == {"Trà Tân"}


def test_former_district_choices_come_from_the_data(units):
    choices = dict(CommuneFilterSet().form.fields["former_district"].choices)
    assert {"Hải Châu", "Bắc Trà My", "Tây Giang"} <= set(choices)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", {"Trà Tân"}), ("no", {"Hòa Cường"}), ("unknown", {"Avương"})],
)
def test_mountainous_flag_keeps_unknown_apart_from_no(units, value, expected):
    assert names({"is_mountainous": value}) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", {"Avương"}), ("no", {"Hòa Cường"}), ("unknown", {"Trà Tân"})],
)
def test_border_flag_keeps_unknown_apart_from_no(units, value, expected):
    assert names({"is_border": value}) == expected


def test_programme_role_including_unknown(units):
    assert names({"programme_role": "supported"}) == {"Trà Tân"}
    assert names({"programme_role": "unknown"}) == {"Hòa Cường", "Avương"}


def test_paired_and_unpaired_units(units):
    factories.partnership(supported=units["tra_tan"], supporters=[units["hoa_cuong"]])

    assert names({"paired": "yes"}) == {"Hòa Cường", "Trà Tân"}
    assert names({"paired": "no"}) == {"Avương"}


def test_one_definition_of_unpaired_for_the_directory_the_dashboard_and_the_map(units, client):
    """Issue 19: a unit in an assigned (unsigned) partnership is "chưa kết nghĩa" everywhere."""
    from partnerships.models import Partnership
    from reports.summary import load_summary

    factories.partnership(
        supported=units["avuong"], supporters=[units["hoa_cuong"]], status=Partnership.Status.ASSIGNED, signed_on=None
    )

    assert names({"paired": "yes"}) == set()
    assert names({"paired": "no"}) == {"Hòa Cường", "Trà Tân", "Avương"}
    assert set(Commune.objects.unpaired().values_list("name", flat=True)) == names({"paired": "no"})
    coverage = load_summary().coverage
    assert coverage.supported_paired + coverage.supporting_paired == 0
    sign_in(client, factories.user("city_staff"))
    listed = client.get("/communes/").context["page_obj"].object_list
    assert {unit.name: unit.partnership_count for unit in listed} == {"Hòa Cường": 0, "Trà Tân": 0, "Avương": 0}

    factories.partnership(supported=units["tra_tan"], supporters=[units["hoa_cuong"]])

    assert names({"paired": "no"}) == {"Avương"}
    coverage = load_summary().coverage
    assert (coverage.supported_paired, coverage.supporting_paired) == (1, 1)


def test_an_unknown_choice_is_an_error_not_everything(units):
    filterset = CommuneFilterSet({"is_border": "maybe"}, queryset=Commune.objects.all())
    assert not filterset.is_valid()
    assert "is_border" in filterset.errors
