"""Filters of the commitment list; every choice list is scoped to what the user may read."""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.filtersets import UnitFilter
from communes.models import Commune
from core.forms import FastSelect, FastTextInput
from partnerships.filtersets import PartnershipFilter, only_voided
from partnerships.models import Membership, Partnership

from .models import Commitment, Field, ProgressUpdate, ReportingPeriod

SORTS = {
    "due": (F("due_on").asc(nulls_last=True), "pk"),
    "-due": (F("due_on").desc(nulls_last=True), "-pk"),
    "title": ("title", "pk"),
    "owner": ("owner__name", F("due_on").asc(nulls_last=True), "pk"),
    "field": ("field__order", F("due_on").asc(nulls_last=True), "pk"),
    "-updated": ("-updated_at", "-pk"),
}
SORT_CHOICES = [
    ("due", _("Hạn hoàn thành gần nhất")),
    ("-due", _("Hạn hoàn thành xa nhất")),
    ("title", _("Tên cam kết (A–Z)")),
    ("owner", _("Đơn vị thực hiện")),
    ("field", _("Lĩnh vực")),
    ("-updated", _("Mới cập nhật")),
]


def owner_choices(request):
    """Units owning at least one commitment the user may read."""
    visible = Commitment.objects.visible_to(request.user).filter(owner=OuterRef("pk"))
    return Commune.objects.filter(Exists(visible)).order_by_name()


def partnership_choices(request):
    return Partnership.objects.contents_visible_to(request.user).order_by("title", "pk")


def period_choices(request):
    return ReportingPeriod.objects.filter(starts_on__lte=timezone.localdate()).order_by("-starts_on", "kind")


class CommitmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label=_("Tìm kiếm"),
        widget=FastTextInput(attrs={"type": "search", "placeholder": _("Nội dung, đơn vị… (gõ không dấu được)")}),
    )
    field = django_filters.ModelChoiceFilter(
        widget=FastSelect, queryset=Field.objects.all(), label=_("Lĩnh vực"), empty_label=_("Tất cả lĩnh vực")
    )
    status = django_filters.ChoiceFilter(
        widget=FastSelect, choices=Commitment.Status.choices, label=_("Trạng thái"), empty_label=_("Tất cả trạng thái")
    )
    horizon = django_filters.ChoiceFilter(
        widget=FastSelect,
        choices=Commitment.Horizon.choices,
        label=_("Thời hạn"),
        empty_label=_("Trước mắt và lâu dài"),
    )
    owner = UnitFilter(
        queryset=owner_choices,
        label=_("Đơn vị thực hiện"),
        suggestions_url=reverse_lazy("commitments:owner_suggestions"),
    )
    period = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        queryset=period_choices,
        method="reported_in",
        label=_("Có báo cáo trong kỳ"),
        empty_label=_("Mọi kỳ"),
    )
    partnership = PartnershipFilter(queryset=partnership_choices, label=_("Quan hệ kết nghĩa"))
    sort = django_filters.ChoiceFilter(
        widget=FastSelect, choices=SORT_CHOICES, method="sort_by", label=_("Sắp xếp theo"), empty_label=None
    )

    voided = django_filters.BooleanFilter(
        label=_("Đã hủy"),
        method="filter_voided",
        widget=forms.CheckboxInput,
        help_text=_("Chỉ xem mục hủy do nhập sai"),
    )

    class Meta:
        model = Commitment
        fields = []

    def search(self, queryset, name, value):
        """Accent-insensitive: "tra tan" finds "Trà Tân" in the title, the owner or any member's name."""
        value = value.strip()
        if not value:
            return queryset
        member_named = Membership.objects.filter(
            partnership=OuterRef("partnership"), commune__name__unaccent__icontains=value
        )
        return queryset.filter(
            Q(title__unaccent__icontains=value)
            | Q(description__unaccent__icontains=value)
            | Q(owner__name__unaccent__icontains=value)
            | Q(partnership__title__unaccent__icontains=value)
            | Exists(member_named)
        )

    def filter_voided(self, queryset, name, value):
        return only_voided(queryset, value)

    def reported_in(self, queryset, name, value):
        return queryset.filter(Exists(ProgressUpdate.objects.filter(commitment=OuterRef("pk"), period=value)))

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS[value])
