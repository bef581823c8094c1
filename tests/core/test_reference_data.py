from collections import Counter

import pytest
from django.core.management import call_command

from commitments.models import Field
from communes.models import Commune, Constituent
from partnerships.models import LegalBasis, Membership, Partnership

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("load_reference_data", verbosity=0)


def table_snapshot():
    """Every row the loader writes, as comparable tuples."""
    return {
        model.__name__: sorted(map(str, model.objects.values_list()))
        for model in [Commune, Constituent, Field, LegalBasis, Partnership, Membership]
    }


def test_94_units_by_kind(loaded):
    kinds = Counter(Commune.objects.values_list("kind", flat=True))
    assert kinds == {Commune.Kind.WARD: 23, Commune.Kind.COMMUNE: 70, Commune.Kind.SPECIAL_ZONE: 1}


def test_codes_unique_five_digits_with_leading_zeros_kept(loaded):
    codes = list(Commune.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 94
    assert all(len(code) == 5 and code.isdigit() for code in codes)
    assert Commune.objects.get(name="Hòa Cường").code == "20257"


def test_unknown_flags_stay_unknown(loaded):
    mountainous = Counter(Commune.objects.values_list("is_mountainous", flat=True))
    border = Counter(Commune.objects.values_list("is_border", flat=True))
    assert mountainous == {True: 37, False: 24, None: 33}
    assert border == {True: 6, False: 80, None: 8}


def test_merge_table(loaded):
    assert Constituent.objects.count() == 282
    assert Constituent.objects.filter(old_name__icontains="Hòa Liên").count() == 2  # split between two wards
    assert set(Commune.objects.get(name="Hải Châu").constituents.values_list("old_code", flat=True)) >= {
        "20227",
        "20236",
    }


def test_fourteen_real_partnerships(loaded):
    assert Partnership.objects.filter(is_demo=False).count() == 14
    three_way = [p for p in Partnership.objects.all() if p.memberships.count() == 3]
    names = {frozenset(p.memberships.values_list("commune__name", flat=True)) for p in three_way}
    # The two three-way agreements DOMAIN.md names, plus Quảng Phú + Hội An Đông – Trà My from the CSV.
    assert names == {
        frozenset({"Nam Phước", "Thăng Phú", "Phước Thành"}),
        frozenset({"Bàn Thạch", "Việt An", "Trà Giáp"}),
        frozenset({"Quảng Phú", "Hội An Đông", "Trà My"}),
    }


def test_dates_kept_and_empty_dates_stay_empty(loaded):
    hoa_cuong = Partnership.objects.get(memberships__commune__name="Hòa Cường")
    son_tra = Partnership.objects.get(memberships__commune__name="Sơn Trà")
    assert hoa_cuong.signed_on.isoformat() == "2025-08-08"
    assert son_tra.signed_on is None
    assert "baodanang.vn" in hoa_cuong.source


def test_legal_basis_and_fields(loaded):
    resolution = LegalBasis.objects.get(number="02-NQ/TU")
    assert resolution.issued_on.isoformat() == "2025-07-29"
    assert Partnership.objects.exclude(legal_basis=resolution).count() == 0
    assert Field.objects.count() == 15


def test_avuong_has_two_separate_supporters(loaded):
    avuong = Commune.objects.get(name="Avương")
    assert avuong.programme_role == Commune.ProgrammeRole.SUPPORTED
    assert Membership.objects.filter(commune=avuong, role=Membership.Role.SUPPORTED).count() == 2


def test_second_run_changes_no_row(loaded):
    from pghistory.models import Events

    before, events_before = table_snapshot(), Events.objects.count()
    call_command("load_reference_data", verbosity=0)
    assert table_snapshot() == before
    assert Events.objects.count() == events_before


def test_accent_insensitive_search(loaded):
    assert list(Commune.objects.search("hoa cuong").values_list("name", flat=True)) == ["Hòa Cường"]
    assert "Đắc Pring" in Commune.objects.search("dac pring").values_list("name", flat=True)
