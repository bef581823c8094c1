"""core.forms: the long selects render exactly what Django's template-rendered selects do; forms
render through Jinja2 (FormRenderer), the admin's widgets through the template engine."""

import pytest
from django import forms
from django.contrib import admin
from django.forms.renderers import get_default_renderer
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test.html import parse_html
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.models import Role
from core.forms import FormRenderer, LongSelect, LongSelectMultiple, SuggestInput, fold
from tests import factories
from tests.signin import sign_in

CHOICES = [
    ("", "Tất cả"),
    ("a<b", 'Hải Châu & "Sơn Trà"'),
    ("x", "X"),
    ("lazy", gettext_lazy("Chưa rõ")),
    ("safe", mark_safe("<b>Hải Châu</b>")),  # a label already marked safe stays as it is
    ("Hải & Châu", "Hải & Châu"),  # its own label, like a former district: escaped once for both
    ("<i>", mark_safe("<i>")),  # its own label but marked safe: the label is not escaped
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


def test_forms_render_through_jinja2():
    renderer = get_default_renderer()
    assert isinstance(renderer, FormRenderer)
    for name in (forms.Select.template_name, renderer.form_template_name, "django/forms/errors/list/ul.html"):
        assert isinstance(renderer.get_template(name), Jinja2Template), name


def test_a_field_of_a_form_is_rendered_by_jinja2(monkeypatch):
    rendered_by = []
    original = Jinja2Template.render

    def render(self, context=None, request=None):
        rendered_by.append(self.origin.template_name)
        return original(self, context, request)

    monkeypatch.setattr(Jinja2Template, "render", render)
    form_class = type("F", (forms.Form,), {"f": forms.ChoiceField(choices=CHOICES)})
    str(form_class()["f"])
    assert forms.Select.template_name in rendered_by


def test_widget_templates_without_a_jinja2_version_use_the_template_engine():
    template = get_default_renderer().get_template("admin/widgets/related_widget_wrapper.html")
    assert isinstance(template, DjangoTemplate)


def admin_change_page(client, obj):
    opts = obj._meta
    assert admin.site.is_registered(opts.model), opts.label
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200, opts.label
    return response.content.decode()


@pytest.mark.django_db
def test_admin_change_forms_render(client):
    """The admin's widgets (related-object links, dates) have Django templates only."""
    administrator = factories.user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    partnership = factories.partnership()
    commitment = factories.commitment(partnership=partnership)
    sign_in(client, administrator)
    assert 'class="related-widget-wrapper"' in admin_change_page(client, commitment)
    assert 'class="related-widget-wrapper"' in admin_change_page(client, partnership)
    assert '<p class="date">' in admin_change_page(client, partnership.legal_basis)
    assert 'name="username"' in admin_change_page(client, administrator)
