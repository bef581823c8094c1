"""Input validation for partnerships, their members, documents and activities."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communes.forms import UnitField
from communes.models import Commune
from core.forms import LongSelect, LongSelectMultiple, TamperEvidentMixin, TypedChoiceField

from .models import Activity, Document, LegalBasis, Membership, Partnership
from .reference_data import ASSIGNING_LETTER_NUMBER, RESOLUTION_NUMBER
from .uploads import stored_upload, validate_upload

MAX_PHOTOS = 10
UNSIGNED_STATUSES = (Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED)


class DateInput(forms.DateInput):
    """The browser's date picker; it sends yyyy-mm-dd whatever the display language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CommuneChoiceField(forms.ModelChoiceField):
    # Rendered in Python: the partnership form offers every unit (3,321 at national scale) three times.
    widget = LongSelect

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("— Chọn đơn vị —"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return (
            f"{obj.name} ({obj.get_kind_display().lower()}, {obj.former_district})" if obj.former_district else str(obj)
        )


# "12" or "#12" alone, or a suggestion such as "Kết nghĩa Hòa Cường – Trà Tân (#12)".
PARTNERSHIP_NUMBER = re.compile(r"^#?(\d{1,9})$|\(#(\d{1,9})\)$")


def partnership_suggestion(partnership: Partnership) -> str:
    """What a suggestion puts in the field: the name, and the number that makes it unique."""
    return f"{partnership} (#{partnership.pk})"


class PartnershipField(TypedChoiceField):
    """A partnership of ``queryset``: its number, a suggestion, its title or a member's name, without accents."""

    suggestions_url = reverse_lazy("partnerships:partnership_suggestions")
    placeholder = _("Tên đơn vị thành viên hoặc số")
    default_error_messages = {
        "unknown_code": _("Không có quan hệ kết nghĩa số %(text)s để chọn ở đây."),
        "no_match": _(
            "Không tìm thấy quan hệ kết nghĩa “%(text)s”. Gõ tên một đơn vị thành viên rồi chọn trong "
            "danh sách gợi ý, hoặc nhập số của quan hệ kết nghĩa."
        ),
        "ambiguous": _(
            "Có nhiều quan hệ kết nghĩa ứng với “%(text)s”: %(candidates)s. Hãy chọn trong danh sách gợi ý "
            "hoặc nhập số của quan hệ kết nghĩa."
        ),
    }

    def lookup(self, text):
        partnerships = (self.queryset if self.queryset is not None else Partnership.objects.none()).order_by(
            "title", "pk"
        )
        match = PARTNERSHIP_NUMBER.search(text.strip())
        if match:
            return partnerships.filter(pk=int(match.group(1) or match.group(2))), "unknown_code"
        titled = partnerships.filter(title__unaccent__iexact=text)
        if titled.exists():
            return titled, "no_match"
        # "Trà Tân": the partnership(s) that unit is a member of.
        member = Membership.objects.filter(partnership=OuterRef("pk"), commune__name__unaccent__iexact=text)
        return partnerships.filter(Exists(member)), "no_match"

    def describe(self, row):
        return partnership_suggestion(row)


def partnership_search(partnerships, text: str):
    """Partnerships whose number, title or a member's name or code (without accents) matches ``text``."""
    text = text.strip()
    member = Membership.objects.filter(partnership=OuterRef("pk"))
    matches = Q(title__unaccent__icontains=text) | Exists(member.filter(commune__name__unaccent__icontains=text))
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if re.fullmatch(r"#?[0-9]+", text):
        matches |= Q(pk=int(text.lstrip("#")[:9])) | Exists(member.filter(commune_id=text))
    return partnerships.filter(matches)


class CommuneMultipleChoiceField(forms.ModelMultipleChoiceField):
    widget = LongSelectMultiple

    def label_from_instance(self, obj):
        return CommuneChoiceField.label_from_instance(self, obj)


class VndField(forms.IntegerField):
    """An amount in đồng; accepts the way people write it: "50.000.000", "50 000 000 đ"."""

    default_error_messages = {
        "invalid": _("Nhập số tiền bằng chữ số, ví dụ 50.000.000."),
        "min_value": _("Số tiền không được âm."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[.\s,đ]|VND|vnđ", "", value, flags=re.IGNORECASE)
        return super().to_python(value)


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input (a phone's camera or gallery); each one is checked separately."""

    def __init__(self, **kwargs):
        attrs = {"accept": "image/*", "capture": "environment", "multiple": True}
        kwargs.setdefault("widget", MultipleImageInput(attrs=attrs))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files:
            return super().clean(None, initial) or []
        return [super(MultipleImageField, self).clean(upload, initial) for upload in files]


class PartnershipForm(TamperEvidentMixin, forms.ModelForm):
    """A partnership and its members: exactly one supported unit, one lead supporter, optional co-supporters."""

    supported = CommuneChoiceField(
        label=_("Đơn vị được hỗ trợ"),
        queryset=Commune.objects.none(),
        help_text=_("Xã miền núi, biên giới hoặc hải đảo."),
    )
    lead_supporter = CommuneChoiceField(label=_("Đơn vị hỗ trợ chính"), queryset=Commune.objects.none())
    co_supporters = CommuneMultipleChoiceField(
        label=_("Đơn vị cùng hỗ trợ"),
        queryset=Commune.objects.none(),
        required=False,
        help_text=_("Không bắt buộc. Giữ Ctrl (Cmd trên máy Mac) để chọn nhiều đơn vị."),
    )
    # Asked when the supported unit is recorded as lowland (clean_programme_rules).
    confirm_supported = forms.BooleanField(label=_("Tôi xác nhận đơn vị này là đơn vị được hỗ trợ"), required=False)
    supported_reason = forms.CharField(
        label=_("Lý do"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Partnership
        fields = [
            "title",
            "status",
            "legal_basis",
            "assigning_document",
            "signed_on",
            "signed_place",
            "term_start",
            "term_end",
            "summary",
            "source",
            "supported_reason",
        ]
        widgets = {
            "signed_on": DateInput(),
            "term_start": DateInput(),
            "term_end": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "source": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "title": _("Để trống thì dùng tên các đơn vị, ví dụ “Hòa Cường – Trà Tân”."),
            "signed_on": _("Chỉ nhập khi đã ký kết."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communes = Commune.objects.order_by_name()
        for name in ("supported", "lead_supporter", "co_supporters"):
            self.fields[name].queryset = communes
        self.fields["legal_basis"].empty_label = _("— Chọn văn bản —")
        self.fields["assigning_document"].empty_label = _("— Không có —")
        if self.instance.pk:
            self._initial_members()
        else:
            bases = {basis.number: basis for basis in LegalBasis.objects.all()}
            self.fields["legal_basis"].initial = bases.get(RESOLUTION_NUMBER)
            self.fields["assigning_document"].initial = bases.get(ASSIGNING_LETTER_NUMBER)

    def _initial_members(self):
        for membership in self.instance.memberships.all():
            if membership.role == Membership.Role.SUPPORTED:
                self.initial.setdefault("supported", membership.commune_id)
            elif membership.role == Membership.Role.LEAD_SUPPORTER:
                self.initial.setdefault("lead_supporter", membership.commune_id)
            else:
                self.initial.setdefault("co_supporters", []).append(membership.commune_id)

    def clean(self):
        cleaned = super().clean()
        supported, lead = cleaned.get("supported"), cleaned.get("lead_supporter")
        co_supporters = list(cleaned.get("co_supporters") or [])
        if supported and lead and supported == lead:
            self.add_error(
                "lead_supporter",
                ValidationError(_("Đơn vị hỗ trợ không được trùng với đơn vị được hỗ trợ."), code="duplicate_member"),
            )
        if supported and supported in co_supporters:
            self.add_error(
                "co_supporters",
                ValidationError(
                    _("%(name)s đã là đơn vị được hỗ trợ, không thể đồng thời hỗ trợ.") % {"name": supported.name},
                    code="duplicate_member",
                ),
            )
        elif lead and lead in co_supporters:
            self.add_error(
                "co_supporters",
                ValidationError(
                    _("%(name)s đã là đơn vị hỗ trợ chính, không chọn lại ở đây.") % {"name": lead.name},
                    code="duplicate_member",
                ),
            )
        if cleaned.get("status") in UNSIGNED_STATUSES and cleaned.get("signed_on"):
            self.add_error(
                "signed_on",
                ValidationError(
                    _("Quan hệ chưa ký kết thì không có ngày ký: xóa ngày ký hoặc đổi trạng thái."),
                    code="unsigned_has_date",
                ),
            )
        start, end = cleaned.get("term_start"), cleaned.get("term_end")
        signed_on = cleaned.get("signed_on")
        if signed_on and start and start < signed_on:
            self.add_error(
                "term_start",
                ValidationError(
                    _("Ngày bắt đầu hiệu lực không được trước ngày ký kết."), code="effective_before_signing"
                ),
            )
        if start and end and end < start:
            self.add_error(
                "term_end",
                ValidationError(_("Ngày hết hiệu lực phải sau ngày bắt đầu."), code="term_ends_before_start"),
            )
        clean_programme_rules(self, cleaned)
        return cleaned

    def members(self) -> dict:
        """The member choice as keyword arguments for services.create_partnership / update_partnership."""
        return {
            "supported": self.cleaned_data["supported"],
            "lead_supporter": self.cleaned_data["lead_supporter"],
            "co_supporters": list(self.cleaned_data.get("co_supporters") or []),
        }


def clean_programme_rules(form, cleaned: dict) -> None:
    """The rules of the programme a partnership must fit (issue 16): no duplicate of a live partnership,
    a signing date for every signed status and none in the future, and a supported unit that is
    mountainous, border or island, or else confirmed by city staff with a reason."""
    status, signed_on = cleaned.get("status"), cleaned.get("signed_on")
    if status and status not in UNSIGNED_STATUSES and not signed_on and "signed_on" not in form.errors:
        form.add_error(
            "signed_on",
            ValidationError(
                _("Quan hệ “%(status)s” cần có ngày ký kết.") % {"status": Partnership.Status(status).label},
                code="signed_needs_date",
            ),
        )
    if signed_on and signed_on > timezone.localdate():
        form.add_error("signed_on", ValidationError(_("Ngày ký kết không được sau hôm nay."), code="future_signing"))
    supported, lead = cleaned.get("supported"), cleaned.get("lead_supporter")
    if not supported or not lead:
        return
    supporters = {lead.pk, *(commune.pk for commune in cleaned.get("co_supporters") or [])}
    duplicate = find_duplicate(supported, supporters, exclude_pk=form.instance.pk)
    if duplicate is not None:
        form.add_error(
            None,
            ValidationError(
                format_html(
                    _(
                        'Đã có quan hệ kết nghĩa với đúng các đơn vị này: <a href="{url}">{name}</a>. Không tạo bản trùng.'
                    ),
                    url=duplicate.get_absolute_url(),
                    name=str(duplicate),
                ),
                code="duplicate_partnership",
            ),
        )
    if is_known_lowland(supported) and not form.cleaned_data.get("confirm_supported"):
        form.add_error(
            "confirm_supported",
            ValidationError(
                _(
                    "%(name)s không được ghi nhận là xã miền núi, biên giới hay hải đảo. Nếu đúng là đơn vị được "
                    "hỗ trợ, đánh dấu xác nhận và nêu lý do."
                )
                % {"name": supported.name},
                code="supported_not_disadvantaged",
            ),
        )
    elif is_known_lowland(supported) and not (cleaned.get("supported_reason") or "").strip():
        form.add_error(
            "supported_reason",
            ValidationError(_("Vui lòng nêu lý do chọn đơn vị này làm đơn vị được hỗ trợ."), code="reason_required"),
        )


def is_known_lowland(commune: Commune) -> bool:
    """Whether the reference data says the unit is neither mountainous, border nor island. An unknown
    flag (None) is never read as "no": the sources are incomplete (data/SOURCES.md)."""
    return (
        commune.is_mountainous is False
        and commune.is_border is False
        and commune.kind != Commune.Kind.SPECIAL_ZONE
        and commune.programme_role != Commune.ProgrammeRole.SUPPORTED
    )


def find_duplicate(supported: Commune, supporters: set, *, exclude_pk=None) -> Partnership | None:
    """A live (not ended) partnership with this supported unit and exactly these supporting units."""
    candidates = (
        Partnership.objects.exclude(status=Partnership.Status.ENDED)
        .filter(memberships__commune=supported, memberships__role=Membership.Role.SUPPORTED)
        .exclude(pk=exclude_pk)
        .with_member_names(names_only=True)
        .order_by("pk")
    )
    for candidate in candidates:
        members = {m.commune_id for m in candidate.memberships.all() if m.role != Membership.Role.SUPPORTED}
        if members == supporters:
            return candidate
    return None


class MembershipForm(TamperEvidentMixin, forms.ModelForm):
    """Add a supporting unit to an existing partnership."""

    commune = UnitField(label=_("Đơn vị"))
    role = forms.ChoiceField(
        label=_("Vai trò"),
        choices=[
            (Membership.Role.CO_SUPPORTER, Membership.Role.CO_SUPPORTER.label),
            (Membership.Role.LEAD_SUPPORTER, Membership.Role.LEAD_SUPPORTER.label),
        ],
        widget=forms.Select,
    )

    class Meta:
        model = Membership
        fields = ["commune", "role", "joined_on"]
        widgets = {"joined_on": DateInput()}

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        self.fields["commune"].queryset = Commune.objects.exclude(memberships__partnership=partnership).order_by_name()
        self.fields["joined_on"].initial = timezone.localdate()

    def clean_commune(self):
        commune = self.cleaned_data["commune"]
        if self.partnership.memberships.filter(commune=commune).exists():
            raise ValidationError(_("Đơn vị này đã là thành viên của quan hệ kết nghĩa."), code="duplicate_member")
        return commune

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role == Membership.Role.LEAD_SUPPORTER and self.partnership.memberships.filter(role=role).exists():
            raise ValidationError(
                _("Quan hệ này đã có đơn vị hỗ trợ chính; hãy chọn “Cùng hỗ trợ”."), code="duplicate_lead"
            )
        return role


class DocumentForm(TamperEvidentMixin, forms.ModelForm):
    """A paper of the partnership (PDF scan or photo); the file is checked and stored under a random name."""

    class Meta:
        model = Document
        fields = ["kind", "title", "number", "issuer", "issued_on", "file"]
        widgets = {
            "kind": forms.Select,
            "title": forms.TextInput,
            "number": forms.TextInput,
            "issuer": forms.TextInput,
            "issued_on": DateInput(),
            "file": forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        }
        help_texts = {"file": _("Tệp PDF, ảnh JPEG hoặc PNG.")}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_upload(upload)
        return upload

    def save(self, commit=True):
        stored = stored_upload(self.cleaned_data["file"])
        self.instance.file = stored.content
        self.instance.original_name = stored.original_name
        self.instance.sha256 = stored.sha256
        return super().save(commit=commit)


class ActivityForm(TamperEvidentMixin, forms.ModelForm):
    """An activity with its photos, straight from a phone camera."""

    value_vnd = VndField(label=_("Giá trị (đồng)"), required=False, help_text=_("Ví dụ: 50.000.000"))
    photos = MultipleImageField(
        label=_("Ảnh"), required=False, help_text=_("Chụp trực tiếp hoặc chọn ảnh JPEG/PNG, tối đa 10 ảnh.")
    )

    class Meta:
        model = Activity
        fields = ["kind", "occurred_on", "title", "description", "participants", "participant_count", "value_vnd"]
        widgets = {
            "occurred_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "participants": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"participants": _("Ví dụ: Đoàn công tác Đảng ủy phường Hòa Cường do đồng chí Bí thư dẫn đầu.")}

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > timezone.localdate():
            raise ValidationError(_("Ngày hoạt động không được sau hôm nay."), code="future_date")
        return occurred_on

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > MAX_PHOTOS:
            raise ValidationError(
                _("Chỉ gửi tối đa %(max)s ảnh mỗi lần.") % {"max": MAX_PHOTOS}, code="too_many_photos"
            )
        for upload in photos:
            validate_upload(upload, allow_pdf=False)
        return photos
