"""Filters and sorting for the list of partnerships."""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from communes.filtersets import (
    NO,
    YES,
    CommuneFilterSet,
    LazyQuerySetRequestMixin,
    UnitFilter,
    former_district_choices,
)
from communes.models import Commune
from core.forms import LongSelect

from .forms import PartnershipField
from .models import Membership, Partnership, paired, unpaired

SORTS = {
    "-signed_on": (F("signed_on").desc(nulls_last=True), "name_key", "pk"),
    "signed_on": (F("signed_on").asc(nulls_last=True), "name_key", "pk"),
    "name": ("name_key", "pk"),
    "-name": (F("name_key").desc(), "-pk"),
    "status": ("status_order", "name_key", "pk"),
    "-status": ("-status_order", "name_key", "pk"),
}
DEFAULT_SORT = "-signed_on"
STATUS_SORTS = {"status", "-status"}  # the sorts that need PartnershipQuerySet.with_status_order()


class PartnershipFilter(LazyQuerySetRequestMixin, django_filters.Filter):
    """A partnership typed by number, title or member name (see PartnershipField)."""

    field_class = PartnershipField


def member_choices(request):
    return Commune.objects.visible_to(request.user).order_by_name()


def has_member(**lookups) -> Exists:
    return Exists(Membership.objects.on().filter(partnership=OuterRef("pk"), **lookups))


def only_voided(queryset, value: bool):
    """The "Đã hủy" filter: voided rows only when ticked, else the live ones (lists start from all_objects)."""
    return queryset.filter(voided_at__isnull=not value)


class BasePartnershipFilterSet(django_filters.FilterSet):
    """The partnership list's filters on the partnership itself and its members. The list serves it with
    the filter by its commitments' field added (commitments.filtersets.PartnershipFilterSet)."""

    q = django_filters.CharFilter(
        label=_("Tìm đơn vị, chương trình"),
        method="filter_q",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Ví dụ: hoa cuong")}),
    )
    status = django_filters.ChoiceFilter(
        widget=forms.Select, label=_("Trạng thái"), choices=Partnership.Status.choices, empty_label=_("Tất cả")
    )
    former_district = django_filters.ChoiceFilter(
        widget=LongSelect,
        label=_("Quận/huyện cũ"),
        choices=former_district_choices,
        method="filter_former_district",
        empty_label=_("Tất cả"),
    )
    commune = UnitFilter(label=_("Đơn vị thành viên"), queryset=member_choices, method="filter_commune")
    sort = django_filters.ChoiceFilter(
        widget=forms.Select,
        label=_("Sắp xếp"),
        choices=[
            ("-signed_on", _("Ngày ký: mới nhất trước")),
            ("signed_on", _("Ngày ký: cũ nhất trước")),
            ("name", _("Tên: A → Z")),
            ("-name", _("Tên: Z → A")),
            ("status", _("Trạng thái")),
            ("-status", _("Trạng thái (ngược)")),
        ],
        method="keep",
        empty_label=None,
    )

    voided = django_filters.BooleanFilter(
        label=_("Đã hủy"),
        method="filter_voided",
        widget=forms.CheckboxInput,
        help_text=_("Chỉ xem mục hủy do nhập sai"),
    )

    class Meta:
        model = Partnership
        fields = ["q", "status", "former_district", "commune", "sort", "voided"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            has_member(commune__name__unaccent__icontains=value)
            | has_member(commune__code=value)
            | Q(title__unaccent__icontains=value)
        )

    def filter_voided(self, queryset, name, value):
        return only_voided(queryset, value)

    def filter_former_district(self, queryset, name, value):
        return queryset.filter(has_member(commune__former_district=value))

    def filter_commune(self, queryset, name, value):
        return queryset.filter(has_member(commune=value))

    def keep(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        self.queryset = self.queryset.with_sort_keys().order_by(*SORTS[DEFAULT_SORT])

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        if sort in STATUS_SORTS:
            queryset = queryset.with_status_order()
        return queryset.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


class UnitDirectoryFilterSet(CommuneFilterSet):
    """The directory's filters: the units' own facts (CommuneFilterSet) and whether each is paired."""

    paired = django_filters.ChoiceFilter(
        widget=forms.Select,
        label=_("Kết nghĩa"),
        choices=[(YES, _("Đã có quan hệ kết nghĩa")), (NO, _("Chưa có quan hệ kết nghĩa"))],
        method="filter_paired",
        empty_label=_("Tất cả"),
    )

    class Meta(CommuneFilterSet.Meta):
        fields = [*CommuneFilterSet.Meta.fields, "paired"]

    def filter_paired(self, queryset, name, value):
        # The one definition of "đã / chưa kết nghĩa", as the dashboard and the map count it.
        return paired(queryset) if value == YES else unpaired(queryset)
