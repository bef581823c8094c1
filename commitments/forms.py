"""Input for commitments and progress reports: Vietnamese messages next to the field, uploads checked."""

import datetime
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can
from communes.models import Commune
from core.forms import TamperEvidentMixin
from core.templatetags.portal import number, vnd
from partnerships.models import Membership
from partnerships.uploads import MAX_IMAGE_SIDE, validate_upload

from .models import COMMITMENT_TERMS, MAX_QUANTITY, MAX_VALUE_VND, Commitment, Evidence, ProgressUpdate
from .services import COMMITMENT_EDITABLE_FIELDS

MAX_EVIDENCE_FILES = 10
EVIDENCE_ACCEPT = "image/*,application/pdf"


@dataclass(frozen=True)
class ConflictRow:
    """One field of an edit conflict: what is saved now, and what this person typed."""

    label: str
    saved: str
    typed: str


def shown(value, model_field=None) -> str:
    """A value as the conflict table shows it: Vietnamese labels, dd/mm/yyyy, grouped numbers."""
    if value is None or value == "":
        return "—"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(model_field, models.BigIntegerField) and isinstance(value, int):
        return vnd(value)
    if isinstance(value, int | Decimal):
        return number(value)
    return str(value)


class OptimisticLockMixin:
    """A hidden ``version`` field: the row's version when the form was shown.

    The service saves with ``UPDATE … WHERE version = <that version>``; when someone saved in between
    it raises EditConflict, and ``show_conflict`` keeps everything typed, lists the latest saved values
    next to it, and moves the hidden version on, so that saving again deliberately overwrites.
    """

    conflict_fields: tuple[str, ...] = ()

    def add_version_field(self) -> None:
        self.conflict = []
        if self.instance.pk is None:
            return
        self.fields["version"] = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
        self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if "version" in self.fields:
            if cleaned.get("version") is None:
                message = _("Biểu mẫu thiếu thông tin phiên bản. Vui lòng tải lại trang rồi nhập lại.")
                self.add_error(None, ValidationError(message, code="no_version"))
            else:
                self.instance.version = cleaned["version"]
        return cleaned

    def show_conflict(self, latest) -> None:
        self.conflict = [row for row in self.conflict_rows(latest) if row.saved != row.typed]
        self.data = self.data.copy()
        self.data["version"] = str(latest.version)
        self.add_error(None, ValidationError(self.conflict_message(latest), code="conflict"))

    def conflict_message(self, latest) -> str:
        return str(
            _(
                "Người khác đã lưu thay đổi trong lúc bạn sửa, nên nội dung của bạn chưa được lưu. Bảng dưới đây "
                "so sánh bản vừa được lưu với nội dung bạn nhập (vẫn giữ nguyên trong biểu mẫu). Kiểm tra lại rồi "
                "bấm lưu lần nữa nếu muốn ghi đè."
            )
        )

    def conflict_rows(self, latest) -> list[ConflictRow]:
        rows = []
        for name in self.conflict_fields:
            if name not in self.fields:
                continue
            model_field = latest._meta.get_field(name)
            saved = getattr(latest, name)
            typed = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if isinstance(typed, str):
                typed = typed.strip()
            rows.append(ConflictRow(str(self.fields[name].label), shown(saved, model_field), shown(typed, model_field)))
        return rows


def use_vietnamese_messages(form) -> None:
    """Django's own messages follow the browser's language; these forms answer in Vietnamese always."""
    for field in form.fields.values():
        is_choice = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
        field.error_messages["required"] = _("Vui lòng chọn mục này.") if is_choice else _("Vui lòng nhập mục này.")
        field.error_messages["invalid_choice"] = _("Lựa chọn không hợp lệ.")
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = _("Vui lòng nhập ngày hợp lệ (ngày/tháng/năm).")
        elif isinstance(field, forms.DecimalField | forms.IntegerField):
            field.error_messages["invalid"] = _("Vui lòng nhập một số.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's "Uploading multiple files" pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        attrs = {
            "accept": EVIDENCE_ACCEPT,
            "multiple": True,
            # static/js/portal.js shrinks photos in the browser to what the server keeps anyway.
            "data-downscale": MAX_IMAGE_SIDE,
            "data-downscale-busy": _("Đang thu nhỏ ảnh để gửi nhanh hơn…"),
        }
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_file_clean(item, initial) for item in data]
        return [single_file_clean(data, initial)] if data else []


