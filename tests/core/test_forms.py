"""core.forms: FastSelect and FastTextInput render exactly what Django's template-rendered widgets do."""

import datetime
import uuid

import pytest
from django import forms
from django.forms.utils import flatatt
from django.test.html import parse_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from commitments import forms as commitment_forms
from core.forms import (
    FastFileInput,
    FastHiddenInput,
    FastNumberInput,
    FastSelect,
    FastSelectMultiple,
    FastTextarea,
    FastTextInput,
    SuggestInput,
    fold,
    html_attributes,
)
from partnerships import forms as partnership_forms

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
    assert 'list="id_owner_suggestions"' in html and 'data-hx-get="/suggest/?field=owner"' in html
    assert html.endswith('<datalist id="id_owner_suggestions"></datalist>') and 'value="Hòa"' in html


def bound_html(field, data) -> object:
    """The field's HTML, parsed: attributes compare in any order (flatatt sorts them, Django's template does not)."""
    return parse_html(str(type("F", (forms.Form,), {"f": field})(data)["f"]))


DATE = datetime.date(2026, 3, 9)


@pytest.mark.parametrize(
    ("make_field", "data"),
    [
        (lambda w: forms.DecimalField(required=False, widget=w(attrs={"step": "any", "inputmode": "decimal"})), None),
        (lambda w: forms.DecimalField(required=False, widget=w(attrs={"step": "any"})), {"f": "12,5<"}),
        (lambda w: forms.IntegerField(min_value=0, widget=w(attrs={"step": "1"}), initial=1500), None),
    ],
)
def test_fast_number_input_is_the_same_html(make_field, data):
    assert bound_html(make_field(FastNumberInput), data) == bound_html(make_field(forms.NumberInput), data)


@pytest.mark.parametrize("data", [None, {"f": ""}, {"f": '7"><script>'}])
def test_fast_hidden_input_is_the_same_html(data):
    def field(widget):
        return forms.CharField(required=False, widget=widget, initial=uuid.UUID(int=5))

    assert bound_html(field(FastHiddenInput), data) == bound_html(field(forms.HiddenInput), data)


@pytest.mark.parametrize("attrs", [None, {"accept": "application/pdf,image/jpeg"}, {"multiple": True, "data-x": "a&b"}])
def test_fast_file_input_is_the_same_html_and_never_shows_a_value(attrs):
    class Multiple(forms.FileInput):
        allow_multiple_selected = True

    class FastMultiple(FastFileInput):
        allow_multiple_selected = True

    fast, django = (FastMultiple, Multiple) if attrs and attrs.get("multiple") else (FastFileInput, forms.FileInput)
    for data in (None, {"f": "secret.pdf"}):
        assert bound_html(forms.FileField(widget=fast(attrs=attrs)), data) == bound_html(
            forms.FileField(widget=django(attrs=attrs)), data
        )


@pytest.mark.parametrize("data", [None, {"f": ""}, {"f": 'Dòng 1\nDòng 2 <b>&amp;</b> "x"'}, {"f": "0"}])
def test_fast_textarea_is_the_same_html(data):
    def field(widget):
        return forms.CharField(required=False, max_length=50, widget=widget(attrs={"rows": 4}), initial="Sẵn có")

    assert bound_html(field(FastTextarea), data) == bound_html(field(forms.Textarea), data)


@pytest.mark.parametrize("widget", [partnership_forms.DateInput, commitment_forms.DateInput])
@pytest.mark.parametrize("data", [None, {"f": "2026-03-09"}, {"f": "9/3/2026<"}])
def test_the_apps_date_pickers_render_as_django_renders_a_date_input(widget, data):
    class DjangoDateInput(forms.DateInput):
        input_type = "date"

        def __init__(self, attrs=None):
            super().__init__(attrs=attrs, format="%Y-%m-%d")

    def field(widget_class):
        return forms.DateField(required=False, widget=widget_class(), initial=DATE)

    assert bound_html(field(widget), data) == bound_html(field(DjangoDateInput), data)
    assert 'value="2026-03-09"' in str(field(widget).widget.render("f", DATE))


@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"id": "id_q", "class": "c", "required": True, "disabled": False, "placeholder": None},
        {"placeholder": 'Ví dụ: "hoa cuong" & <b>', "data-x": "'a'", "maxlength": 300, "step": 0.5},
        {"title": mark_safe("<b>đã an toàn</b>"), "aria-label": gettext_lazy("Tìm kiếm"), "multiple": True},
        {"z": "1", "a": "2", "m": True, "b": True, "list": "id_owner_suggestions", "data-hx-get": "/s/?field=owner&x=1"},
    ],
)
def test_html_attributes_is_flatatt(attrs):
    assert html_attributes(attrs) == flatatt(attrs)
