"""generate_report: period and scope from the command line, where the PDF is printed."""

import io
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings

from reports.models import Report
from tests.reports.programme import Programme


class ObjectStorage(Storage):
    """Like S3 (DJANGO_FILE_STORAGE=s3): files have names and contents, but no path on this machine."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def _save(self, name, content):
        self.files[name] = b"".join(content.chunks())
        return name

    def _open(self, name, mode="rb"):
        return ContentFile(self.files[name], name=name)

    def exists(self, name):
        return name in self.files

    def delete(self, name):
        self.files.pop(name, None)

    def size(self, name):
        return len(self.files[name])


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

    def test_a_storage_without_paths_names_the_file_and_still_copies_it(self):
        """With the S3 storage (DJANGO_FILE_STORAGE=s3) a stored file has no local path."""
        storages = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.ObjectStorage"}}
        scope = f"partnership:{self.programme.world.partnership.pk}"
        arguments = ["--period", "2025-Q4", "--scope", scope, "--sync"]
        with override_settings(STORAGES=storages):
            out = io.StringIO()
            call_command("generate_report", *arguments, stdout=out)
            report = Report.objects.get()
            self.assertEqual(out.getvalue().strip(), f"{report.pdf.name} (ObjectStorage)")
            self.assertTrue(default_storage.exists(report.pdf.name))
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / "ban-sao.pdf"
                out = io.StringIO()
                call_command("generate_report", *arguments, "--output", str(target), stdout=out)
                self.assertEqual(out.getvalue().strip(), str(target))
                self.assertTrue(target.read_bytes().startswith(b"%PDF-"))

    def test_bad_arguments_are_refused_in_vietnamese(self):
        for args, message in (
            (["--period", "2025-Q9"], "Kỳ báo cáo phải có dạng"),
            (["--period", "2025-Q4", "--scope", "province:1"], "Phạm vi phải là"),
            (["--period", "2025-Q4", "--scope", "unit:99999"], "Không có đơn vị"),
            (["--period", "2025-Q4", "--scope", "partnership:999999"], "Không có quan hệ"),
            (["--period", "2025-Q4", "--scope", "partnership:²"], "Phạm vi phải là"),
        ):
            with self.subTest(args=args), pytest.raises(CommandError, match=message):
                call_command("generate_report", *args, "--sync")
