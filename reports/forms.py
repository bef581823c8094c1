"""Input of the reports pages: dashboard filters, a report request, finalising a draft."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commitments.models import ReportingPeriod
from communes.forms import UnitField
from communes.models import Commune
from core.forms import FastSelect, FastTextarea, FastTextInput, TamperEvidentMixin
from partnerships.forms import PartnershipField
from partnerships.models import Partnership

from . import conf
from .figures import Scope
from .models import Report
from .periods import default_convention, parse_period_label, period_bounds

YES_NO = [("", _("Tất cả")), ("yes", _("Có")), ("no", _("Không"))]
PROGRAMME_START_YEAR = 2025


class DashboardFilterForm(forms.Form):
    """GET filters of the dashboard: former district, mountainous and border units."""

    former_district = forms.ChoiceField(label=_("Quận/huyện cũ"), required=False, widget=FastSelect)
    mountainous = forms.ChoiceField(label=_("Xã miền núi"), choices=YES_NO, required=False, widget=FastSelect)
    border = forms.ChoiceField(label=_("Xã biên giới"), choices=YES_NO, required=False, widget=FastSelect)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["former_district"].choices = [("", _("Tất cả"))] + [(d, d) for d in districts]

    def scope(self) -> Scope:
        if not self.is_valid():
            return Scope()
        flag = {"yes": True, "no": False}
        data = self.cleaned_data
        return Scope(
            former_district=data["former_district"],
            mountainous=flag.get(data["mountainous"]),
            border=flag.get(data["border"]),
        )


def period_choices(today: datetime.date | None = None) -> list[tuple[str, str]]:
    """Periods that have started, newest first: quarters, half-years and years since the programme began."""
    today = today or timezone.localdate()
    convention = default_convention()
    choices = []
    for year in range(today.year + 1, PROGRAMME_START_YEAR - 1, -1):
        for code in (f"{year}", f"{year}-H2", f"{year}-Q4", f"{year}-Q3", f"{year}-H1", f"{year}-Q2", f"{year}-Q1"):
            kind, _year, number = parse_period_label(code)
            start, _end = period_bounds(kind, year, number, convention)
            if start <= today:
                choices.append((code, ReportingPeriod(kind=kind, year=year, number=number).label))
    return choices


def last_finished_quarter(choices: list[tuple[str, str]], today: datetime.date | None = None) -> str | None:
    """The newest quarter whose cut-off has passed: what people usually report on."""
    today = today or timezone.localdate()
    convention = default_convention()
    for code, _label in choices:
        kind, year, number = parse_period_label(code)
        if kind == ReportingPeriod.Kind.QUARTER and period_bounds(kind, year, number, convention)[1] < today:
            return code
    return choices[0][0] if choices else None


class ReportRequestForm(TamperEvidentMixin, forms.ModelForm):
    """ "Tạo báo cáo": the period, the kind and its scope, and the tasks for the next period."""

    period_code = forms.ChoiceField(label=_("Kỳ báo cáo"), widget=FastSelect)
    # Typed, not picked from a <select>: 2,000 partnerships and 3,321 units at national scale.
    partnership = PartnershipField(
        label=_("Quan hệ kết nghĩa"), required=False, help_text=_("Chỉ khi tạo báo cáo một quan hệ kết nghĩa.")
    )
    commune = UnitField(label=_("Đơn vị"), required=False, help_text=_("Chỉ khi tạo báo cáo một đơn vị."))

    class Meta:
        model = Report
        fields = ["kind", "partnership", "commune", "next_tasks", "signer_title", "signer_name"]
        widgets = {
            "next_tasks": FastTextarea(attrs={"rows": 4}),
            "kind": FastSelect,
            "signer_title": FastTextInput,
            "signer_name": FastTextInput,
        }
        help_texts = {"next_tasks": _("Mỗi dòng một ý; có thể bổ sung trước khi ban hành.")}

    field_order = ["period_code", "kind", "partnership", "commune", "next_tasks", "signer_title", "signer_name"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = period_choices()
        self.fields["period_code"].choices = choices
        self.fields["period_code"].initial = last_finished_quarter(choices)
        self.fields["partnership"].queryset = Partnership.objects.visible_to(user).with_member_names(names_only=True)
        self.fields["commune"].queryset = Commune.objects.visible_to(user)
        layout = conf.layout()
        self.fields["signer_title"].initial = layout.signer_title
        self.fields["signer_name"].initial = layout.signer_name

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Report.Kind.PARTNERSHIP and not data.get("partnership"):
            self.add_error("partnership", _("Vui lòng chọn quan hệ kết nghĩa."))
        if kind == Report.Kind.UNIT and not data.get("commune"):
            self.add_error("commune", _("Vui lòng chọn đơn vị."))
        if kind != Report.Kind.PARTNERSHIP:
            data["partnership"] = None
        if kind != Report.Kind.UNIT:
            data["commune"] = None
        return data

    def _post_clean(self):
        """The model's scope constraint is checked by the service, with the cleaned scope."""

    def cleaned_data_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class FinaliseForm(TamperEvidentMixin, forms.ModelForm):
    """What must be settled before a report is numbered and issued."""

    class Meta:
        model = Report
        fields = ["next_tasks", "signer_title", "signer_name"]
        widgets = {"next_tasks": FastTextarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True

    def _post_clean(self):
        """The report row is changed only by ``finalise_report``, never by this form."""


class PeriodCloseForm(TamperEvidentMixin, forms.Form):
    """Confirms closing a period (a deliberate, irreversible step)."""

    confirm = forms.BooleanField(label=_("Tôi xác nhận chốt số liệu kỳ này; sau khi chốt không thể sửa."))
