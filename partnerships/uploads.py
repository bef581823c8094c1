"""Uploaded evidence and documents: only real JPEG/PNG/PDF files get in, and images lose their metadata.

Extensions and browser-sent content types are not trusted: the bytes are sniffed, images are decoded
and re-encoded (which drops EXIF, including GPS, and anything appended to the file), and PDFs with
active content are refused.
"""

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

Image.MAX_IMAGE_PIXELS = 40_000_000  # larger is a decompression bomb, not a phone photo

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
PDF_TYPE = "application/pdf"
PDF_ACTIVE_CONTENT = re.compile(rb"/(JavaScript|JS|OpenAction|Launch|EmbeddedFile|RichMedia|XFA)\b")
MAX_IMAGE_SIDE = 2400  # phone photos are scaled down: evidence needs to be legible, not 12 MP


@dataclass(frozen=True)
class StoredUpload:
    content: ContentFile
    original_name: str
    size: int
    sha256: str
    is_pdf: bool


def sniff(upload) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind else None


def validate_upload(upload, *, allow_pdf: bool = True) -> None:
    """Raise a Vietnamese ValidationError unless ``upload`` is a genuine JPEG, PNG (or PDF)."""
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("Tệp “%(name)s” quá lớn (tối đa %(limit)s MB).")
            % {"name": upload.name, "limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    mime = sniff(upload)
    if mime in IMAGE_TYPES:
        try:
            with Image.open(upload) as image:
                image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(_("Ảnh “%(name)s” có kích thước quá lớn.") % {"name": upload.name}) from None
        except Exception:
            raise ValidationError(_("Ảnh “%(name)s” bị hỏng hoặc không đọc được.") % {"name": upload.name}) from None
        finally:
            upload.seek(0)
        return
    if mime == PDF_TYPE and allow_pdf:
        data = upload.read()
        upload.seek(0)
        if PDF_ACTIVE_CONTENT.search(data):
            raise ValidationError(
                _("Tệp PDF “%(name)s” chứa mã lệnh hoặc tệp nhúng, không được chấp nhận.") % {"name": upload.name}
            )
        return
    allowed = _("ảnh JPEG, PNG hoặc tệp PDF") if allow_pdf else _("ảnh JPEG hoặc PNG")
    raise ValidationError(_("Tệp “%(name)s” không phải %(allowed)s.") % {"name": upload.name, "allowed": allowed})


def stored_upload(upload) -> StoredUpload:
    """The bytes to store for a validated upload: images re-encoded without metadata, PDFs as they are."""
    mime = sniff(upload)
    original_name = PurePath(upload.name).name[:255]
    if mime in IMAGE_TYPES:
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            buffer = io.BytesIO()
            if mime == "image/jpeg":
                image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
            else:
                image.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
        suffix = IMAGE_TYPES[mime]
    else:
        upload.seek(0)
        data = upload.read()
        suffix = "pdf"
    upload.seek(0)
    return StoredUpload(
        content=ContentFile(data, name=f"upload.{suffix}"),
        original_name=original_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        is_pdf=mime == PDF_TYPE,
    )
