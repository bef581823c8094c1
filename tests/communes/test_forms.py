"""UnitField: a unit typed as its code, a suggestion or its name, resolved on the server within a scope."""

import pytest
from django import forms

from communes.forms import UnitField
from communes.models import Commune
from tests import factories

pytestmark = pytest.mark.django_db


class UnitForm(forms.Form):
    unit = UnitField(label="Đơn vị", required=False)

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Commune.objects.all() if queryset is None else queryset


def cleaned(text, **kwargs):
    form = UnitForm({"unit": text}, **kwargs)
    assert form.is_valid(), form.errors
    return form.cleaned_data["unit"]


def error_of(text, **kwargs) -> tuple[str, str]:
    form = UnitForm({"unit": text}, **kwargs)
    assert not form.is_valid()
    error = form.errors.as_data()["unit"][0]
    return error.code, form.errors["unit"][0]


class TestResolving:
    def test_code_suggestion_and_name_without_accents_find_the_unit(self):
        unit = factories.commune(name="Trà Tân", code="20515")
        factories.commune(name="Trà Tập")

        assert cleaned("20515") == unit
        assert cleaned(" Xã Trà Tân (20515) ") == unit
        assert cleaned("tra tan") == unit
        assert cleaned("TRÀ TÂN") == unit

    def test_kind_and_name_as_written_find_the_unit(self):
        ward = factories.commune(name="Hòa Cường", kind=Commune.Kind.WARD)
        factories.commune(name="Hòa Cường", kind=Commune.Kind.COMMUNE)

        assert cleaned("Phường Hòa Cường") == ward
        assert cleaned("phuong hoa cuong") == ward

    def test_empty_is_no_filter(self):
        assert cleaned("  ") is None

    def test_nothing_matching_says_so_in_vietnamese(self):
        factories.commune(name="Trà Tân")

        code, message = error_of("tra tam")

        assert code == "no_match"
        assert message.startswith("Không tìm thấy đơn vị “tra tam”.")

    def test_several_matching_lists_them_with_their_codes(self):
        first = factories.commune(name="Tân Lập", kind=Commune.Kind.WARD)
        second = factories.commune(name="Tân Lập", kind=Commune.Kind.COMMUNE)

        code, message = error_of("tan lap")

        assert code == "ambiguous"
        assert f"({first.code})" in message and f"({second.code})" in message
        assert message.endswith("Hãy nhập mã đơn vị 5 chữ số.")

    def test_a_unit_outside_the_scope_cannot_be_typed(self):
        inside = factories.commune(name="Trà Tân")
        outside = factories.commune(name="Sơn Trà")
        scope = Commune.objects.filter(pk=inside.pk)

        assert error_of(outside.code, queryset=scope) == (
            "unknown_code",
            f"Không có đơn vị mã {outside.code} để chọn ở đây.",
        )
        assert error_of("son tra", queryset=scope)[0] == "no_match"

    def test_the_typed_text_is_shown_again_with_the_error(self):
        form = UnitForm({"unit": "tra tam <b>"})

        html = str(form["unit"])

        assert not form.is_valid()
        assert 'value="tra tam &lt;b&gt;"' in html
        assert 'list="id_unit_suggestions"' in html
        assert '<datalist id="id_unit_suggestions"></datalist>' in html
        assert 'data-hx-push-url="false"' in html  # filter forms push their URL; suggestions must not
