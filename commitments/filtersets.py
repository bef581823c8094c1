"""Filters of the commitment list; every choice list is scoped to what the user may read."""

import datetime

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.filtersets import UnitFilter
from communes.models import Commune
from partnerships.filtersets import BasePartnershipFilterSet, PartnershipFilter, only_voided
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
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Nội dung, đơn vị… (gõ không dấu được)")}),
    )
    field = django_filters.ModelChoiceFilter(
        widget=forms.Select, queryset=Field.objects.all(), label=_("Lĩnh vực"), empty_label=_("Tất cả lĩnh vực")
    )
    status = django_filters.ChoiceFilter(
        widget=forms.Select,
        choices=Commitment.Status.choices,
        label=_("Trạng thái"),
        empty_label=_("Tất cả trạng thái"),
    )
    horizon = django_filters.ChoiceFilter(
        widget=forms.Select,
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
        widget=forms.Select,
        queryset=period_choices,
        method="reported_in",
        label=_("Có báo cáo trong kỳ"),
        empty_label=_("Mọi kỳ"),
    )
    partnership = PartnershipFilter(queryset=partnership_choices, label=_("Quan hệ kết nghĩa"))
    sort = django_filters.ChoiceFilter(
        widget=forms.Select, choices=SORT_CHOICES, method="sort_by", label=_("Sắp xếp theo"), empty_label=None
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
        member_named = Membership.objects.on().filter(
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


# --- The partnership list (partnerships:partnership_list, served by PartnershipListView here) ------


class PartnershipFilterSet(BasePartnershipFilterSet):
    """The partnership list's filters: the partnership's own, and the field (lĩnh vực) its commitments
    work in."""

    field = django_filters.ModelChoiceFilter(
        widget=forms.Select,
        label=_("Lĩnh vực"),
        queryset=Field.objects.all(),
        to_field_name="code",
        method="filter_field",
        empty_label=_("Tất cả"),
    )

    class Meta(BasePartnershipFilterSet.Meta):
        fields = ["q", "status", "former_district", "field", "commune", "sort", "voided"]

    def filter_field(self, queryset, name, value):
        # Which fields a partnership works in is private content: match only partnerships whose
        # contents the user may read, so the filter cannot reveal another unit's commitments.
        readable = Partnership.objects.contents_visible_to(getattr(self.request, "user", AnonymousUser()))
        return queryset.filter(pk__in=readable.filter(commitments__field=value).values("pk"))


# --- The review queue ------------------------------------------------------------------------------

REVIEW_SORTS = {"oldest": ("submitted_at", "pk"), "newest": ("-submitted_at", "-pk")}
REVIEW_SORT_CHOICES = [("oldest", _("Chờ lâu nhất trước")), ("newest", _("Mới gửi trước"))]
# How long a report has waited: (lower bound, upper bound) of its age; None is open-ended.
WAITING = {
    "day": (None, datetime.timedelta(days=1)),
    "week": (datetime.timedelta(days=1), datetime.timedelta(days=7)),
    "month": (datetime.timedelta(days=7), datetime.timedelta(days=30)),
    "older": (datetime.timedelta(days=30), None),
}
WAITING_CHOICES = [
    ("day", _("Gửi trong 24 giờ qua")),
    ("week", _("Chờ 1–7 ngày")),
    ("month", _("Chờ 7–30 ngày")),
    ("older", _("Chờ hơn 30 ngày")),
]


def review_owner_choices(request):
    """Units owning at least one commitment with a report waiting for review."""
    waiting = ProgressUpdate.objects.awaiting_review().filter(commitment__owner=OuterRef("pk"))
    return Commune.objects.filter(Exists(waiting)).order_by_name()


def review_period_choices(request):
    return ReportingPeriod.objects.filter(
        Exists(ProgressUpdate.objects.awaiting_review().filter(period=OuterRef("pk")))
    ).order_by("-starts_on", "kind")


class ReviewFilterSet(django_filters.FilterSet):
    """Filters of the review queue; ``with_counts`` puts how many reports each choice finds beside it."""

    q = django_filters.CharFilter(
        method="search",
        label=_("Tìm kiếm"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Cam kết, nội dung, người báo cáo…")}),
    )
    owner = UnitFilter(
        queryset=review_owner_choices,
        field_name="commitment__owner",
        label=_("Đơn vị thực hiện"),
        suggestions_url=reverse_lazy("commitments:owner_suggestions"),
    )
    partnership = PartnershipFilter(
        queryset=partnership_choices, field_name="commitment__partnership", label=_("Quan hệ kết nghĩa")
    )
    field = django_filters.ModelChoiceFilter(
        widget=forms.Select,
        queryset=Field.objects.all(),
        field_name="commitment__field",
        label=_("Lĩnh vực"),
        empty_label=_("Tất cả lĩnh vực"),
    )
    period = django_filters.ModelChoiceFilter(
        widget=forms.Select, queryset=review_period_choices, label=_("Kỳ báo cáo"), empty_label=_("Mọi kỳ")
    )
    waiting = django_filters.ChoiceFilter(
        widget=forms.Select,
        choices=WAITING_CHOICES,
        method="waited",
        label=_("Thời gian chờ"),
        empty_label=_("Bất kỳ"),
    )
    sort = django_filters.ChoiceFilter(
        widget=forms.Select, choices=REVIEW_SORT_CHOICES, method="sort_by", label=_("Thứ tự"), empty_label=None
    )

    class Meta:
        model = ProgressUpdate
        fields = []

    def search(self, queryset, name, value):
        """Accent-insensitive, in the commitment's title, the report's text, the unit and the author."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(commitment__title__unaccent__icontains=value)
            | Q(narrative__unaccent__icontains=value)
            | Q(commitment__owner__name__unaccent__icontains=value)
            | Q(author__first_name__unaccent__icontains=value)
            | Q(author__last_name__unaccent__icontains=value)
            | Q(author__username__icontains=value)
        )

    def waited(self, queryset, name, value):
        return queryset.filter(waiting_q(value, timezone.now()))

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*REVIEW_SORTS[value])

    def with_counts(self) -> None:
        """Label each choice of field, period and waiting time with the number of reports it would show,
        the other filters staying as they are: one grouped query per filter."""
        form = self.form
        now = timezone.now()
        by_field = self._counts_without("field", "commitment__field")
        by_period = self._counts_without("period", "period")
        waiting = self._without("waiting").aggregate(
            **{key: Count("pk", filter=waiting_q(key, now)) for key in WAITING}
        )
        form.fields["field"].label_from_instance = lambda field: f"{field.name} ({by_field.get(field.pk, 0)})"
        form.fields["period"].label_from_instance = lambda period: f"{period.label} ({by_period.get(period.pk, 0)})"
        # django-filter's choice field adds the empty choice ("Bất kỳ") itself.
        form.fields["waiting"].choices = [(key, f"{label} ({waiting[key]})") for key, label in WAITING_CHOICES]

    def _without(self, name):
        if not self.data.get(name) and (not self.is_bound or self.is_valid()):
            return self.qs  # that filter is not set (absent or empty): the other filters are all of them
        data = self.data.copy()
        data.pop(name, None)
        others = type(self)(data, queryset=self.queryset, request=self.request)
        return others.qs if others.is_valid() else self.queryset.none()

    def _counts_without(self, name, key) -> dict:
        return dict(self._without(name).order_by().values_list(key).annotate(total=Count("pk")))


def waiting_q(key: str, now) -> Q:
    shortest, longest = WAITING[key]
    condition = Q()
    if shortest is not None:
        condition &= Q(submitted_at__lte=now - shortest)
    if longest is not None:
        condition &= Q(submitted_at__gt=now - longest)
    return condition
