"""Uploaded evidence and documents: only real JPEG/PNG/PDF files get in, and images lose their metadata.

Extensions and browser-sent content types are not trusted on their own: the bytes are sniffed and
the extension must agree with them; every file goes through the antivirus scanner
(partnerships.scanning); images are decoded under a pixel limit and re-encoded (which drops EXIF,
including GPS, and anything appended to the file, such as an HTML polyglot); PDFs are parsed with
pikepdf (qpdf) and refused when damaged, encrypted or carrying active content anywhere in their
object graph. ``validate_upload`` does all of it once, in the form; ``stored_upload`` hands the
result to the service that writes the row.
"""

import contextlib
import hashlib
import io
import logging
import math
import time
import unicodedata
import warnings
import zlib
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from core.logging import DENIED, security_event

from .scanning import ScanError, get_scanner

logger = logging.getLogger(__name__)

Image.MAX_IMAGE_PIXELS = 40_000_000  # larger is a decompression bomb, not a phone photo
# What decoding one image may allocate, in bytes (issue 21 item 1): pixels × the bytes Pillow keeps per
# pixel for the image's mode and bit depth. Pixels alone let a 154 KB PNG of 6300 × 6300 RGBA through
# (159 MB decoded). Images with an alpha channel count twice: scaling them down makes a premultiplied
# copy of the whole image. 36 MiB holds a 9 MP RGB PNG (a 4K screenshot) or a 4.7 MP RGBA one (2560 × 1600),
# a greyscale scan up to the pixel limit, and keeps an accepted image under 1 s of CPU and 100 MB of
# memory (tests/security/test_image_cost.py). JPEGs are measured after draft(), at the scale they are
# decoded at: any phone photo up to the pixel limit fits.
MAX_DECODED_BYTES = 36 * 1024 * 1024
# Pillow's storage per pixel: one byte for 1-bit, greyscale and palette images, two for 16-bit
# greyscale, four for everything else (RGB is stored padded to four bytes).
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}
# Above this, decoding waits for one of IMAGE_DECODE_SLOTS (decode_slot): a phone photo (drafted to about
# 2000 × 1500, 12 MB) costs a tenth of a second and needs none; a large PNG may cost close to a second.
HEAVY_DECODED_BYTES = 16 * 1024 * 1024

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
PDF_TYPE = "application/pdf"
# The extensions each sniffed type may carry; anything else ("photo.pdf" that is a PNG) is refused.
EXTENSIONS = {
    "image/jpeg": {".jpg", ".jpeg", ".jpe", ".jfif"},
    "image/png": {".png"},
    PDF_TYPE: {".pdf"},
}
TYPE_NAMES = {
    "image/jpeg": gettext_lazy("ảnh JPEG"),
    "image/png": gettext_lazy("ảnh PNG"),
    PDF_TYPE: gettext_lazy("tệp PDF"),
}
# PDF names that run code, act on opening, send or fetch data, open other files, or smuggle files,
# wherever they appear (key or value). /GoToR and /GoToE open another document, which may sit on a UNC
# path: a click then sends the reader's Windows credentials to that host. /SubmitForm and /ImportData
# send form data to, or read it from, any address.
PDF_ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
    }
)
# A /URI action may link to a web page or an e-mail address, nothing else (javascript:, file:, smb:…).
PDF_LINK_SCHEMES = ("http://", "https://", "mailto:")
PDF_MAX_OBJECTS = 200_000  # a scanned memorandum has hundreds; millions is an attack on the parser
PDF_MAX_DEPTH = 100
MAX_IMAGE_SIDE = 2400  # phone photos are scaled down: evidence needs to be legible, not 12 MP
MIN_DECODED_SIDE = 1800  # JPEGs are decoded at the smallest scale keeping at least this long side


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