VIETNAMESE_GROUPED = re.compile(r"\d{1,3}(\.\d{3})+")


def plain_number(text: str) -> str:
    """A number typed in Vietnamese notation ("1.250,5", "4,5") as Python reads it ("1250.5", "4.5").

    A comma is the decimal mark and dots group thousands; without a comma, dots that group digits by
    three ("1.250.000") are grouping too, and any other dot ("4.5", typed on an English keyboard) is the
    decimal mark.
    """
    text = re.sub(r"[\s\u00a0]", "", text)
    if "," in text:
        return text.replace(".", "").replace(",", ".")
    if VIETNAMESE_GROUPED.fullmatch(text):
        return text.replace(".", "")
    return text


class QuantityField(forms.DecimalField):
    """A quantity shown and typed in Vietnamese notation: 4, 4,5, 1.500 (never "4.00")."""

    def __init__(self, **kwargs):
        # A text input: a number input shows "4.00" and refuses "4,5" in most browsers.
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = plain_number(value)
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int):
            return number(value)
        return value


class MoneyField(forms.IntegerField):
    """An amount in đồng, grouped as Vietnamese write it (1.250.000); "đ" and spaces are ignored."""

    def __init__(self, **kwargs):
        # static/js/progress.js groups the digits while typing and sends them plain.
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "data-money": True})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0.đ]", "", value.strip().removesuffix("đ").strip())
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return vnd(value).removesuffix(" đ")
        return value


