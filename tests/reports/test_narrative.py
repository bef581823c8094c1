"""The report's text (issue 17): drafted by the portal, edited by city staff, every version kept, frozen
when the report is issued; the Word version; the signed and stamped copy kept with its number and hash."""

import hashlib
import io
import re
from unittest import mock

import docx
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.test import TestCase
from django.urls import reverse

from reports.figures import CityFigures
from reports.models import Report, ReportNarrative, SignedCopy
from reports.services import finalise_report, regenerate_report, report_scope, run_report, save_narrative
from tests.reports.pdftools import text_of
from tests.reports.programme import Programme
from tests.signin import sign_in

PUBLISH = "reports.services.render_report_task.apply_async"
PUBLISH_WORKBOOK = "reports.services.build_workbook_task.apply_async"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<<>>>>endobj\nxref\n0 4\n"
    b"0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n178\n%%EOF\n"
)


class RenderedReport(TestCase):
    """A partnership report rendered once (its text drafted by the portal)."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.world = cls.programme.world
        report = Report.objects.create(
            period=cls.programme.q4, kind=Report.Kind.PARTNERSHIP, partnership=cls.world.partnership
        )
        with mock.patch(PUBLISH_WORKBOOK):
            run_report(report_id=report.pk)
        cls.report = Report.objects.get(pk=report.pk)

    def render_again(self, report: Report) -> Report:
        with mock.patch(PUBLISH_WORKBOOK):
            run_report(report_id=report.pk)
        return Report.objects.get(pk=report.pk)


class NarrativeTests(RenderedReport):
    def test_the_portal_draft_is_the_first_version_and_is_printed(self):
        report = self.render_again(Report.objects.filter(pk=self.report.pk).update(status="queued") and self.report)
        versions = list(report.narratives.all())
        self.assertEqual(len(versions), 1)  # rendering again adds no version
        self.assertIsNone(versions[0].saved_by)
        self.assertIn("opening", versions[0].sections)
        text = text_of(report.pdf.read())
        self.assertIn(versions[0].sections["opening"][:60], text)

    def test_an_edit_is_kept_with_its_author_and_printed_after_rendering_again(self):
        sections = self.report.narratives.first().sections | {"proposals": "- Đề nghị hỗ trợ xe cứu thương."}
        with mock.patch(PUBLISH) as publish, self.captureOnCommitCallbacks(execute=True):
            save_narrative(report=self.report, sections=sections, saved_by=self.world.city)
        publish.assert_called_once()
        report = Report.objects.get(pk=self.report.pk)
        self.assertEqual(report.status, Report.Status.QUEUED)
        report = self.render_again(report)
        self.assertEqual(report.status, Report.Status.DONE)
        self.assertEqual([v.saved_by for v in report.narratives.all()], [self.world.city, None])
        self.assertIn("Đề nghị hỗ trợ xe cứu thương.", text_of(report.pdf.read()))

    def test_versions_are_never_changed(self):
        with self.assertRaises(DatabaseError), transaction.atomic():
            ReportNarrative.objects.filter(report=self.report).update(sections={})

    def test_issuing_freezes_the_text(self):
        with mock.patch(PUBLISH), self.captureOnCommitCallbacks(execute=True):
            final = finalise_report(
                report=self.report,
                finalised_by=self.world.city,
                next_tasks="- Hoàn thành căn nhà thứ hai.",
                signer_title="PHÓ BÍ THƯ",
                signer_name="Nguyễn Văn A",
            )
        self.assertEqual(final.narratives.first().sections["next_tasks"], "- Hoàn thành căn nhà thứ hai.")
        final = self.render_again(final)
        self.assertIn("Hoàn thành căn nhà thứ hai.", text_of(final.pdf.read()))
        with self.assertRaises(ValidationError):
            save_narrative(report=final, sections={"opening": "x"}, saved_by=self.world.city)

    def test_a_new_version_keeps_what_people_wrote(self):
        sections = self.report.narratives.first().sections | {"assessment": "Đánh giá do Văn phòng viết."}
        with mock.patch(PUBLISH), self.captureOnCommitCallbacks(execute=True):
            save_narrative(report=self.report, sections=sections, saved_by=self.world.city)
            self.render_again(Report.objects.get(pk=self.report.pk))
            new = regenerate_report(report=Report.objects.get(pk=self.report.pk), requested_by=self.world.city)
        self.assertEqual(new.narratives.first().sections["assessment"], "Đánh giá do Văn phòng viết.")


class NarrativePageTests(RenderedReport):
    def test_city_staff_edit_the_text_in_the_portal(self):
        sign_in(self.client, self.world.city)
        url = reverse("reports:report_narrative", args=[self.report.pk])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Thực hiện Nghị quyết")  # the draft, ready to edit
        data = {key: value for key, value in self.report.narratives.first().sections.items()}
        data["opening"] = ""
        data["assessment"] = "Giữ nguyên chữ đã gõ."
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)  # a required section was emptied
        self.assertContains(response, "Giữ nguyên chữ đã gõ.")  # nothing typed is lost
        self.assertContains(response, "bắt buộc")
        data["opening"] = "Thực hiện Nghị quyết số 02-NQ/TU, Ban Thường vụ Thành ủy báo cáo như sau:"
        with mock.patch(PUBLISH):
            response = self.client.post(url, data)
        self.assertRedirects(response, self.report.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(self.report.narratives.first().saved_by, self.world.city)

    def test_the_page_edits_the_kept_text_without_building_the_figures_again(self):
        """Rendering kept the portal's draft, written from the report's figures: the page reads it."""
        edited = self.report.narratives.first().sections | {"assessment": "Đánh giá đã sửa."}
        ReportNarrative.objects.create(report=self.report, sections=edited, saved_by=self.world.city)
        sign_in(self.client, self.world.city)
        url = reverse("reports:report_narrative", args=[self.report.pk])
        with mock.patch("reports.views.CityFigures.build", side_effect=AssertionError("figures rebuilt")):
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertEqual(form["assessment"].initial, "Đánh giá đã sửa.")
        figures = CityFigures.build(self.report.data, report_scope(self.report))
        self.assertTrue(figures.fields)
        self.assertEqual(
            [form[key].label for key in form.fields if key.startswith("field:")],
            [f"I.2. Lĩnh vực: {field.name}" for field in figures.fields],
        )
        self.assertContains(response, f"Lĩnh vực: {self.programme.housing.name}")

    def test_a_new_version_without_a_draft_of_its_own_builds_its_figures(self):
        sections = self.report.narratives.first().sections
        ReportNarrative.objects.create(report=self.report, sections=sections, saved_by=self.world.city)
        with mock.patch(PUBLISH), self.captureOnCommitCallbacks(execute=True):
            new = regenerate_report(report=self.report, requested_by=self.world.city)
            new = self.render_again(new)
        self.assertFalse(new.narratives.filter(saved_by__isnull=True).exists())
        sign_in(self.client, self.world.city)
        with mock.patch("reports.views.CityFigures.build", wraps=CityFigures.build) as build:
            response = self.client.get(reverse("reports:report_narrative", args=[new.pk]))
        self.assertEqual(response.status_code, 200)
        build.assert_called_once()
        self.assertContains(response, f"Lĩnh vực: {self.programme.housing.name}")

    def test_leadership_reads_but_does_not_edit(self):
        sign_in(self.client, self.world.leader)
        self.assertEqual(self.client.get(reverse("reports:report_narrative", args=[self.report.pk])).status_code, 403)
        response = self.client.get(reverse("reports:report_docx", args=[self.report.pk]))
        self.assertEqual(response.status_code, 200)

    def test_the_word_version_has_the_same_text_and_layout(self):
        sign_in(self.client, self.world.leader)
        response = self.client.get(reverse("reports:report_docx", args=[self.report.pk]))
        self.assertIn("attachment", response["Content-Disposition"])
        document = docx.Document(io.BytesIO(response.content))
        text = "\n".join(p.text for p in document.paragraphs)
        for heading in (
            "BÁO CÁO",
            "I. KẾT QUẢ THỰC HIỆN",
            "II. HẠN CHẾ, TỒN TẠI VÀ NGUYÊN NHÂN",
            "IV. ĐỀ XUẤT, KIẾN NGHỊ",
        ):
            self.assertIn(heading, text)
        self.assertIn(self.report.narratives.first().sections["opening"], text)
        first = document.sections[0]
        self.assertEqual((round(first.left_margin.mm), round(first.right_margin.mm)), (30, 15))
        self.assertEqual((round(first.top_margin.mm), round(first.bottom_margin.mm)), (20, 20))
        self.assertTrue(first.different_first_page_header_footer)  # no number on page 1
        self.assertIn("PAGE", first.header._element.xml)
        self.assertTrue(any(s.page_width > s.page_height for s in document.sections[1:]))  # landscape appendix
        for appendix in document.sections[1:]:
            self.assertFalse(appendix.different_first_page_header_footer)  # numbered from its first page
        # Every appendix of the PDF, under the same number (the text refers to them by number).
        appendices = [p.text for p in document.paragraphs if p.text.startswith("PHỤ LỤC ")]
        self.assertEqual(appendices, re.findall(r"PHỤ LỤC \d+", text_of(self.report.pdf.read())))
        self.assertGreaterEqual(len(appendices), 3)
        self.assertIn("<w:pBdr>", document.element.body.xml)  # the short rule under the summary line
        self.assertEqual(document.styles["Normal"].font.name, "Times New Roman")
        self.assertEqual(document.styles["Normal"].font.size.pt, 14)
        heading = document.tables[0]
        self.assertIn("THÀNH ỦY ĐÀ NẴNG", heading.cell(0, 0).text)
        self.assertIn("ĐẢNG CỘNG SẢN VIỆT NAM", heading.cell(0, 1).text)
        ending = [t for t in document.tables if "Nơi nhận:" in t.cell(0, 0).text]
        self.assertEqual(len(ending), 1)
        self.assertIn("T/M BAN THƯỜNG VỤ", ending[0].cell(0, 1).text)


class SignedCopyTests(RenderedReport):
    def issue(self) -> Report:
        with mock.patch(PUBLISH), self.captureOnCommitCallbacks(execute=True):
            final = finalise_report(
                report=self.report, finalised_by=self.world.city, next_tasks="x", signer_title="x", signer_name="y"
            )
        return self.render_again(final)

    def test_the_signed_scan_is_kept_with_number_and_hash_and_leadership_sees_it_first(self):
        url = reverse("reports:report_signed_upload", args=[self.report.pk])
        sign_in(self.client, self.world.city)
        response = self.client.post(url, {"file": SimpleUploadedFile("ban-ky.pdf", PDF, "application/pdf")})
        self.assertEqual(response.status_code, 200)  # a draft has nothing to sign yet
        self.assertFalse(SignedCopy.objects.exists())
        final = self.issue()
        response = self.client.post(
            url, {"file": SimpleUploadedFile("anh.pdf", b"\x89PNG\r\n\x1a\n0000", "application/pdf")}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(SignedCopy.objects.exists())  # not a PDF: refused with a message
        response = self.client.post(url, {"file": SimpleUploadedFile("ban-ky.pdf", PDF, "application/pdf")})
        self.assertRedirects(response, final.get_absolute_url(), fetch_redirect_response=False)
        copy = SignedCopy.objects.get()
        self.assertEqual(copy.number_label, final.number_label)
        self.assertEqual(copy.sha256, hashlib.sha256(copy.file.read()).hexdigest())
        with self.assertRaises(DatabaseError), transaction.atomic():
            SignedCopy.objects.filter(pk=copy.pk).update(sha256="0" * 64)
        sign_in(self.client, self.world.leader)
        page = self.client.get(final.get_absolute_url()).content.decode()
        self.assertLess(page.index(reverse("reports:report_signed", args=[final.pk])), page.index("Xem bản PDF"))
        response = self.client.get(reverse("reports:report_signed", args=[final.pk]))
        self.assertEqual(response.status_code, 200)