def display_name(raw: str | None) -> str:
    """The name a person gave the file, fit to show and to send back in Content-Disposition: its last
    path part only, NFC (as Vietnamese text is stored everywhere else), without control or format
    characters (CR/LF, NUL, right-to-left overrides), at most 255 characters with its extension kept.
    Never used as a path."""
    name = unicodedata.normalize("NFC", PurePath((raw or "").replace("\\", "/")).name)
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    if len(name) > 255:  # shorten the stem, keep the extension the content is checked against
        suffix = PurePath(name).suffix[:16]
        name = name[: 255 - len(suffix)] + suffix
    return name


def validate_upload(upload, *, allow_pdf: bool = True) -> StoredUpload:
    """Raise a Vietnamese ValidationError unless ``upload`` is a genuine JPEG, PNG (or PDF).

    On success, return (and remember on the upload, for stored_upload) the bytes to store. Every
    refusal is one ``upload_rejected`` security event carrying the refusal's code.
    """
    try:
        return checked_upload(upload, allow_pdf=allow_pdf)
    except ValidationError as refusal:
        security_event(
            "upload_rejected",
            outcome=DENIED,
            reason=refusal.code,
            file_name=display_name(upload.name),
            size=upload.size,
        )
        raise


def checked_upload(upload, *, allow_pdf: bool) -> StoredUpload:
    name = display_name(upload.name)
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("Tệp “%(name)s” quá lớn (tối đa %(limit)s MB).")
            % {"name": name, "limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    mime = sniff(upload)
    allowed = {**IMAGE_TYPES, PDF_TYPE: "pdf"} if allow_pdf else IMAGE_TYPES
    if mime not in allowed:
        kinds = _("ảnh JPEG, PNG hoặc tệp PDF") if allow_pdf else _("ảnh JPEG hoặc PNG")
        raise ValidationError(
            _("Tệp “%(name)s” không phải %(allowed)s.") % {"name": name, "allowed": kinds}, code="wrong_type"
        )
    if PurePath(name).suffix.lower() not in EXTENSIONS[mime]:
        raise ValidationError(
            _("Tên tệp “%(name)s” không khớp với nội dung (%(kind)s). Hãy đặt đúng phần mở rộng rồi gửi lại.")
            % {"name": name, "kind": TYPE_NAMES[mime]},
            code="extension_mismatch",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    scan(data, name)
    if mime == PDF_TYPE:
        check_pdf(data, name)
    else:
        data = reencoded_image(data, mime, name)
    stored = StoredUpload(
        content=ContentFile(data, name=f"upload.{allowed[mime]}"),
        original_name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        is_pdf=mime == PDF_TYPE,
    )
    upload.portal_stored_upload = stored
    return stored


def stored_upload(upload) -> StoredUpload:
    """The bytes to store for a validated upload: images re-encoded without metadata, PDFs as they are."""
    stored = getattr(upload, "portal_stored_upload", None)
    return stored if stored is not None else validate_upload(upload)


def scan(data: bytes, name: str) -> None:
    """The antivirus verdict; no verdict (scanner down) refuses the file as well."""
    try:
        result = get_scanner().scan(data)
    except ScanError:
        logger.exception("antivirus scan failed for %r", name)  # the operator's log; the refusal is an event
        raise ValidationError(
            _("Chưa kiểm tra được virus cho tệp “%(name)s” nên chưa nhận tệp. Vui lòng thử lại sau.") % {"name": name},
            code="scan_failed",
        ) from None
    if not result.clean:
        raise ValidationError(
            _("Tệp “%(name)s” bị phần mềm diệt virus đánh dấu là nguy hiểm nên không được nhận.") % {"name": name},
            code="infected",
        )


def reencoded_image(data: bytes, mime: str, name: str) -> bytes:
    """Decode (within the pixel limit) and re-encode: no EXIF/GPS, nothing appended, orientation applied."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here both refuse, before decoding.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
                if image.format == "JPEG":
                    image.draft("RGB", jpeg_draft_size(image.size))  # decode at a reduced scale
                if decoded_bytes(image) > MAX_DECODED_BYTES:
                    raise Image.DecompressionBombError("decoded size over MAX_DECODED_BYTES")
                with decode_slot(name) if decoded_bytes(image) > HEAVY_DECODED_BYTES else contextlib.nullcontext():
                    image.load()
                    ImageOps.exif_transpose(image, in_place=True)  # no second full-size copy
                    image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
                    buffer = io.BytesIO()
                    if mime == "image/jpeg":
                        image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
                    else:
                        # zlib's run-length strategy: a noisy photo saved as PNG encodes much faster
                        # than with the default strategy (figures in bench/findings.md's issue 18
                        # pass), and screenshots and scans, mostly runs of one colour, stay as small.
                        image.save(buffer, format="PNG", compress_type=zlib.Z_RLE)
    except DatabaseError:
        raise  # the decoding slot's lock could not be asked for: the database is down, not the image
    except ImageServerBusy:
        raise ValidationError(
            _(
                "Máy chủ đang xử lý nhiều ảnh lớn cùng lúc nên chưa nhận ảnh “%(name)s”. "
                "Nội dung đã nhập vẫn còn; vui lòng chọn lại tệp và gửi lại sau ít phút."
            )
            % {"name": name},
            code="server_busy",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("Ảnh “%(name)s” có kích thước quá lớn.") % {"name": name}, code="decompression_bomb"
        ) from None
    except Exception:
        raise ValidationError(
            _("Ảnh “%(name)s” bị hỏng hoặc không đọc được.") % {"name": name}, code="broken_image"
        ) from None
    return buffer.getvalue()


def jpeg_draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size to ask JPEG's draft mode for: the image's own proportions with a long side of
    MIN_DECODED_SIDE. Draft picks the smallest 1/2, 1/4 or 1/8 scale still at least that large, so a
    12 MP phone photo (4032 × 3024) is decoded at 2016 × 1512 (12 MB) instead of in full (49 MB)."""
    width, height = size
    ratio = min(1.0, MIN_DECODED_SIDE / max(width, height, 1))
    return max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))


