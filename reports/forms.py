"""Input of the reports pages: dashboard filters, a report request, finalising a draft."""

import datetime
from functools import partial

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commitments.models import ReportingPeriod
from communes.forms import UnitField
from communes.models import Commune
from core.forms import LongSelect, TamperEvidentMixin
from partnerships.forms import PartnershipField
from partnerships.models import Partnership

from . import conf
from .figures import Scope
from .models import Report
from .periods import default_convention, parse_period_label, period_bounds

YES_NO = [("", _("Tất cả")), ("yes", _("Có")), ("no", _("Không"))]
PROGRAMME_START_YEAR = 2025


def district_choices(districts) -> list[tuple[str, str]]:
    return [("", _("Tất cả")), *((district, district) for district in districts)]


class DashboardFilterForm(forms.Form):
    """GET filters of the dashboard: former district, mountainous and border units."""

    former_district = forms.ChoiceField(label=_("Quận/huyện cũ"), required=False, widget=LongSelect)
    mountainous = forms.ChoiceField(label=_("Xã miền núi"), choices=YES_NO, required=False, widget=forms.Select)
    border = forms.ChoiceField(label=_("Xã biên giới"), choices=YES_NO, required=False, widget=forms.Select)
    as_of = forms.DateField(
        label=_("Số liệu đến ngày"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Để trống: hôm nay."),
    )

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        # A callable: Django builds the choices only when the select is rendered or a district is
        # validated, not for a request whose filters come from the template's cache (the figures
        # fragment), where the ~680 districts of national scale were most of the view's own work.
        self.fields["former_district"].choices = partial(district_choices, districts)
        today = timezone.localdate()
        self.fields["as_of"].widget.attrs.update(
            min=datetime.date(PROGRAMME_START_YEAR, 1, 1).isoformat(), max=today.isoformat()
        )

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day is None:
            return None
        if day > timezone.localdate():
            raise forms.ValidationError(_("Chỉ xem được số liệu đến hôm nay, không xem trước ngày tương lai."))
        if day.year < PROGRAMME_START_YEAR:
            raise forms.ValidationError(
                _("Chương trình bắt đầu từ năm %(year)s: chọn một ngày từ năm đó trở đi.")
                % {"year": PROGRAMME_START_YEAR}
            )
        return day

    @classmethod
    def is_valid_day(cls, text: str) -> bool:
        """Whether ``text`` is a day the dashboard can be shown as of (for its cache key)."""
        form = cls({"as_of": text})
        form.is_valid()
        return "as_of" not in form.errors

    def as_of_day(self) -> datetime.date:
        """The day the figures are shown as of: the chosen day when valid, else today."""
        if self.is_valid() and self.cleaned_data["as_of"]:
            return self.cleaned_data["as_of"]
        return timezone.localdate()

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


def partnership_choices(user):
    return Partnership.objects.visible_to(user).with_member_names(names_only=True)


class ReportRequestForm(TamperEvidentMixin, forms.ModelForm):
    """ "Tạo báo cáo": the period, the kind and its scope, and the tasks for the next period."""

    period_code = forms.ChoiceField(label=_("Kỳ báo cáo"), widget=forms.Select)
    # Typed, not picked from a <select>: 2,000 partnerships and 3,321 units at national scale.
    partnership = PartnershipField(
        label=_("Quan hệ kết nghĩa"), required=False, help_text=_("Chỉ khi tạo báo cáo một quan hệ kết nghĩa.")
    )
    commune = UnitField(label=_("Đơn vị"), required=False, help_text=_("Chỉ khi tạo báo cáo một đơn vị."))

    class Meta:
        model = Report
        fields = ["kind", "partnership", "commune", "next_tasks", "signer_title", "signer_name"]
        widgets = {
            "next_tasks": forms.Textarea(attrs={"rows": 4}),
            "kind": forms.Select,
            "signer_title": forms.TextInput,
            "signer_name": forms.TextInput,
        }
        help_texts = {"next_tasks": _("Mỗi dòng một ý; có thể bổ sung trước khi ban hành.")}

    field_order = ["period_code", "kind", "partnership", "commune", "next_tasks", "signer_title", "signer_name"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = period_choices()
        self.fields["period_code"].choices = choices
        self.fields["period_code"].initial = last_finished_quarter(choices)
        # Built only when a typed value is read (TypedChoiceField), not for the form shown empty.
        self.fields["partnership"].queryset = partial(partnership_choices, user)
        self.fields["commune"].queryset = partial(Commune.objects.visible_to, user)
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
        widgets = {"next_tasks": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True

    def _post_clean(self):
        """The report row is changed only by ``finalise_report``, never by this form."""


class PeriodCloseForm(TamperEvidentMixin, forms.Form):
    """Confirms closing a period (a deliberate, irreversible step)."""

    confirm = forms.BooleanField(label=_("Tôi xác nhận chốt số liệu kỳ này; sau khi chốt không thể sửa."))


class NarrativeForm(TamperEvidentMixin, forms.Form):
    """The text of a report, section by section, starting from the portal's draft (or the last saved one)."""

    REQUIRED = ("opening", "overview", "assessment", "limitations", "next_tasks")

    def __init__(self, *args, sections: dict[str, str], fields=(), **kwargs):
        from .narrative import FIELD_PREFIX, MAX_SECTION_CHARS, SECTION_KEYS, section_labels

        super().__init__(*args, **kwargs)
        labels = section_labels()
        keys = list(SECTION_KEYS[:2]) + [FIELD_PREFIX + f.code for f in fields] + list(SECTION_KEYS[2:])
        names = {FIELD_PREFIX + f.code: _("I.2. Lĩnh vực: %(name)s") % {"name": f.name} for f in fields}
        for key in keys:
            self.fields[key] = forms.CharField(
                label=labels.get(key) or names.get(key, key),
                required=key in self.REQUIRED,
                initial=sections.get(key, ""),
                max_length=MAX_SECTION_CHARS,
                strip=True,
                widget=forms.Textarea(attrs={"rows": 8 if key in ("overview", "limitations") else 5}),
                help_text=_("Mỗi dòng một đoạn; dòng bắt đầu bằng “- ” in thành gạch đầu dòng.")
                if key in ("next_tasks", "proposals")
                else "",
            )

    def cleaned_sections(self) -> dict[str, str]:
        from .narrative import clean_text

        return {key: clean_text(value) for key, value in self.cleaned_data.items()}


class SignedCopyForm(TamperEvidentMixin, forms.Form):
    """The signed and stamped scan of a finalised report (a PDF)."""

    file = forms.FileField(label=_("Bản đã ký, đóng dấu (tệp PDF scan)"))

    def clean_file(self):
        from partnerships.uploads import validate_upload

        upload = self.cleaned_data["file"]
        stored = validate_upload(upload, allow_pdf=True)
        if not stored.is_pdf:
            raise forms.ValidationError(_("Vui lòng tải lên bản scan định dạng PDF."), code="not_pdf")
        return stored
