"""Rows and uploads the commitments tests share: a current period, reports in each review state, files."""

import io

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from commitments import services
from commitments.models import Commitment, CommitmentAdjustment, ProgressUpdate, ReportingPeriod
from tests import factories


def current_period() -> ReportingPeriod:
    """The open Decree-09 quarter containing today, which submit_progress files reports in."""
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        for number in range(1, 5):
            start, end = ReportingPeriod.quarter_bounds(year, number, ReportingPeriod.Convention.DECREE_09)
            if start <= today <= end:
                return factories.period(year=year, number=number)
    raise AssertionError("no quarter contains today")


def image_bytes(kind: str = "PNG", size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def photo(name: str = "anh-ban-giao.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(), content_type="image/png")


def jpeg(name: str = "IMG_0001.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def pdf_bytes(*, javascript: bool = False) -> bytes:
    """A well-formed one-page PDF (pikepdf parses every upload); ``javascript`` adds an /OpenAction script."""
    document = pikepdf.new()
    document.add_blank_page()
    if javascript:
        document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf(name: str = "bien-ban.pdf", *, javascript: bool = False) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(javascript=javascript), content_type="application/pdf")


def exe_renamed_jpg(name: str = "anh.jpg") -> SimpleUploadedFile:
    body = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
    return SimpleUploadedFile(name, body, content_type="image/jpeg")


def submitted_update(world, **overrides) -> ProgressUpdate:
    """A report on world.commitment by its unit's officer, waiting for review."""
    current_period()
    values = {"narrative": "Đã bàn giao 1 căn nhà", "achieved_quantity": 1, "achieved_value_vnd": 80_000_000}
    values.update(overrides)
    return services.submit_progress(commitment=world.commitment, author=world.officer, **values)


def returned_update(world, reason: str = "Thiếu ảnh minh chứng.") -> ProgressUpdate:
    update = submitted_update(world)
    return services.return_progress(update=update, reviewer=world.city, reason=reason)


def verified_update(world) -> ProgressUpdate:
    return services.verify_progress(update=submitted_update(world), reviewer=world.city)


def update_with_photo(world) -> ProgressUpdate:
    return submitted_update(world, evidence_files=[photo()])


def pending_adjustment(world) -> CommitmentAdjustment:
    """The officer asks to move world.commitment's deadline a year later (or has asked already)."""
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    existing = CommitmentAdjustment.objects.pending().filter(commitment=commitment).first()
    if existing is not None:
        return existing
    commitment.due_on = commitment.due_on.replace(year=commitment.due_on.year + 1)
    services.save_commitment(commitment=commitment, editor=world.officer, reason="Chờ vốn ngân sách")
    return CommitmentAdjustment.objects.pending().get(commitment=commitment)