class CommitmentForm(TamperEvidentMixin, OptimisticLockMixin, forms.ModelForm):
    """A commitment of one partnership; its owner is one of that partnership's members."""

    conflict_fields = (
        "title",
        "field",
        "owner",
        "horizon",
        "support_form",
        "description",
        "target_quantity",
        "target_unit",
        "target_value_vnd",
        "start_on",
        "due_on",
    )

    class Meta:
        model = Commitment
        fields = list(COMMITMENT_EDITABLE_FIELDS)  # the same columns the service writes
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_on": DateInput(),
            "due_on": DateInput(),
            "target_quantity": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "target_value_vnd": forms.NumberInput(attrs={"step": "1", "inputmode": "numeric"}),
        }
        help_texts = {
            "target_value_vnd": _("Tính bằng đồng, ví dụ 160000000."),
            "target_quantity": _("Nhập số lượng kèm đơn vị tính, hoặc giá trị (đồng), hoặc cả hai."),
        }

    def __init__(self, *args, partnership, user, **kwargs):
        super().__init__(*args, **kwargs)
        use_vietnamese_messages(self)
        self.instance.partnership = partnership
        # Current members; a unit that has left keeps the commitments it owned, so it stays selectable there.
        members = Membership.objects.on().filter(partnership=partnership, commune=OuterRef("pk"))
        owner = models.Q(pk=self.instance.owner_id) if self.instance.owner_id else models.Q(pk__in=[])
        self.fields["owner"].queryset = Commune.objects.filter(models.Q(Exists(members)) | owner).order_by_name()
        self.fields["owner"].empty_label = _("— Chọn đơn vị thực hiện —")
        self.fields["field"].empty_label = _("— Chọn lĩnh vực —")
        self.fields["support_form"].choices = [("", _("— Chọn hình thức —")), *Commitment.SupportForm.choices]
        if not can(user, "change_commitment_terms"):
            # Officers keep commitments up to date; handing one to another unit is for city staff.
            self.fields["owner"].disabled = True
        self.user = user
        # The terms as saved, before validation copies the typed values onto the instance.
        self.saved_terms = {
            name: getattr(self.instance, Commitment._meta.get_field(name).attname) for name in COMMITMENT_TERMS
        }
        if self.instance.pk:
            help_text = (
                _("Bắt buộc khi thay đổi chỉ tiêu, thời hạn, lĩnh vực hoặc đơn vị thực hiện.")
                if can(user, "change_commitment_terms")
                else _(
                    "Bắt buộc khi thay đổi chỉ tiêu, thời hạn hoặc lĩnh vực: thay đổi đó là đề nghị điều chỉnh, "
                    "chỉ có hiệu lực khi Thành ủy duyệt."
                )
            )
            self.fields["reason"] = forms.CharField(
                label=_("Lý do điều chỉnh"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=help_text,
            )
        self.add_version_field()

    def changed_terms(self) -> list[str]:
        """The terms this (valid) form changes on the saved commitment."""
        changed = []
        for name in COMMITMENT_TERMS:
            if name not in self.cleaned_data or self.fields[name].disabled:
                continue
            typed = self.cleaned_data[name]
            typed = getattr(typed, "pk", typed)
            saved = self.saved_terms[name]
            if isinstance(typed, str) or isinstance(saved, str):
                typed, saved = (typed or "").strip(), (saved or "").strip()
            if typed != saved:
                changed.append(name)
        return changed

    @property
    def asks_for_approval(self) -> bool:
        """Whether saving sends a request to city staff instead of changing the terms at once."""
        return bool(self.instance.pk) and not can(self.user, "change_commitment_terms") and bool(self.changed_terms())

    def clean_target_quantity(self):
        value = self.cleaned_data.get("target_quantity")
        if value is not None and value <= 0:
            raise ValidationError(_("Chỉ tiêu phải lớn hơn 0."), code="not_positive")
        if value is not None and value > MAX_QUANTITY:
            raise ValidationError(
                _("Chỉ tiêu số lượng tối đa là %(max)s. Kiểm tra lại số đã nhập."),
                code="too_large",
                params={"max": number(MAX_QUANTITY)},
            )
        return value

    def clean_target_value_vnd(self):
        value = self.cleaned_data.get("target_value_vnd")
        if value is not None and value <= 0:
            raise ValidationError(_("Giá trị phải lớn hơn 0."), code="not_positive")
        if value is not None and value > MAX_VALUE_VND:
            raise ValidationError(
                _("Giá trị tối đa là %(max)s. Kiểm tra lại số đã nhập."),
                code="too_large",
                params={"max": vnd(MAX_VALUE_VND)},
            )
        return value

    def clean(self):
        cleaned = super().clean()
        quantity, unit = cleaned.get("target_quantity"), (cleaned.get("target_unit") or "").strip()
        value = cleaned.get("target_value_vnd")
        targets_valid = "target_quantity" not in self.errors and "target_value_vnd" not in self.errors
        if targets_valid and quantity is None and value is None:
            self.add_error(
                "target_quantity",
                ValidationError(
                    _("Cần nhập chỉ tiêu số lượng (kèm đơn vị tính) hoặc giá trị (đồng)."), code="target_required"
                ),
            )
        if quantity is not None and not unit:
            self.add_error(
                "target_unit",
                ValidationError(_("Vui lòng nhập đơn vị tính cho chỉ tiêu số lượng."), code="unit_required"),
            )
        start_on, due_on = cleaned.get("start_on"), cleaned.get("due_on")
        if start_on and due_on and due_on < start_on:
            self.add_error(
                "due_on", ValidationError(_("Hạn hoàn thành không được trước ngày bắt đầu."), code="due_before_start")
            )
        if "reason" in self.fields and not (cleaned.get("reason") or "").strip() and self.changed_terms():
            self.add_error(
                "reason",
                ValidationError(
                    _("Vui lòng nêu lý do điều chỉnh chỉ tiêu, thời hạn của cam kết."), code="reason_required"
                ),
            )
        return cleaned


class ProgressForm(TamperEvidentMixin, OptimisticLockMixin, forms.ModelForm):
    """What a unit achieved in this period, with evidence; also used to correct a returned report."""

    conflict_fields = ("achieved_quantity", "achieved_value_vnd", "narrative", "state")

    achieved_quantity = QuantityField(
        label=_("Số lượng đạt được"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        max_value=MAX_QUANTITY,
        error_messages={
            "min_value": _("Kết quả không được âm."),
            "max_value": _("Số lượng quá lớn: tối đa 1.000.000 mỗi báo cáo. Kiểm tra lại số đã nhập."),
        },
    )
    achieved_value_vnd = MoneyField(
        label=_("Giá trị đạt được (đồng)"),
        required=False,
        min_value=0,
        max_value=MAX_VALUE_VND,
        error_messages={
            "min_value": _("Kết quả không được âm."),
            "max_value": _("Giá trị quá lớn: tối đa 1.000 tỷ đồng mỗi báo cáo. Kiểm tra lại số đã nhập."),
        },
    )
    # Asked only when the report goes beyond what the commitment still needs (see clean()).
    confirm_over_target = forms.BooleanField(
        label=_("Tôi xác nhận kết quả này vượt chỉ tiêu còn lại của cam kết"),
        required=False,
    )
    evidence = MultipleFileField(label=_("Ảnh, tệp minh chứng"), required=False)
    remove_evidence = forms.ModelMultipleChoiceField(
        label=_("Bỏ minh chứng đã gửi"),
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Generated when the empty form is shown and sent back unchanged: see submit_progress.
    client_token = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The commitment's version when the form was shown: a report written offline may reach the server
    # after the terms changed, and the officer should see the new terms before it counts.
    commitment_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = ProgressUpdate
        fields = ["achieved_quantity", "achieved_value_vnd", "narrative"]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 4})}
        labels = {"narrative": _("Kết quả đã thực hiện")}
        help_texts = {"narrative": _("Việc đã làm, ở đâu, khi nào, cho ai.")}

    def __init__(self, *args, commitment: Commitment, **kwargs):
        super().__init__(*args, **kwargs)
        use_vietnamese_messages(self)
        self.commitment = commitment
        self.fields["evidence"].help_text = _(
            "Chụp ảnh trực tiếp hoặc chọn ảnh JPEG, PNG, tệp PDF; tối đa %(count)s tệp."
        ) % {"count": MAX_EVIDENCE_FILES}
        # Browsers cannot refill a file input: when the form comes back with errors, say so.
        self.files_to_choose_again = self.is_bound and bool(self.files.getlist("evidence"))
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())
            self.initial["commitment_version"] = commitment.version
        if commitment.target_quantity is None:
            del self.fields["achieved_quantity"]
        else:
            self.fields["achieved_quantity"].label = _("Số lượng đạt được (%(unit)s)") % {
                "unit": commitment.target_unit
            }
        if self.instance.pk:
            self.fields["remove_evidence"].queryset = self.instance.evidence.all()
            self.fields["evidence"].label = _("Thêm ảnh, tệp minh chứng")
        else:
            del self.fields["remove_evidence"]
        # What is saved now, before validation copies the typed values onto the instance.
        self.saved_values = {name: getattr(self.instance, name) for name in self.conflict_fields}
        self.add_version_field()

    def matches_saved(self) -> bool:
        """Whether the (valid) typed report is what is saved already: a replayed POST, not a conflict."""
        typed = {name: self.cleaned_data.get(name) for name in ("achieved_quantity", "achieved_value_vnd")}
        typed["narrative"] = (self.cleaned_data.get("narrative") or "").strip()
        saved = {name: self.saved_values[name] for name in typed}
        saved["narrative"] = (saved["narrative"] or "").strip()
        if "achieved_quantity" not in self.fields:
            typed.pop("achieved_quantity"), saved.pop("achieved_quantity")
        return typed == saved

    def is_conflicting_edit(self) -> bool:
        """A valid POST that differs from what is saved: show it next to the saved report, lose nothing."""
        return self.is_bound and self.is_valid() and not self.matches_saved()

    def conflict_message(self, latest) -> str:
        if latest.state == ProgressUpdate.State.RETURNED:
            return super().conflict_message(latest)
        return str(
            _(
                "Báo cáo này vừa được gửi lại hoặc xem xét trong lúc bạn sửa (trạng thái: %(state)s), nên nội dung "
                "của bạn chưa được gửi. Bảng dưới đây so sánh bản đang lưu với nội dung bạn nhập, vẫn giữ nguyên "
                "trong biểu mẫu để bạn sao chép."
            )
            % {"state": latest.get_state_display()}
        )

    def conflict_rows(self, latest) -> list[ConflictRow]:
        rows = super().conflict_rows(latest)
        state_field = ProgressUpdate._meta.get_field("state")
        rows.append(
            ConflictRow(
                str(state_field.verbose_name).capitalize(),
                shown(latest.state, state_field),
                shown(self.saved_values["state"], state_field),
            )
        )
        return rows

    def terms_changed(self) -> bool:
        """Whether the commitment was edited after this (valid) form was shown."""
        seen = self.cleaned_data.get("commitment_version")
        return seen is not None and seen != self.commitment.version

    def show_terms_changed(self) -> None:
        """Refuse the report once, keep everything typed, and show the current terms; sending again
        deliberately (the hidden version now moved on) files it."""
        commitment = self.commitment
        target = [
            number(commitment.target_quantity) + " " + commitment.target_unit
            if commitment.target_quantity is not None
            else "",
            vnd(commitment.target_value_vnd) if commitment.target_value_vnd is not None else "",
        ]
        message = _(
            "Cam kết này vừa được sửa trong lúc bạn soạn báo cáo, nên báo cáo chưa được gửi. Chỉ tiêu hiện nay: "
            "%(target)s; hạn hoàn thành: %(due)s. Nội dung bạn nhập vẫn được giữ nguyên: kiểm tra lại rồi bấm gửi "
            "lần nữa."
        ) % {
            "target": " · ".join(part for part in target if part),
            "due": commitment.due_on.strftime("%d/%m/%Y") if commitment.due_on else _("không có hạn"),
        }
        self.data = self.data.copy()
        self.data["commitment_version"] = str(commitment.version)
        self.add_error(None, ValidationError(message, code="terms_changed"))

    over_target = False

    def exceeds_remaining(self) -> bool:
        """Whether the typed result is more than the commitment could still need (target − verified)."""
        return self.commitment.exceeds_remaining(
            self.cleaned_data.get("achieved_quantity"), self.cleaned_data.get("achieved_value_vnd")
        )

    def remaining_text(self) -> str:
        commitment, parts = self.commitment, []
        if commitment.target_quantity is not None:
            remaining = max(commitment.target_quantity - commitment.achieved_quantity, 0)
            parts.append(f"{number(remaining)} {commitment.target_unit}".strip())
        if commitment.target_value_vnd is not None:
            parts.append(vnd(max(commitment.target_value_vnd - commitment.achieved_value_vnd, 0)))
        return ", ".join(parts)

    def report(self) -> dict:
        """The cleaned values as keyword arguments of submit_progress / resubmit_progress."""
        return {
            "narrative": self.cleaned_data["narrative"],
            "achieved_quantity": self.cleaned_data.get("achieved_quantity"),
            "achieved_value_vnd": self.cleaned_data.get("achieved_value_vnd"),
            "evidence_files": self.cleaned_data["evidence"],
        }

    def clean_evidence(self):
        files = self.cleaned_data.get("evidence") or []
        if len(files) > MAX_EVIDENCE_FILES:
            raise ValidationError(
                _("Tối đa %(count)s tệp minh chứng mỗi lần gửi."), code="too_many", params={"count": MAX_EVIDENCE_FILES}
            )
        errors = []
        for upload in files:
            try:
                validate_upload(upload)
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        cleaned = super().clean()
        quantity, value = cleaned.get("achieved_quantity"), cleaned.get("achieved_value_vnd")
        values_valid = "achieved_quantity" not in self.errors and "achieved_value_vnd" not in self.errors
        if values_valid and quantity is None and value is None:
            field = "achieved_quantity" if "achieved_quantity" in self.fields else "achieved_value_vnd"
            self.add_error(
                field,
                ValidationError(_("Vui lòng nhập số lượng hoặc giá trị đạt được."), code="result_required"),
            )
        if values_valid and self.exceeds_remaining() and not cleaned.get("confirm_over_target"):
            self.over_target = True
            self.add_error(
                "confirm_over_target",
                ValidationError(
                    _(
                        "Kết quả này vượt chỉ tiêu còn lại của cam kết (%(remaining)s). Kiểm tra lại số đã nhập; "
                        "nếu đúng, đánh dấu xác nhận rồi gửi lại. Báo cáo sẽ được ghi chú “vượt chỉ tiêu” để Thành ủy xem xét."
                    ),
                    code="over_target",
                    params={"remaining": self.remaining_text()},
                ),
            )
        if self.instance.pk and "evidence" not in self.errors:
            kept = self.instance.evidence.count() - len(cleaned.get("remove_evidence") or [])
            if kept + len(cleaned.get("evidence") or []) > MAX_EVIDENCE_FILES:
                self.add_error(
                    "evidence",
                    ValidationError(
                        _("Mỗi báo cáo có tối đa %(count)s tệp minh chứng."),
                        code="too_many",
                        params={"count": MAX_EVIDENCE_FILES},
                    ),
                )
        return cleaned


