"""No duplicate or impossible partnerships (issue 16): the create and edit forms refuse them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune
from partnerships import services
from partnerships.forms import PartnershipForm
from partnerships.models import Partnership
from tests import factories
from tests.partnerships.member_rows import CO, LEAD, SUPPORTED, member_rows
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def data(world, *rows, **overrides) -> dict:
    """A signed partnership form; its members are ``rows`` (default: Trà Tân supported, Hòa Cường leading)."""
    values = {
        "title": "",
        "status": Partnership.Status.SIGNED,
        "legal_basis": world.partnership.legal_basis_id,
        "assigning_document": "",
        "signed_on": "2025-09-03",
        "signed_place": "",
        "term_start": "",
        "term_end": "",
        "summary": "",
        "source": "",
        **member_rows(*(rows or [(world.supported, SUPPORTED), (world.supporter, LEAD)])),
    }
    values.update(overrides)
    return values


def errors(world, *rows, instance=None, **overrides) -> dict:
    form = PartnershipForm(data(world, *rows, **overrides), instance=instance)
    form.is_valid()
    return form.errors


def test_an_exact_copy_is_refused_with_a_link_to_the_original(client, world):
    sign_in(client, world.city)
    response = client.post(reverse("partnerships:partnership_create"), data(world))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Đã có quan hệ kết nghĩa với đúng các đơn vị này" in content
    assert f'<a href="/partnerships/{world.partnership.pk}/">Hòa Cường – Trà Tân</a>' in content
    assert Partnership.objects.count() == 2


def test_a_three_way_copy_is_refused_but_a_different_set_is_not(world):
    nam_phuoc, thang_phu = factories.commune(name="Nam Phước"), factories.commune(name="Thăng Phú")
    phuoc_thanh = factories.commune(name="Phước Thành", is_mountainous=True)
    factories.partnership(supported=phuoc_thanh, supporters=[nam_phuoc, thang_phu])
    same = [(phuoc_thanh, SUPPORTED), (nam_phuoc, LEAD), (thang_phu, CO)]
    assert "__all__" in errors(world, *same)
    swapped = [(phuoc_thanh, SUPPORTED), (thang_phu, LEAD), (nam_phuoc, CO)]
    assert "__all__" in errors(world, *swapped), "the same units in other roles are the same partnership"
    assert "__all__" in errors(world, (phuoc_thanh, SUPPORTED), (thang_phu, CO), (nam_phuoc, CO))
    assert "__all__" not in errors(world, *same[:2])


def test_an_ended_or_voided_partnership_does_not_block_a_new_one(world):
    Partnership.objects.filter(pk=world.partnership.pk).update(status=Partnership.Status.ENDED)
    assert "__all__" not in errors(world)
    Partnership.objects.filter(pk=world.partnership.pk).update(status=Partnership.Status.ACTIVE)
    services.void_record(record=world.partnership, user=world.city, reason="Nhập trùng")
    assert "__all__" not in errors(world)


def test_editing_a_partnership_is_not_a_duplicate_of_itself(world):
    assert "__all__" not in errors(world, instance=world.partnership)


def test_signed_statuses_need_a_signing_date_and_none_in_the_future(world):
    for status in (Partnership.Status.SIGNED, Partnership.Status.ACTIVE, Partnership.Status.ENDED):
        assert "cần có ngày ký kết" in errors(world, status=status, signed_on="")["signed_on"][0]
    assert "signed_on" not in errors(world, status=Partnership.Status.ASSIGNED, signed_on="")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert errors(world, signed_on=tomorrow)["signed_on"] == ["Ngày ký kết không được sau hôm nay."]
    assert "signed_on" in errors(world, signed_on="2030-01-01")


def test_a_partnership_stored_signed_without_a_date_can_be_edited_without_one(world):
    """The reference data knows some signings only by their status (data/SOURCES.md)."""
    Partnership.objects.filter(pk=world.partnership.pk).update(signed_on=None)
    undated = Partnership.objects.get(pk=world.partnership.pk)
    assert "signed_on" not in errors(world, instance=undated, signed_on="")
    assert "signed_on" in errors(world, instance=undated, signed_on="", status=Partnership.Status.ACTIVE)
    assert "signed_on" in errors(world, signed_on=""), "a new signed partnership still needs its date"


def test_a_lowland_supported_unit_needs_confirmation_and_a_reason(world):
    hai_chau = factories.commune(name="Hải Châu", kind=Commune.Kind.WARD, is_mountainous=False, is_border=False)
    rows = [(hai_chau, SUPPORTED), (world.supporter, LEAD)]
    asked = errors(world, *rows)
    assert "không được ghi nhận là xã miền núi, biên giới hay hải đảo" in asked["confirm_supported"][0]
    assert "supported_reason" in errors(world, *rows, confirm_supported="on")
    form = PartnershipForm(data(world, *rows, confirm_supported="on", supported_reason="Theo Công văn 389"))
    assert form.is_valid(), form.errors
    assert form.save(commit=False).supported_reason == "Theo Công văn 389"


def test_unknown_flags_are_never_refused(world):
    unknown = factories.commune(name="Chưa rõ", is_mountainous=None, is_border=None)
    assert "confirm_supported" not in errors(world, (unknown, SUPPORTED), (world.supporter, LEAD))
    border = factories.commune(name="A Vương", is_mountainous=False, is_border=True)
    assert "confirm_supported" not in errors(world, (border, SUPPORTED), (world.supporter, LEAD))