def decoded_bytes(image) -> int:
    """What decoding ``image`` at its current (drafted) size allocates."""
    width, height = image.size
    copies = 2 if image.mode in ALPHA_MODES or "transparency" in image.info else 1
    return width * height * BYTES_PER_PIXEL.get(image.mode, 4) * copies


class ImageServerBusy(Exception):
    """Every decoding slot stayed taken for IMAGE_DECODE_WAIT_SECONDS."""


# Advisory lock keys: one namespace for the portal's decoding slots, slot numbers 0 … n-1 inside it.
DECODE_LOCK_NAMESPACE = 0x4B4E  # "KN"


@contextlib.contextmanager
def decode_slot(name: str):
    """At most IMAGE_DECODE_SLOTS images decoded at once, across every web process on every host.

    A slot is a PostgreSQL advisory lock, so it is shared by all gunicorn workers and hosts and is
    released if a worker dies. Decoding a large image costs up to a second of CPU: without a cap a few
    posts of ten large photos each would keep every worker busy for many seconds. A request that finds
    no free slot within IMAGE_DECODE_WAIT_SECONDS is refused (ImageServerBusy) rather than held waiting,
    so the other workers stay free for everyone else.
    """
    from django.db import connection

    slots, wait = settings.IMAGE_DECODE_SLOTS, settings.IMAGE_DECODE_WAIT_SECONDS
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        while True:
            for slot in range(slots):
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [DECODE_LOCK_NAMESPACE, slot])
                if cursor.fetchone()[0]:
                    try:
                        yield
                    finally:
                        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [DECODE_LOCK_NAMESPACE, slot])
                    return
            if time.monotonic() >= deadline:
                logger.warning("no image decoding slot free for %r within %s s", name, wait)
                raise ImageServerBusy()
            time.sleep(0.05)


