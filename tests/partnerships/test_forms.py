"""Form validation: Vietnamese messages on the right field, error codes, uploads checked by content."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partnerships.forms import ActivityForm, DocumentForm, MembershipForm, PartnershipForm
from partnerships.models import Membership, Partnership
from partnerships.reference_data import load_legal_bases
from tests import factories
from tests.partnerships.routes import PDF, png_bytes

pytestmark = pytest.mark.django_db


def partnership_data(world, **overrides):
    basis = factories.legal_basis()
    data = {
        "title": "",
        "status": Partnership.Status.SIGNED,
        "legal_basis": basis.pk,
        "assigning_document": "",
        "signed_on": "2025-09-05",
        "signed_place": "Trụ sở Đảng ủy xã",
        "term_start": "",
        "term_end": "",
        "summary": "",
        "source": "",
        "supported": world.supported.pk,
        "lead_supporter": world.outsider.pk,
        "co_supporters": [],
    }
    data.update(overrides)
    return data


def codes(form, field) -> list[str]:
    return [error.code for error in form.errors.as_data().get(field, [])]


class TestPartnershipForm:
    def test_valid_member_choice(self, world):
        form = PartnershipForm(partnership_data(world, co_supporters=[world.supporter.pk]))

        assert form.is_valid(), form.errors
        assert form.members()["co_supporters"] == [world.supporter]

    def test_supported_unit_cannot_also_lead(self, world):
        form = PartnershipForm(partnership_data(world, lead_supporter=world.supported.pk))

        assert not form.is_valid()
        assert codes(form, "lead_supporter") == ["duplicate_member"]
        assert "trùng" in form.errors["lead_supporter"][0]

    def test_a_unit_is_chosen_once(self, world):
        form = PartnershipForm(partnership_data(world, co_supporters=[world.outsider.pk]))

        assert not form.is_valid()
        assert codes(form, "co_supporters") == ["duplicate_member"]
        assert "Sơn Trà" in form.errors["co_supporters"][0]

    def test_supported_and_lead_are_required(self, world):
        form = PartnershipForm(partnership_data(world, supported="", lead_supporter=""))

        assert not form.is_valid()
        assert codes(form, "supported") == ["required"]
        assert codes(form, "lead_supporter") == ["required"]
        assert form.errors["supported"] == ["Trường này là bắt buộc."]

    def test_unsigned_partnership_has_no_signing_date(self, world):
        form = PartnershipForm(partnership_data(world, status=Partnership.Status.ASSIGNED))

        assert not form.is_valid()
        assert codes(form, "signed_on") == ["unsigned_has_date"]
        assert not form.non_field_errors()  # the database rule is not reported twice

    def test_term_must_end_after_it_starts(self, world):
        form = PartnershipForm(partnership_data(world, term_start="2026-01-01", term_end="2025-12-31"))

        assert not form.is_valid()
        assert codes(form, "term_end") == ["term_ends_before_start"]

    def test_new_form_proposes_the_resolution_and_the_assigning_letter(self):
        load_legal_bases()
        form = PartnershipForm()

        assert form.fields["legal_basis"].initial.number == "02-NQ/TU"
        assert form.fields["assigning_document"].initial.number == "389-CV/TU"

    def test_edit_form_starts_from_the_current_members(self, world):
        form = PartnershipForm(instance=Partnership.objects.with_member_names().get(pk=world.partnership.pk))

        assert form.initial["supported"] == world.supported.pk
        assert form.initial["lead_supporter"] == world.supporter.pk
        assert "co_supporters" not in form.initial


class TestMembershipForm:
    def test_existing_member_is_not_offered(self, world):
        form = MembershipForm(partnership=world.partnership)

        offered = set(form.fields["commune"].queryset.values_list("pk", flat=True))
        assert world.supporter.pk not in offered
        assert world.outsider.pk in offered

    def test_second_lead_supporter_is_refused(self, world):
        form = MembershipForm(
            {"commune": world.outsider.pk, "role": Membership.Role.LEAD_SUPPORTER, "joined_on": ""},
            partnership=world.partnership,
        )

        assert not form.is_valid()
        assert codes(form, "role") == ["duplicate_lead"]

    def test_co_supporter_is_accepted(self, world):
        form = MembershipForm(
            {"commune": world.outsider.pk, "role": Membership.Role.CO_SUPPORTER, "joined_on": "2025-10-01"},
            partnership=world.partnership,
        )

        assert form.is_valid(), form.errors

    def test_supported_role_is_not_a_choice(self, world):
        form = MembershipForm(
            {"commune": world.outsider.pk, "role": Membership.Role.SUPPORTED}, partnership=world.partnership
        )

        assert not form.is_valid()
        assert codes(form, "role") == ["invalid_choice"]


def document_data():
    return {"kind": "memorandum", "title": "Biên bản kết nghĩa", "number": "01-BB", "issuer": "", "issued_on": ""}


class TestDocumentForm:
    def test_pdf_is_accepted(self, world):
        form = DocumentForm(document_data(), {"file": SimpleUploadedFile("bb.pdf", PDF)})
        assert form.is_valid(), form.errors

    def test_a_renamed_text_file_is_refused_in_vietnamese(self, world):
        form = DocumentForm(document_data(), {"file": SimpleUploadedFile("bb.pdf", b"<script>alert(1)</script>")})

        assert not form.is_valid()
        assert "không phải" in form.errors["file"][0]
        assert form["title"].value() == "Biên bản kết nghĩa"  # what was typed is kept

    def test_pdf_with_javascript_is_refused(self, world):
        evil = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</JS(app.alert(1))>>")
        form = DocumentForm(document_data(), {"file": SimpleUploadedFile("bb.pdf", evil)})

        assert not form.is_valid()
        assert "mã lệnh" in form.errors["file"][0]


def activity_data(**overrides):
    data = {
        "kind": "handover",
        "occurred_on": "2025-10-01",
        "title": "Trao tặng 500 suất quà",
        "description": "",
        "participants": "Đoàn công tác phường Hòa Cường",
        "participant_count": "12",
        "value_vnd": "50.000.000",
    }
    data.update(overrides)
    return data


class TestActivityForm:
    def test_value_accepts_vietnamese_thousands_separators(self):
        form = ActivityForm(activity_data())

        assert form.is_valid(), form.errors
        assert form.cleaned_data["value_vnd"] == 50_000_000
        assert form.cleaned_data["photos"] == []

    def test_negative_or_garbage_value_is_refused(self):
        assert ActivityForm(activity_data(value_vnd="-5")).errors["value_vnd"] == ["Số tiền không được âm."]
        garbage = ActivityForm(activity_data(value_vnd="năm triệu"))
        assert garbage.errors["value_vnd"] == ["Nhập số tiền bằng chữ số, ví dụ 50.000.000."]
        assert garbage["value_vnd"].value() == "năm triệu"

    def test_future_date_is_refused(self):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        form = ActivityForm(activity_data(occurred_on=tomorrow.isoformat()))

        assert not form.is_valid()
        assert codes(form, "occurred_on") == ["future_date"]

    def test_several_photos_are_accepted(self):
        photos = [SimpleUploadedFile(f"a{i}.png", png_bytes()) for i in range(3)]
        form = ActivityForm(activity_data(), {"photos": photos})

        assert form.is_valid(), form.errors
        assert len(form.cleaned_data["photos"]) == 3

    def test_a_pdf_is_not_a_photo(self):
        form = ActivityForm(activity_data(), {"photos": [SimpleUploadedFile("a.pdf", PDF)]})

        assert not form.is_valid()
        assert "ảnh JPEG hoặc PNG" in form.errors["photos"][0]

    def test_photo_input_opens_the_phone_camera(self):
        html = str(ActivityForm()["photos"])

        assert 'accept="image/*"' in html
        assert 'capture="environment"' in html
        assert "multiple" in html
