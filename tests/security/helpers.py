"""Shared by the security tests: hostile files, and snapshots of the database tables and the media folder."""

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pikepdf
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import ExifTags, Image

from commitments.models import Commitment
from tests.signin import sign_in

# Split so that no file in the repository is itself the EICAR test file.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
DOMAIN_APPS = ("communes", "partnerships", "commitments", "pghistory")


def jpeg_bytes(size=(64, 48), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def png_bytes(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: EXIF with the camera, an orientation, and where it was taken (Đà Nẵng)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (16.0, 3.0, 44.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (108.0, 12.0, 7.0)
    return jpeg_bytes(size=(80, 40), exif=exif)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack("!I", len(body)) + kind + body + struct.pack("!I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack("!IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    data = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def pdf_bytes(configure=None, **save) -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    if configure is not None:
        configure(document)
    buffer = io.BytesIO()
    document.save(buffer, **save)
    return buffer.getvalue()


def table_snapshot() -> dict[str, tuple[int, str]]:
    """Row count and an MD5 of every row's text, for each table of the domain apps and the audit log."""
    with connection.cursor() as cursor:
        tables = sorted(t for t in connection.introspection.table_names(cursor) if t.startswith(DOMAIN_APPS))
        snapshot = {}
        for table in tables:
            # Table names come from the catalogue, not from input.
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
            )
            snapshot[table] = cursor.fetchone()
    return snapshot


def media_snapshot() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def commitment_data(world, **overrides) -> dict:
    data = {
        "field": world.commitment.field_id,
        "title": "Trao 40 suất học bổng",
        "owner": world.supporter.code,
        "horizon": Commitment.Horizon.IMMEDIATE,
        "support_form": Commitment.SupportForm.SCHOLARSHIP,
        "target_quantity": "40",
        "target_unit": "suất",
        "target_value_vnd": "60000000",
        "start_on": "2025-09-01",
        "due_on": "2026-06-30",
    }
    data.update(overrides)
    return data


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def post_progress(client, world, files):
    sign_in(client, world.officer)
    url = reverse("commitments:progress_create", args=[world.commitment.pk])
    return client.post(url, {"achieved_quantity": "1", "narrative": "Đã bàn giao", "evidence": files})
