"""Domain-free building blocks shared by the apps."""

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds creation and modification times to a model."""

    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        abstract = True


class ChoiceLabelsMixin:
    """``get_FOO_display()`` from a value → label table made once per field.

    Django's own rebuilds ``dict(make_hashable(field.flatchoices))`` on every call, and hashing the lazy
    labels translates every one of them: a list row showing a status and a kind paid ~60 µs for the two.
    The table keeps the labels lazy, so each call still translates into the active language.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            labels = _CHOICE_LABELS[field]
        except KeyError:
            labels = _CHOICE_LABELS[field] = {make_hashable(key): label for key, label in field.flatchoices}
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


# Field -> {value: label}. Choices are declared in code, so a field's table never changes in a process.
_CHOICE_LABELS = {}
