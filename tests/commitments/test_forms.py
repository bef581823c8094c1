"""Form validation: Vietnamese messages with error codes, scoped choices, checked uploads."""

import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils.datastructures import MultiValueDict

from commitments.forms import MAX_EVIDENCE_FILES, CommitmentForm, ProgressForm, ReturnForm
from commitments.models import Commitment, Evidence
from tests import factories
from tests.commitments import fixtures


def codes(form, field):
    return [error.code for error in form.errors.as_data().get(field, [])]


class CommitmentFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()

    def form(self, user=None, **overrides):
        data = {
            "field": self.world.commitment.field_id,
            "title": "Trao học bổng",
            "owner": self.world.supporter.code,
            "horizon": Commitment.Horizon.IMMEDIATE,
            "support_form": Commitment.SupportForm.SCHOLARSHIP,
            "target_quantity": "40",
            "target_unit": "suất",
            "target_value_vnd": "",
            "start_on": "2025-09-01",
            "due_on": "2026-06-30",
        }
        data.update(overrides)
        return CommitmentForm(data, partnership=self.world.partnership, user=user or self.world.city)

    def test_valid_with_quantity_and_unit(self):
        form = self.form()
        self.assertIs(form.is_valid(), True, form.errors)

    def test_valid_with_value_only(self):
        self.assertIs(self.form(target_quantity="", target_unit="", target_value_vnd="5000000").is_valid(), True)

    def test_owner_choices_are_members_of_the_partnership(self):
        choices = set(self.form().fields["owner"].queryset.values_list("code", flat=True))
        self.assertEqual(choices, {self.world.supporter.code, self.world.supported.code})

    def test_outsider_owner_is_refused(self):
        form = self.form(owner=self.world.outsider.code)
        self.assertIs(form.is_valid(), False)
        self.assertEqual(codes(form, "owner"), ["invalid_choice"])

    def test_due_before_start(self):
        form = self.form(due_on="2025-08-31")
        self.assertIs(form.is_valid(), False)
        self.assertEqual(codes(form, "due_on"), ["due_before_start"])
        self.assertEqual(form.errors["due_on"], ["Hạn hoàn thành không được trước ngày bắt đầu."])

    def test_a_target_is_required(self):
        form = self.form(target_quantity="", target_unit="")
        self.assertIs(form.is_valid(), False)
        self.assertEqual(codes(form, "target_quantity"), ["target_required"])

    def test_quantity_needs_a_unit(self):
        form = self.form(target_unit=" ")
        self.assertEqual(codes(form, "target_unit"), ["unit_required"])

    def test_targets_must_be_positive(self):
        form = self.form(target_quantity="0", target_value_vnd="-5")
        self.assertEqual(codes(form, "target_quantity"), ["not_positive"])
        self.assertEqual(codes(form, "target_value_vnd"), ["not_positive"])

    def test_officer_cannot_change_the_owner(self):
        form = CommitmentForm(
            {
                **self.form().data,
                "owner": self.world.supported.code,
                "version": self.world.commitment.version,
                "reason": "Theo kế hoạch mới",  # the targets differ from the saved ones: a request
            },
            instance=self.world.commitment,
            partnership=self.world.partnership,
            user=self.world.officer,
        )
        self.assertIs(form.fields["owner"].disabled, True)
        self.assertIs(form.is_valid(), True, form.errors)
        self.assertEqual(form.cleaned_data["owner"], self.world.supporter)


class ProgressFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        fixtures.current_period()

    def form(self, files=(), commitment=None, instance=None, **overrides):
        data = {"achieved_quantity": "1", "narrative": "Đã bàn giao.", "client_token": str(uuid.uuid4())}
        if instance is not None:
            data["version"] = instance.version  # the hidden optimistic-locking field of an edit
        data.update(overrides)
        return ProgressForm(
            data,
            MultiValueDict({"evidence": list(files)}),
            commitment=commitment or self.world.commitment,
            instance=instance,
        )

    def test_unbound_form_carries_a_fresh_token(self):
        first = ProgressForm(commitment=self.world.commitment)
        second = ProgressForm(commitment=self.world.commitment)
        self.assertNotEqual(first.initial["client_token"], second.initial["client_token"])

    def test_quantity_label_names_the_unit_and_disappears_without_a_quantity_target(self):
        self.assertIn("căn nhà", str(ProgressForm(commitment=self.world.commitment).fields["achieved_quantity"].label))
        cash = factories.commitment(
            partnership=self.world.partnership, target_quantity=None, target_unit="", target_value_vnd=10
        )
        self.assertNotIn("achieved_quantity", ProgressForm(commitment=cash).fields)

    def test_several_real_files_are_accepted(self):
        form = self.form(files=[fixtures.jpeg(), fixtures.photo(), fixtures.pdf()])
        self.assertIs(form.is_valid(), True, form.errors)
        self.assertEqual(len(form.cleaned_data["evidence"]), 3)

    def test_exe_renamed_jpg_is_refused(self):
        form = self.form(files=[fixtures.exe_renamed_jpg()])
        self.assertIs(form.is_valid(), False)
        self.assertIn("không phải ảnh JPEG, PNG hoặc tệp PDF", form.errors["evidence"][0])
        self.assertIs(form.files_to_choose_again, True)

    def test_pdf_with_javascript_is_refused(self):
        form = self.form(files=[fixtures.pdf(javascript=True)])
        self.assertIs(form.is_valid(), False)
        self.assertIn("chứa mã lệnh", form.errors["evidence"][0])

    def test_at_most_ten_files(self):
        form = self.form(files=[fixtures.photo(f"{index}.png") for index in range(MAX_EVIDENCE_FILES + 1)])
        self.assertEqual(codes(form, "evidence"), ["too_many"])

    def test_broken_image_is_refused(self):
        broken = SimpleUploadedFile("anh.png", fixtures.image_bytes()[:40], content_type="image/png")
        self.assertIs(self.form(files=[broken]).is_valid(), False)

    def test_a_result_is_required_and_cannot_be_negative(self):
        form = self.form(achieved_quantity="")
        self.assertEqual(codes(form, "achieved_quantity"), ["result_required"])
        form = self.form(achieved_quantity="-1")
        self.assertEqual(codes(form, "achieved_quantity"), ["min_value"])
        self.assertEqual(form.errors["achieved_quantity"], ["Kết quả không được âm."])

    def test_narrative_is_required(self):
        self.assertEqual(codes(self.form(narrative=""), "narrative"), ["required"])

    def test_resubmission_counts_kept_files_against_the_limit(self):
        update = fixtures.returned_update(self.world)
        for index in range(MAX_EVIDENCE_FILES):
            Evidence.objects.create(update=update, kind="photo", file=f"{index}.png", sha256="0" * 64)
        form = self.form(instance=update, files=[fixtures.photo()])
        self.assertEqual(codes(form, "evidence"), ["too_many"])
        removed = update.evidence.first()
        form = self.form(instance=update, files=[fixtures.photo()], remove_evidence=[str(removed.pk)])
        self.assertIs(form.is_valid(), True, form.errors)

    def test_remove_choices_are_the_updates_own_files(self):
        update = fixtures.returned_update(self.world)
        other = fixtures.update_with_photo(self.world).evidence.get()
        form = self.form(instance=update, remove_evidence=[str(other.pk)])
        self.assertEqual(codes(form, "remove_evidence"), ["invalid_choice"])


class ReturnFormTests(TestCase):
    def test_reason_is_required_in_vietnamese(self):
        form = ReturnForm({"reason": "   "})
        self.assertIs(form.is_valid(), False)
        self.assertEqual(form.errors["reason"], ["Vui lòng nêu lý do trả lại."])
