"""core.forms: the long selects render exactly what Django's template-rendered selects do."""

import pytest
from django import forms
from django.test.html import parse_html

from core.forms import LongSelect, LongSelectMultiple, SuggestInput, fold

CHOICES = [
    ("", "Tất cả"),
    ("a<b", 'Hải Châu & "Sơn Trà"'),
    ("x", "X"),
    ("Nhóm", [("g1", "Hòa Vang"), ("g2", "Đặc khu")]),
]


def rendered(widget_class, multiple: bool, data):
    field_class = forms.MultipleChoiceField if multiple else forms.ChoiceField
    form_class = type(
        "F",
        (forms.Form,),
        {"f": field_class(choices=CHOICES, required=False, widget=widget_class(attrs={"class": "c"}))},
    )
    return parse_html(str(form_class(data)["f"]))


@pytest.mark.parametrize("data", [{}, {"f": "a<b"}, {"f": "g2"}])
def test_long_select_is_the_same_html(data):
    assert rendered(LongSelect, False, data) == rendered(forms.Select, False, data)


@pytest.mark.parametrize("data", [{}, {"f": ["x", "g1"]}])
def test_long_select_multiple_is_the_same_html(data):
    assert rendered(LongSelectMultiple, True, data) == rendered(forms.SelectMultiple, True, data)


def test_fold_drops_vietnamese_accents_like_unaccent():
    assert fold("Đặc khu Hoàng Sa") == "dac khu hoang sa"
    assert fold("Xã Trà Tân") == "xa tra tan"


def test_suggest_input_keeps_its_datalist_and_htmx_attributes():
    html = str(SuggestInput("/suggest/").render("owner", "Hòa", attrs={"id": "id_owner"}))
    assert 'list="id_owner_suggestions"' in html and 'data-hx-get="/suggest/?field=owner"' in html
    assert html.endswith('<datalist id="id_owner_suggestions"></datalist>') and 'value="Hòa"' in html
