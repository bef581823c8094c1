"""A unit typed by code or name: 3,321 units at national scale are too many for a <select>."""

import re

from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import TypedChoiceField, fold

from .models import Commune

# "20515" alone, or a suggestion such as "Xã Trà Tân (20515)".
UNIT_CODE = re.compile(r"^(\d{5})$|\((\d{5})\)$")


def unit_code_in(text: str) -> str | None:
    match = UNIT_CODE.search(text.strip())
    return (match.group(1) or match.group(2)) if match else None


def unit_suggestion(commune: Commune) -> str:
    """What a suggestion puts in the field: readable, and ending with the code that makes it unique."""
    return f"{commune} ({commune.code})"


class UnitField(TypedChoiceField):
    """A unit of ``queryset``: its 5-digit code, a suggestion, or its name without accents ("tra tan")."""

    suggestions_url = reverse_lazy("communes:unit_suggestions")
    placeholder = _("Tên (gõ không dấu được) hoặc mã 5 chữ số")
    default_error_messages = {
        "unknown_code": _("Không có đơn vị mã %(text)s để chọn ở đây."),
        "no_match": _(
            "Không tìm thấy đơn vị “%(text)s”. Gõ vài chữ của tên rồi chọn trong danh sách gợi ý, "
            "hoặc nhập mã đơn vị 5 chữ số."
        ),
        "ambiguous": _("Có nhiều đơn vị tên “%(text)s”: %(candidates)s. Hãy nhập mã đơn vị 5 chữ số."),
    }

    def lookup(self, text):
        units = (self.queryset if self.queryset is not None else Commune.objects.none()).order_by_name()
        code = unit_code_in(text)
        if code:
            return units.filter(code=code), "unknown_code"
        named = Q(name__unaccent__iexact=text)
        # "Xã Trà Tân" as the unit is written: the kind, then the name.
        folded = fold(text.strip())
        for kind, label in Commune.Kind.choices:
            prefix = fold(str(label)) + " "
            if folded.startswith(prefix):
                named |= Q(kind=kind, name__unaccent__iexact=folded[len(prefix) :])
        return units.filter(named), "no_match"

    def describe(self, row):
        return unit_suggestion(row)
