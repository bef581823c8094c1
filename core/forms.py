"""Form pieces shared by the apps: a typed choice among thousands of rows, with suggestions, and the
tampering report every write form makes."""

import html
import unicodedata

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.renderers import DjangoTemplates, Jinja2
from django.forms.utils import flatatt
from django.template import TemplateDoesNotExist
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.logging import DENIED, security_event

# Shown in the message when a name matches several rows; beyond that the person narrows it down.
MAX_LISTED_CANDIDATES = 5


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics (đ → d), as PostgreSQL's unaccent + lower compare."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


class FormRenderer(Jinja2):
    """Django's Jinja2 form renderer (``FORM_RENDERER``), which falls back to the template engine for
    widget templates that exist only as Django templates: the admin's (related-object links, date
    pickers, raw ids), django.contrib.auth's and django-filter's. The portal's forms, error lists and
    formsets all use Django's own Jinja2 templates (django/forms/jinja2)."""

    fallback = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)


class SuggestInput(forms.TextInput):
    """A text input; as the person types, htmx fills its ``<datalist>`` with at most ~20 suggestions.

    Without JavaScript it is a plain text field: the form resolves what was typed on the server.
    ``url`` answers ``<option>`` elements for the text sent under the field's own name
    (``?field=<name>&<name>=<text>``).
    """

    def __init__(self, url, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.url = url

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or name}_suggestions"
        attrs.update(
            {
                "list": list_id,
                "data-hx-get": f"{self.url}?field={name}",
                "data-hx-trigger": "input changed delay:250ms",
                "data-hx-target": f"#{list_id}",
                "data-hx-swap": "innerHTML",
                "data-hx-sync": "this:replace",
                # Inside a filter form that pushes its URL: a suggestion is not a page to go back to.
                "data-hx-push-url": "false",
            }
        )
        html = super().render(name, value, attrs, renderer)
        return html + format_html('<datalist id="{}"></datalist>', list_id)


class TypedChoiceField(forms.CharField):
    """One row of ``queryset`` named by what the person typed: a key, a suggestion, or a name.

    Subclasses say how text is read (``lookup``) and what the messages say. The typed text is
    kept as typed (the bound field shows it again next to any error). ``queryset`` scopes what may
    be chosen, exactly like ``ModelChoiceField.queryset``; it can be set after construction, and may
    be a function without arguments that returns it: the field then builds it only when it reads
    what was typed, never for a form shown empty.
    """

    widget = forms.TextInput
    suggestions_url = None
    placeholder = ""
    default_error_messages = {}

    def __init__(self, *, queryset=None, suggestions_url=None, **kwargs):
        # Lazy URLs: fields are built at import time, before the URLconf can be reversed.
        url = self.suggestions_url if suggestions_url is None else suggestions_url
        if url is not None and "widget" not in kwargs:
            kwargs["widget"] = SuggestInput(url, attrs={"placeholder": self.placeholder} if self.placeholder else None)
        kwargs.setdefault("max_length", 300)
        super().__init__(**kwargs)
        self.queryset = queryset

    @property
    def queryset(self):
        if callable(self._queryset):
            self._queryset = self._queryset()
        return self._queryset

    @queryset.setter
    def queryset(self, value):
        self._queryset = value

    def lookup(self, text: str):
        """(a queryset of candidates, the error code used when it does not hold exactly one row)."""
        raise NotImplementedError

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        candidates, code = self.lookup(text)
        found = list(candidates[: MAX_LISTED_CANDIDATES + 1])
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(self.error_messages[code], code=code, params={"text": text})
        listed = ", ".join(self.describe(row) for row in found[:MAX_LISTED_CANDIDATES])
        if len(found) > MAX_LISTED_CANDIDATES:
            listed += ", …"
        raise ValidationError(
            self.error_messages["ambiguous"], code="ambiguous", params={"text": text, "candidates": listed}
        )

    def describe(self, row) -> str:
        """How a candidate is named in the "several match" message: with the key to type."""
        return str(row)

    def prepare_value(self, value):
        # Initial values may be rows or keys; bound data is shown exactly as typed.
        if value is not None and hasattr(value, "_meta"):
            return self.describe(value)
        return value


