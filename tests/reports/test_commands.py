"""generate_report: period and scope from the command line, the PDF path printed."""

import io
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from reports.models import Report
from tests.reports.programme import Programme


class GenerateReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_sync_renders_and_prints_the_output_path(self):
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "bao-cao.pdf"
            out = io.StringIO()
            scope = f"partnership:{self.programme.world.partnership.pk}"
            call_command(
                "generate_report",
                "--period",
                "2025-Q4",
                "--scope",
                scope,
                "--sync",
                "--output",
                str(target),
                stdout=out,
            )
            self.assertEqual(out.getvalue().strip(), str(target))
            self.assertTrue(target.read_bytes().startswith(b"%PDF-"))
        report = Report.objects.get()
        self.assertEqual((report.kind, report.status, report.requested_by), ("partnership", "done", None))

    def test_without_output_it_prints_the_stored_file(self):
        out = io.StringIO()
        call_command(
            "generate_report",
            "--period",
            "2025-Q4",
            "--scope",
            f"unit:{self.programme.world.outsider.code}",
            "--sync",
            stdout=out,
        )
        self.assertEqual(out.getvalue().strip(), Report.objects.get().pdf.path)

    def test_bad_arguments_are_refused_in_vietnamese(self):
        for args, message in (
            (["--period", "2025-Q9"], "Kỳ báo cáo phải có dạng"),
            (["--period", "2025-Q4", "--scope", "province:1"], "Phạm vi phải là"),
            (["--period", "2025-Q4", "--scope", "unit:99999"], "Không có đơn vị"),
            (["--period", "2025-Q4", "--scope", "partnership:999999"], "Không có quan hệ"),
        ):
            with self.subTest(args=args), pytest.raises(CommandError, match=message):
                call_command("generate_report", *args, "--sync")
