"""Input validation for partnerships, their members, documents and activities."""

import re
from collections.abc import Iterator

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.forms.formsets import DELETION_FIELD_NAME
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communes.forms import UnitField
from communes.models import Commune
from core.forms import TamperEvidentMixin, TypedChoiceField

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
        member = Membership.objects.on().filter(partnership=OuterRef("pk"), commune__name__unaccent__iexact=text)
        return partnerships.filter(Exists(member)), "no_match"

    def describe(self, row):
        return partnership_suggestion(row)


def partnership_search(partnerships, text: str):
    """Partnerships whose number, title or a member's name or code (without accents) matches ``text``."""
    text = text.strip()
    member = Membership.objects.on().filter(partnership=OuterRef("pk"))
    matches = Q(title__unaccent__icontains=text) | Exists(member.filter(commune__name__unaccent__icontains=text))
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if re.fullmatch(r"#?[0-9]+", text):
        matches |= Q(pk=int(text.lstrip("#")[:9])) | Exists(member.filter(commune_id=text))
    return partnerships.filter(matches)


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


MEMBERS_PREFIX = "members"
# The largest agreement known has three members; a form never needs more rows than this.
MAX_MEMBER_ROWS = 20
# The submit button that asks for one more member row instead of saving (works without JavaScript).
ADD_MEMBER_ROW = "add_member_row"