class LongSelect(forms.Select):
    """A ``<select>`` of hundreds or thousands of options (units, former districts), written in Python.

    Django renders each ``<option>`` through the template engine. That is right for a handful of
    choices, but a partnership form offers every unit of the country (3,321 at national scale) and a
    filter the ~680 former districts, and their options alone would cost more than the rest of the
    page. The HTML is the same as Django's (a test compares them); short selects use ``forms.Select``.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = []
        for group, choices in self.choices:
            if isinstance(choices, list | tuple):
                options.append(format_html('<optgroup label="{}">', group))
                options.extend(self._option(key, label, selected) for key, label in choices)
                options.append("</optgroup>")
            else:
                options.append(self._option(group, choices, selected))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(options)),  # nosec B308 B703 # each option's key and label are escaped in _option
        )

    @staticmethod
    def _option(key, label, selected) -> str:
        # Escaped pieces in an f-string rather than format_html (which escapes, formats and marks safe
        # each piece): the same text, escaped the same way, for a fraction of the work per option. A
        # former district is its own label, so it is escaped once.
        key = "" if key is None else str(key)
        value = html.escape(key)  # what Django's escape() does to a str, without wrapping it as safe
        if type(label) is str:
            text = value if label == key else html.escape(label)
        else:
            text = conditional_escape(label)  # a lazy translation, or a label already marked safe
        return f'<option value="{value}"{" selected" if key in selected else ""}>{text}</option>'


class LongSelectMultiple(LongSelect, forms.SelectMultiple):
    """LongSelect for several values: ``<select multiple>``, read with ``getlist``."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        # Django's template adds "multiple"; rendering without the template, add it here.
        return {**super().build_attrs(base_attrs, extra_attrs), "multiple": True}


# Refusals the page itself cannot produce: a value outside the offered choices, an id outside the
# offered rows, a missing hidden version (commitments.forms.OptimisticLockMixin).
TAMPERING_CODES = frozenset({"invalid_choice", "invalid_pk_value", "no_version"})


class TamperEvidentMixin:
    """A write form that reports, as one ``tampered_field`` security event per submission, the fields
    whose submitted values its own page could not have sent (RELIABILITY G4).

    That is a choice or row that was not offered, an invalid hidden field, or any value for a field
    shown disabled (browsers never send those; the form already ignores them). Only field names are
    logged, never values. Typed fields (``TypedChoiceField``) are not choices: a typo is not tampering.
    """

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        tampered = sorted(set(self.tampered_fields()))
        if tampered:
            security_event("tampered_field", outcome=DENIED, form=type(self).__name__, fields=tampered)

    def tampered_fields(self):
        for name, errors in self.errors.as_data().items():
            codes = {error.code for error in errors}
            if name == NON_FIELD_ERRORS:
                if "no_version" in codes:
                    yield "version"
            elif self.fields[name].widget.is_hidden or codes & TAMPERING_CODES:
                yield name
        for name, field in self.fields.items():
            if field.disabled and self.sent_for_disabled(name, field):
                yield name

    def sent_for_disabled(self, name, field) -> bool:
        """A value arrived for a disabled field, other than the one shown. (Django's ``has_changed``
        is always False for disabled fields, so the comparison is made here.)"""
        key = self.add_prefix(name)
        if key not in self.data:
            return False
        sent = field.widget.value_from_datadict(self.data, self.files, key)
        shown = field.prepare_value(self.get_initial_for_field(field, name))
        return as_strings(sent) != as_strings(shown)


def as_strings(value) -> list[str]:
    values = value if isinstance(value, list | tuple) else [value]
    return sorted("" if item is None else str(item) for item in values)


class VoidForm(TamperEvidentMixin, forms.Form):
    """Why a record is voided ("hủy do nhập sai"): required, kept with the record and in its audit trail."""

    reason = forms.CharField(
        label=_("Lý do hủy"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "Ví dụ: nhập trùng, nhập nhầm đơn vị. Mục đã hủy không còn trong danh sách và số liệu, có thể khôi phục."
        ),
        error_messages={"required": _("Vui lòng nêu lý do hủy.")},
    )
