"""Form validation: Vietnamese messages on the right field, error codes, uploads checked by content."""

import datetime
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import timezone

from partnerships import services
from partnerships.forms import (
    ADD_MEMBER_ROW,
    MAX_MEMBER_ROWS,
    ActivityForm,
    DocumentForm,
    MembershipForm,
    PartnershipForm,
)
from partnerships.models import Membership, Partnership
from partnerships.reference_data import load_legal_bases
from tests import factories
from tests.partnerships.member_rows import CO, LEAD, SUPPORTED, member_rows
from tests.partnerships.routes import PDF, png_bytes

pytestmark = pytest.mark.django_db


def partnership_data(world, *rows, **overrides):
    """A signed partnership; its members are ``rows`` (default: Trà Tân supported, Sơn Trà leading)."""
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
        **member_rows(*(rows or [(world.supported, SUPPORTED), (world.outsider, LEAD)])),
    }
    data.update(overrides)
    return data


def codes(form, field) -> list[str]:
    return [error.code for error in form.errors.as_data().get(field, [])]


def row_codes(form, index, field) -> list[str]:
    return [error.code for error in form.member_rows.forms[index].errors.as_data().get(field, [])]


class TestPartnershipForm:
    def test_valid_member_rows(self, world):
        form = PartnershipForm(
            partnership_data(world, (world.supported, SUPPORTED), (world.outsider, LEAD), (world.supporter, CO))
        )

        assert form.is_valid(), (form.errors, form.member_rows.errors)
        assert form.members() == [(world.supported, SUPPORTED), (world.outsider, LEAD), (world.supporter, CO)]

    def test_a_three_way_partnership_needs_no_lead(self, world):
        form = PartnershipForm(
            partnership_data(world, (world.supported, SUPPORTED), (world.outsider, CO), (world.supporter, CO))
        )

        assert form.is_valid(), (form.errors, form.member_rows.errors)
        assert [role for _unit, role in form.members()] == [SUPPORTED, CO, CO]

    def test_units_are_typed_by_name_without_accents(self, world):
        form = PartnershipForm(partnership_data(world, ("tra tan", SUPPORTED), ("Phường Sơn Trà", LEAD)))

        assert form.is_valid(), (form.errors, form.member_rows.errors)
        assert form.members() == [(world.supported, SUPPORTED), (world.outsider, LEAD)]

    def test_the_same_unit_twice_is_refused_on_the_second_row(self, world):
        form = PartnershipForm(
            partnership_data(world, (world.supported, SUPPORTED), (world.outsider, LEAD), (world.outsider, CO))
        )

        assert not form.is_valid()
        assert row_codes(form, 2, "commune") == ["duplicate_member"]
        assert form.member_rows.forms[2].errors["commune"] == ["Sơn Trà đã có ở dòng 2: mỗi đơn vị chỉ chọn một lần."]
        assert row_codes(form, 1, "commune") == []
        assert codes(form, "__all__") == ["member_rows"]

    def test_the_supported_unit_cannot_also_support(self, world):
        form = PartnershipForm(
            partnership_data(world, (world.supported, SUPPORTED), (world.outsider, LEAD), (world.supported, CO))
        )

        assert not form.is_valid()
        assert row_codes(form, 2, "commune") == ["duplicate_member"]

    def test_one_supported_unit_and_one_lead_at_most(self, world):
        form = PartnershipForm(
            partnership_data(
                world,
                (world.supported, SUPPORTED),
                (world.outsider, SUPPORTED),
                (world.supporter, LEAD),
                (factories.commune(name="Thanh Khê"), LEAD),
            )
        )

        assert not form.is_valid()
        assert row_codes(form, 1, "role") == ["second_supported"]
        assert row_codes(form, 3, "role") == ["second_lead_supporter"]
        assert "dòng 3" in form.member_rows.forms[3].errors["role"][0]

    def test_a_supported_unit_and_a_supporter_are_required(self, world):
        no_supported = PartnershipForm(partnership_data(world, (world.supported, CO), (world.outsider, LEAD)))
        no_supporter = PartnershipForm(partnership_data(world, (world.supported, SUPPORTED), ("", LEAD)))

        assert not no_supported.is_valid()
        assert [e.code for e in no_supported.member_rows.non_form_errors().as_data()] == ["no_supported"]
        assert not no_supporter.is_valid()
        assert [e.code for e in no_supporter.member_rows.non_form_errors().as_data()] == ["no_supporter"]

    def test_blank_and_removed_rows_are_left_out(self, world):
        form = PartnershipForm(
            partnership_data(
                world, (world.supported, SUPPORTED), ("", CO), (world.outsider, LEAD), (world.supporter, CO, True)
            )
        )

        assert form.is_valid(), (form.errors, form.member_rows.errors)
        assert form.members() == [(world.supported, SUPPORTED), (world.outsider, LEAD)]

    def test_an_unknown_unit_is_refused_beside_its_row_and_kept_as_typed(self, world):
        form = PartnershipForm(partnership_data(world, ("Không có xã này", SUPPORTED), (world.outsider, LEAD)))

        assert not form.is_valid()
        assert row_codes(form, 0, "commune") == ["no_match"]
        assert not form.member_rows.non_form_errors()  # "no supported unit" waits until the typo is fixed
        assert 'value="Không có xã này"' in str(form.member_rows.forms[0]["commune"])

    def test_too_many_rows_are_refused(self, world):
        rows = [(world.supported, SUPPORTED)] + [("", CO)] * MAX_MEMBER_ROWS

        form = PartnershipForm(partnership_data(world, *rows))

        assert not form.is_valid()
        assert form.member_rows.non_form_errors() == ["Một quan hệ kết nghĩa có nhiều nhất 20 dòng đơn vị."]

    def test_rows_sent_without_their_count_are_refused_in_vietnamese(self, world):
        data = {key: value for key, value in partnership_data(world).items() if "FORMS" not in key}

        form = PartnershipForm(data)

        assert not form.is_valid()
        assert "Vui lòng tải lại trang" in form.member_rows.non_form_errors()[0]

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

    def test_new_form_offers_a_blank_row_per_role(self):
        form = PartnershipForm()

        assert [row["role"].value() for row in form.member_rows] == [SUPPORTED, LEAD, CO]
        assert [row["commune"].value() for row in form.member_rows] == [None, None, None]

    def test_edit_form_starts_from_the_current_members_and_a_blank_row(self, world):
        extra = factories.commune(name="An Khê")
        Membership.objects.create(partnership=world.partnership, commune=extra, role=CO)
        form = PartnershipForm(instance=Partnership.objects.with_member_names().get(pk=world.partnership.pk))

        rows = [(row["commune"].value(), row["role"].value()) for row in form.member_rows]
        assert rows == [
            (f"{world.supported} ({world.supported.code})", SUPPORTED),
            (f"{world.supporter} ({world.supporter.code})", LEAD),
            (f"{extra} ({extra.code})", CO),
            (None, CO),
        ]

    def test_another_row_comes_back_unchecked_with_everything_typed(self, world):
        data = partnership_data(world, ("tra tan", SUPPORTED), ("Không có xã này", CO), signed_place="Nhà văn hóa")
        data[ADD_MEMBER_ROW] = "1"

        form = PartnershipForm(QueryDict(urlencode(data)))

        assert not form.is_bound and not form.is_valid() and not form.errors
        rows = [(row["commune"].value(), row["role"].value()) for row in form.member_rows]
        assert rows == [("tra tan", SUPPORTED), ("Không có xã này", CO), (None, CO)]
        assert form["signed_place"].value() == "Nhà văn hóa"
        assert "autofocus" in str(form.member_rows.forms[2]["commune"])


