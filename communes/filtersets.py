"""Filters for the directory of the 94 units."""

from functools import partial

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LongSelect

from .forms import UnitField
from .models import Commune

YES, NO, UNKNOWN = "yes", "no", "unknown"
FLAG_CHOICES = [(YES, _("Có")), (NO, _("Không")), (UNKNOWN, _("Chưa rõ"))]
ROLE_UNKNOWN = "unknown"


class LazyQuerySetRequestMixin:
    """A filter's ``queryset`` that may be a function of the request, like django-filter's
    ``QuerySetRequestMixin``, for a ``TypedChoiceField``: the function is called when the field reads a
    typed value, not when the form is built, so a list shown unfiltered never builds that queryset."""

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.queryset = queryset

    @property
    def field(self):
        request = getattr(getattr(self, "parent", None), "request", None)
        queryset = self.queryset
        self.extra["queryset"] = partial(queryset, request) if callable(queryset) else queryset
        return super().field


class UnitFilter(LazyQuerySetRequestMixin, django_filters.Filter):
    """A unit typed by code or name (see UnitField); ``queryset`` may be a function of the request."""

    field_class = UnitField


def former_district_choices():
    """Former districts present in the directory, in Vietnamese alphabetical order."""
    # order_by(): the model's ordering (name) would otherwise join the DISTINCT and repeat each district.
    names = Commune.objects.exclude(former_district="").order_by().values_list("former_district", flat=True)
    return [(name, name) for name in sorted(set(names.distinct()))]


def programme_role_choices():
    return [*Commune.ProgrammeRole.choices, (ROLE_UNKNOWN, _("Chưa xác định"))]


def filter_flag(queryset, name, value):
    """yes / no / unknown on a nullable boolean: unknown (NULL) is never read as no."""
    lookups = {YES: {name: True}, NO: {name: False}, UNKNOWN: {f"{name}__isnull": True}}
    return queryset.filter(**lookups[value]) if value in lookups else queryset


class CommuneFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Tìm tên hoặc mã đơn vị"),
        method="filter_q",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Ví dụ: hoa cuong")}),
    )
    kind = django_filters.ChoiceFilter(
        widget=forms.Select, label=_("Loại"), choices=Commune.Kind.choices, empty_label=_("Tất cả")
    )
    former_district = django_filters.ChoiceFilter(
        widget=LongSelect, label=_("Quận/huyện cũ"), choices=former_district_choices, empty_label=_("Tất cả")
    )
    is_mountainous = django_filters.ChoiceFilter(
        widget=forms.Select, label=_("Miền núi"), choices=FLAG_CHOICES, method=filter_flag, empty_label=_("Tất cả")
    )
    is_border = django_filters.ChoiceFilter(
        widget=forms.Select, label=_("Biên giới"), choices=FLAG_CHOICES, method=filter_flag, empty_label=_("Tất cả")
    )
    programme_role = django_filters.ChoiceFilter(
        widget=forms.Select,
        label=_("Vai trò"),
        choices=programme_role_choices,
        method="filter_programme_role",
        empty_label=_("Tất cả"),
    )

    class Meta:
        model = Commune
        fields = ["q", "kind", "former_district", "is_mountainous", "is_border", "programme_role"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_programme_role(self, queryset, name, value):
        return queryset.filter(programme_role="" if value == ROLE_UNKNOWN else value)
