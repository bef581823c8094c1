"""core.forms: FastSelect and FastTextInput render exactly what Django's template-rendered widgets do."""

import pytest
from django import forms
from django.test.html import parse_html

from core.forms import FastSelect, FastSelectMultiple, FastTextInput, SuggestInput, fold

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
def test_fast_select_is_the_same_html(data):
    assert rendered(FastSelect, False, data) == rendered(forms.Select, False, data)


@pytest.mark.parametrize("data", [{}, {"f": ["x", "g1"]}])
def test_fast_select_multiple_is_the_same_html(data):
    assert rendered(FastSelectMultiple, True, data) == rendered(forms.SelectMultiple, True, data)


def test_fold_drops_vietnamese_accents_like_unaccent():
    assert fold("Đặc khu Hoàng Sa") == "dac khu hoang sa"
    assert fold("Xã Trà Tân") == "xa tra tan"


def rendered_input(widget, data) -> object:
    form_class = type("F", (forms.Form,), {"q": forms.CharField(required=False, widget=widget)})
    return parse_html(str(form_class(data)["q"]))


INPUT_ATTRS = {"type": "search", "placeholder": 'Ví dụ: "hoa cuong" & <b>', "autocomplete": "off", "required": True}


@pytest.mark.parametrize("data", [None, {}, {"q": ""}, {"q": 'Hòa "Cường" <script>&amp;'}, {"q": "0"}])
def test_fast_text_input_is_the_same_html(data):
    fast = rendered_input(FastTextInput(attrs=dict(INPUT_ATTRS)), data)
    assert fast == rendered_input(forms.TextInput(attrs=dict(INPUT_ATTRS)), data)


def test_fast_text_input_leaves_out_false_attributes_and_escapes_values():
    html = str(FastTextInput(attrs={"disabled": False, "readonly": True}).render("q", 'a"b<c>'))
    assert html == '<input type="text" name="q" value="a&quot;b&lt;c&gt;" readonly>'


def test_suggest_input_keeps_its_datalist_and_htmx_attributes():
    html = str(SuggestInput("/suggest/").render("owner", "Hòa", attrs={"id": "id_owner"}))
    assert 'list="id_owner_suggestions"' in html and 'hx-get="/suggest/?field=owner"' in html
    assert html.endswith('<datalist id="id_owner_suggestions"></datalist>') and 'value="Hòa"' in html
