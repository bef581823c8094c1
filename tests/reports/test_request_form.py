"""ReportRequestForm's scope: a partnership or a unit typed (number, code or name), never a huge <select>."""

import pytest

from reports.forms import ReportRequestForm
from tests import factories

pytestmark = pytest.mark.django_db


def form_for(world, **data):
    return ReportRequestForm({"period_code": "2025-Q4", "next_tasks": "", **data}, user=world.city)


def test_a_partnership_typed_by_number_or_member_name_is_the_scope(world):
    for typed in (str(world.partnership.pk), f"#{world.partnership.pk}", "tra tan"):
        form = form_for(world, kind="partnership", partnership=typed)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["partnership"] == world.partnership


def test_a_unit_typed_by_code_or_name_is_the_scope(world):
    for typed in (world.outsider.code, "son tra", f"Phường Sơn Trà ({world.outsider.code})"):
        form = form_for(world, kind="unit", commune=typed)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["commune"] == world.outsider


def test_an_ambiguous_member_name_asks_for_the_number(world):
    factories.partnership(supported=world.supported, status="ended")

    form = form_for(world, kind="partnership", partnership="Trà Tân")

    assert not form.is_valid()
    assert form.errors.as_data()["partnership"][0].code == "ambiguous"
    assert f"(#{world.partnership.pk})" in form.errors["partnership"][0]


def test_the_form_renders_text_fields_with_suggestions_not_selects(world):
    html = str(ReportRequestForm(user=world.city))

    assert 'name="partnership"' in html and 'list="id_partnership_suggestions"' in html
    assert 'name="commune"' in html and 'list="id_commune_suggestions"' in html
    assert f'<option value="{world.outsider.code}"' not in html