class TestMembershipForm:
    def test_existing_member_is_not_offered(self, world):
        form = MembershipForm(partnership=world.partnership)

        offered = set(form.offered_units().values_list("pk", flat=True))
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


class TestMembershipFormAfterLeaving:
    def left(self, world, left_on=datetime.date(2026, 2, 1)):
        """Sơn Trà was a co-supporter of world.partnership until ``left_on``."""
        membership = Membership(partnership=world.partnership, commune=world.outsider, role=CO)
        services.add_member(membership=membership, user=world.city)
        services.remove_member(membership=membership, user=world.city, left_on=left_on)

    def data(self, world, joined_on):
        return {"commune": world.outsider.pk, "role": CO, "joined_on": joined_on}

    def test_a_unit_that_left_is_offered_again(self, world):
        self.left(world)

        offered = MembershipForm(partnership=world.partnership).offered_units()
        assert offered.filter(pk=world.outsider.pk).exists()

    def test_joining_again_inside_the_former_period_is_refused_beside_the_date(self, world):
        self.left(world)

        form = MembershipForm(self.data(world, "2026-01-31"), partnership=world.partnership)

        assert not form.is_valid()
        assert codes(form, "joined_on") == ["overlapping_period"]
        assert "01/02/2026" in form.errors["joined_on"][0]

    def test_joining_again_without_a_date_overlaps_the_former_period(self, world):
        self.left(world)

        form = MembershipForm(self.data(world, ""), partnership=world.partnership)

        assert codes(form, "joined_on") == ["overlapping_period"]

    def test_joining_again_from_the_day_it_left_is_accepted(self, world):
        self.left(world)

        assert MembershipForm(self.data(world, "2026-02-01"), partnership=world.partnership).is_valid()

    def test_a_joining_day_in_the_future_is_refused(self, world):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)

        form = MembershipForm(self.data(world, tomorrow.isoformat()), partnership=world.partnership)

        assert codes(form, "joined_on") == ["future_joining"]


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