def check_pdf(data: bytes, name: str) -> None:
    """Parse the PDF and walk every object: refuse damaged, encrypted or active PDFs."""
    import pikepdf  # imported when first needed: it announces itself in the log of every process

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.objects) > PDF_MAX_OBJECTS:
                raise ValueError("too many objects")
            active = pdf_active_content(pdf)
            damaged = bool(pdf.get_warnings()) or len(pdf.pages) == 0
    except pikepdf.PasswordError:
        raise ValidationError(
            _("Tệp PDF “%(name)s” có mật khẩu; hãy gửi bản không đặt mật khẩu.") % {"name": name}, code="pdf_encrypted"
        ) from None
    except Exception:
        raise ValidationError(
            _("Tệp PDF “%(name)s” bị hỏng hoặc không đọc được.") % {"name": name}, code="pdf_broken"
        ) from None
    if active:
        raise ValidationError(
            _("Tệp PDF “%(name)s” chứa mã lệnh hoặc tệp nhúng, không được chấp nhận.") % {"name": name},
            code="pdf_active_content",
        )
    if damaged:
        raise ValidationError(_("Tệp PDF “%(name)s” bị hỏng hoặc không đọc được.") % {"name": name}, code="pdf_broken")


def pdf_active_content(pdf) -> str | None:
    """The first active-content name found in the trailer or any object (as a key or a value), else None."""
    for root in (pdf.trailer, *pdf.objects):
        found = _active_name_in(root, depth=0)
        if found:
            return found
    return None


def _active_name_in(obj, *, depth: int) -> str | None:
    import pikepdf

    if depth > PDF_MAX_DEPTH:
        raise ValueError("PDF nesting too deep")
    if isinstance(obj, pikepdf.Name):
        return str(obj) if str(obj) in PDF_ACTIVE_NAMES else None
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for key in obj.keys():
            if key in PDF_ACTIVE_NAMES:
                return key
            if key == "/URI" and not _safe_link(obj.get(key)):
                return "/URI"
            found = _child(obj.get(key), depth)
            if found:
                return found
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            found = _child(item, depth)
            if found:
                return found
    return None


def _safe_link(target) -> bool:
    """A /URI target that is a plain web or mail link; anything else (or not a string) is not."""
    import pikepdf

    if not isinstance(target, pikepdf.String):
        # /URI as a dictionary key also names the document's base URI (/Root /URI << /Base … >>).
        return isinstance(target, pikepdf.Dictionary)
    text = "".join(str(target).split()).lower()  # "java script:" and tabs do not hide a scheme
    return text.startswith(PDF_LINK_SCHEMES)


def _child(obj, depth: int) -> str | None:
    import pikepdf

    # Indirect objects are walked on their own (pdf.objects): following references could loop.
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return None
    return _active_name_in(obj, depth=depth + 1)


class StorageFailure(ValidationError):
    """A file could not be written (disk full, storage down): nothing was kept, the person may retry."""

    def __init__(self):
        super().__init__(
            _(
                "Máy chủ chưa lưu được tệp (hết dung lượng hoặc lỗi lưu trữ). Chưa có gì được lưu; vui lòng thử lại sau."
            ),
            code="storage_failure",
        )


@contextlib.contextmanager
def stored_files_removed_on_error():
    """Collect the FieldFiles written inside the block; if the block fails, delete them (no orphan files).

    Usage: ``with stored_files_removed_on_error() as written: ...; written.append(row.file)``.
    """
    written = []
    try:
        yield written
    except BaseException:
        for field_file in written:
            with contextlib.suppress(Exception):
                field_file.storage.delete(field_file.name)
        raise


def save_with_files(instance, *, written: list) -> None:
    """Save a row whose file fields hold new uploads: write each file (recording it in ``written``, see
    stored_files_removed_on_error), then the row. A storage error (disk full) becomes StorageFailure."""
    try:
        for field in instance._meta.concrete_fields:
            if isinstance(field, models.FileField):
                field_file = getattr(instance, field.attname)
                if field_file and not field_file._committed:
                    field_file.save(field_file.name, field_file.file, save=False)
                    written.append(field_file)
        instance.save()
    except OSError as error:
        raise StorageFailure() from error


def save_with_uploads(instance) -> None:
    """save_with_files for one row: all or nothing, no orphan file."""
    with stored_files_removed_on_error() as written:
        save_with_files(instance, written=written)