class MemberRowForm(TamperEvidentMixin, forms.Form):
    """One member on the partnership form: a unit (typed, with suggestions) and its role.

    A row without a unit is left out, so a spare blank row costs nothing."""

    commune = UnitField(label=_("Đơn vị"), required=False)
    role = forms.ChoiceField(label=_("Vai trò"), choices=Membership.Role.choices, widget=forms.Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = Commune.objects.all()


class BaseMemberRowFormSet(forms.BaseFormSet):
    """A partnership's members as rows. Rules across rows are reported on the row that breaks them."""

    # Django's own wording has no Vietnamese translation.
    default_error_messages = {
        "missing_management_form": _(
            "Trang gửi thiếu thông tin về các dòng đơn vị. Vui lòng tải lại trang rồi nhập lại các đơn vị."
        ),
        "too_many_forms": _("Một quan hệ kết nghĩa có nhiều nhất %(num)d dòng đơn vị."),
    }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is not None:  # the row number people read in messages such as "đã có ở dòng 2"
            number = index + 1
            form.fields["commune"].label = _("Đơn vị – dòng %(number)s") % {"number": number}
            form.fields["role"].label = _("Vai trò – dòng %(number)s") % {"number": number}
        form.fields[DELETION_FIELD_NAME].label = _("Bỏ đơn vị này")

    def kept_rows(self) -> Iterator[tuple[int, MemberRowForm]]:
        """(row number, row) for each checked row that names a unit and is not removed."""
        for number, row in enumerate(self.forms, start=1):
            cleaned = getattr(row, "cleaned_data", {})
            if cleaned.get("commune") and cleaned.get("role") and not cleaned.get(DELETION_FIELD_NAME):
                yield number, row

    def clean(self):
        first_row = {}  # unit pk -> the row that named it first
        role_row = {}  # supported / lead role -> the row that took it first
        for number, row in self.kept_rows():
            commune, role = row.cleaned_data["commune"], row.cleaned_data["role"]
            if commune.pk in first_row:
                row.add_error(
                    "commune",
                    ValidationError(
                        _("%(name)s đã có ở dòng %(row)s: mỗi đơn vị chỉ chọn một lần."),
                        code="duplicate_member",
                        params={"name": commune.name, "row": first_row[commune.pk]},
                    ),
                )
                continue
            first_row[commune.pk] = number
            if role in ONE_PER_PARTNERSHIP and role in role_row:
                row.add_error(
                    "role",
                    ValidationError(
                        ONE_PER_PARTNERSHIP[role],
                        code=f"second_{role}",
                        params={"row": role_row[role]},
                    ),
                )
            role_row.setdefault(role, number)
        if any(self.errors) or not self.management_form.is_valid():
            return  # a unit not found may be the missing one: say so once it is fixed
        if Membership.Role.SUPPORTED not in role_row:
            raise ValidationError(
                _("Chưa có đơn vị được hỗ trợ: chọn vai trò “Được hỗ trợ” cho một dòng."), code="no_supported"
            )
        if len(first_row) < 2:
            raise ValidationError(
                _("Chưa có đơn vị hỗ trợ: thêm một dòng với vai trò “Hỗ trợ chính” hoặc “Cùng hỗ trợ”."),
                code="no_supporter",
            )

    def members(self) -> list[tuple[Commune, str]]:
        """(unit, role) of every member, once the rows are valid."""
        return [(row.cleaned_data["commune"], row.cleaned_data["role"]) for _number, row in self.kept_rows()]


ONE_PER_PARTNERSHIP = {
    Membership.Role.SUPPORTED: _(
        "Mỗi quan hệ kết nghĩa chỉ có một đơn vị được hỗ trợ (đã chọn ở dòng %(row)s). Chọn vai trò khác."
    ),
    Membership.Role.LEAD_SUPPORTER: _(
        "Mỗi quan hệ kết nghĩa chỉ có một đơn vị hỗ trợ chính (đã chọn ở dòng %(row)s). Chọn “Cùng hỗ trợ”."
    ),
}

MemberRowFormSet = forms.formset_factory(
    MemberRowForm,
    formset=BaseMemberRowFormSet,
    extra=0,
    can_delete=True,
    max_num=MAX_MEMBER_ROWS,
    absolute_max=MAX_MEMBER_ROWS,
    validate_max=True,
)


def typed_member_rows(data) -> list[dict]:
    """The member rows exactly as typed in ``data`` (not checked), to show them again."""
    rows = MemberRowFormSet(data, prefix=MEMBERS_PREFIX)
    return [{name: row[name].value() for name in row.fields} for row in rows.forms]


class PartnershipForm(TamperEvidentMixin, forms.ModelForm):
    """A partnership and its members, one row per member: exactly one supported unit, at least one
    supporting unit, at most one lead supporter. A lead is not required: the sources name none in
    the three-way agreements (partnerships/reference_data.py).

    Sent with the "Thêm dòng" button (``ADD_MEMBER_ROW``), the form is not checked: it comes back
    unbound, starting from what was typed, with one more blank member row.
    """

    # On an edit: the day units dropped from the rows leave and units added join (services._write_members).
    members_changed_on = forms.DateField(
        label=_("Ngày thay đổi thành viên"),
        required=False,
        widget=DateInput(),
        help_text=_("Đơn vị bỏ khỏi danh sách rời đi, đơn vị thêm vào tham gia từ ngày này. Để trống là hôm nay."),
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

    def __init__(self, data=None, *args, **kwargs):
        rows = None
        if data is not None and ADD_MEMBER_ROW in data:
            rows = typed_member_rows(data)[: MAX_MEMBER_ROWS - 1] + [{"role": Membership.Role.CO_SUPPORTER}]
            kwargs["initial"] = {**(kwargs.get("initial") or {}), **dict(data.items())}
            data = kwargs["files"] = None
        super().__init__(data, *args, **kwargs)
        self.fields["legal_basis"].empty_label = _("— Chọn văn bản —")
        self.fields["assigning_document"].empty_label = _("— Không có —")
        if not self.instance.pk:
            del self.fields["members_changed_on"]
            bases = {basis.number: basis for basis in LegalBasis.objects.all()}
            self.fields["legal_basis"].initial = bases.get(RESOLUTION_NUMBER)
            self.fields["assigning_document"].initial = bases.get(ASSIGNING_LETTER_NUMBER)
        self.member_rows = MemberRowFormSet(
            self.data if self.is_bound else None,
            prefix=MEMBERS_PREFIX,
            initial=None if self.is_bound else (rows or self._current_member_rows()),
        )
        if rows:  # the row just added is where the person types next
            self.member_rows.forms[-1].fields["commune"].widget.attrs["autofocus"] = True

    def _current_member_rows(self) -> list[dict]:
        """The members as rows, supported unit first, and a blank row to add one. A new partnership
        starts with a blank row for each role."""
        roles = list(Membership.Role)
        if not self.instance.pk:
            return [{"role": role} for role in roles]
        members = sorted(self.instance.memberships.all(), key=lambda m: (roles.index(m.role), m.commune.name))
        return [{"commune": m.commune, "role": m.role} for m in members] + [{"role": Membership.Role.CO_SUPPORTER}]

    def clean(self):
        cleaned = super().clean()
        if not self.member_rows.is_valid():
            self.add_error(
                None,
                ValidationError(_("Kiểm tra lại các đơn vị tham gia được đánh dấu bên dưới."), code="member_rows"),
            )
        if cleaned.get("status") in UNSIGNED_STATUSES and cleaned.get("signed_on"):
            self.add_error(
                "signed_on",
                ValidationError(
                    _("Quan hệ chưa ký kết thì không có ngày ký: xóa ngày ký hoặc đổi trạng thái."),
                    code="unsigned_has_date",
                ),
            )
        changed_on = cleaned.get("members_changed_on")
        if changed_on and changed_on > timezone.localdate():
            self.add_error(
                "members_changed_on",
                ValidationError(_("Ngày thay đổi thành viên không được sau hôm nay."), code="future_member_change"),
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

    def members(self) -> list[tuple[Commune, str]]:
        """(unit, role) of every member, for services.create_partnership / update_partnership."""
        return self.member_rows.members()


def clean_programme_rules(form, cleaned: dict) -> None:
    """The rules of the programme a partnership must fit (issue 16): no duplicate of a live partnership,
    a signing date for every signed status and none in the future, and a supported unit that is
    mountainous, border or island, or else confirmed by city staff with a reason."""
    status, signed_on = cleaned.get("status"), cleaned.get("signed_on")
    # The reference data records some signings without their date (data/SOURCES.md): such a partnership
    # keeps its status on edit, or no other correction could be saved until someone finds the date.
    stored_undated = form.instance.pk and form.instance.status == status and form.instance.signed_on is None
    if (
        status
        and status not in UNSIGNED_STATUSES
        and not signed_on
        and not stored_undated
        and "signed_on" not in form.errors
    ):
        form.add_error(
            "signed_on",
            ValidationError(
                _("Quan hệ “%(status)s” cần có ngày ký kết.") % {"status": Partnership.Status(status).label},
                code="signed_needs_date",
            ),
        )
    if signed_on and signed_on > timezone.localdate():
        form.add_error("signed_on", ValidationError(_("Ngày ký kết không được sau hôm nay."), code="future_signing"))
    if not form.member_rows.is_valid():
        return
    members = form.member_rows.members()
    supported = next(commune for commune, role in members if role == Membership.Role.SUPPORTED)
    supporters = {commune.pk for commune, role in members if role != Membership.Role.SUPPORTED}
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
    supported_here = Membership.objects.on().filter(
        partnership=OuterRef("pk"), commune=supported, role=Membership.Role.SUPPORTED
    )
    candidates = (
        Partnership.objects.exclude(status=Partnership.Status.ENDED)
        .filter(Exists(supported_here))
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
        self.partnership = self.instance.partnership = partnership
        if self.is_bound:  # unbound, the unit is a text box with suggestions: nothing to scope yet
            self.fields["commune"].queryset = self.offered_units()
        self.fields["joined_on"].initial = timezone.localdate()

    def offered_units(self):
        """The units that may join: those not members today (one that left may join again)."""
        current = Membership.objects.on().filter(partnership=self.partnership, commune=OuterRef("pk"))
        return Commune.objects.exclude(Exists(current)).order_by_name()

    def current_members(self):
        return Membership.objects.on().filter(partnership=self.partnership)

    def clean_commune(self):
        commune = self.cleaned_data["commune"]
        if self.current_members().filter(commune=commune).exists():
            raise ValidationError(_("Đơn vị này đang là thành viên của quan hệ kết nghĩa."), code="duplicate_member")
        return commune

    def clean_joined_on(self):
        joined_on = self.cleaned_data["joined_on"]
        if joined_on and joined_on > timezone.localdate():
            raise ValidationError(_("Ngày tham gia không được sau hôm nay."), code="future_joining")
        return joined_on

    def clean(self):
        """A unit that left may join again, from the day it left at the earliest."""
        cleaned = super().clean()
        commune, joined_on = cleaned.get("commune"), cleaned.get("joined_on")
        if commune is None or "joined_on" in self.errors:
            return cleaned
        earlier = Membership.objects.filter(partnership=self.partnership, commune=commune, left_on__isnull=False)
        if joined_on is not None:
            earlier = earlier.filter(left_on__gt=joined_on)
        last = earlier.order_by("-left_on").first()
        if last is not None:
            self.add_error(
                "joined_on",
                ValidationError(
                    _("%(name)s là thành viên đến ngày %(left)s: chỉ tham gia lại được từ ngày đó trở đi."),
                    code="overlapping_period",
                    params={"name": commune.name, "left": last.left_on.strftime("%d/%m/%Y")},
                ),
            )
        return cleaned

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role == Membership.Role.LEAD_SUPPORTER and self.current_members().filter(role=role).exists():
            raise ValidationError(
                _("Quan hệ này đã có đơn vị hỗ trợ chính; hãy chọn “Cùng hỗ trợ”."), code="duplicate_lead"
            )
        return role


class MemberLeaveForm(forms.Form):
    """The day a supporting unit leaves, asked when it is taken out of a signed partnership."""

    left_on = forms.DateField(
        label=_("Rời đi từ ngày"),
        required=False,
        widget=DateInput(),
        help_text=_("Để trống là hôm nay. Quan hệ chưa từng ký kết thì đơn vị được bỏ hẳn."),
    )

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on and left_on > timezone.localdate():
            raise ValidationError(_("Ngày rời đi không được sau hôm nay."), code="future_leaving")
        return left_on


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