class ReturnForm(TamperEvidentMixin, forms.Form):
    """Why a progress report goes back to its unit."""

    reason = forms.CharField(
        label=_("Lý do trả lại"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Vui lòng nêu lý do trả lại.")},
    )


class ReopenForm(TamperEvidentMixin, forms.Form):
    """Why a verified report goes back to the review queue (verified by mistake)."""

    reason = forms.CharField(
        label=_("Lý do mở lại"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Vui lòng nêu lý do mở lại báo cáo đã xác nhận.")},
    )


class BulkReviewForm(TamperEvidentMixin, forms.Form):
    """Several reports of the queue verified or returned together; verifying asks for a confirmation."""

    VERIFY, RETURN = "verify", "return"

    updates = forms.ModelMultipleChoiceField(
        queryset=ProgressUpdate.objects.none(),
        error_messages={
            "required": _("Chưa chọn báo cáo nào. Đánh dấu các báo cáo cần xử lý trong danh sách."),
            "invalid_choice": _("Có báo cáo đã được xem xét trước đó; hãy tải lại danh sách."),
        },
    )
    action = forms.ChoiceField(choices=[(VERIFY, _("Xác nhận")), (RETURN, _("Trả lại"))])
    reason = forms.CharField(
        label=_("Lý do trả lại (gửi cho mọi báo cáo đã chọn)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["updates"].queryset = queryset

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.RETURN and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Vui lòng nêu lý do trả lại."))
        return cleaned


class RefuseForm(TamperEvidentMixin, forms.Form):
    """Why a commitment adjustment request is not approved."""

    reason = forms.CharField(
        label=_("Lý do không duyệt"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Vui lòng nêu lý do không duyệt.")},
    )
