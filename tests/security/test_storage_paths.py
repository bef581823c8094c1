"""Storage paths (RELIABILITY F6): whatever name a client gives a file, it is stored under
MEDIA_ROOT/<app>/<model>/<uuid4>.<canonical extension>; the name it came with is kept only in the row
(NFC, no control characters, ≤ 255 characters) and sent back only as a download's quoted file name.

The multipart bodies are written by hand: Django's test client would drop the path and break the
header on a CR LF itself, so it could not send what a hostile client sends.
"""

import re
import unicodedata
import uuid
from pathlib import Path, PurePath

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from commitments.models import Evidence
from commitments.services import submit_progress
from partnerships.uploads import display_name
from tests.commitments import fixtures
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

LONG_VIETNAMESE = "Biên bản bàn giao nhà đại đoàn kết cho hộ nghèo xã Trà Tân " * 5 + "năm 2025.pdf"  # 300+ chars
UUID_NAME = re.compile(r"^(?P<hex>[0-9a-f]{32})\.(?P<ext>pdf|jpg|png)$")
BOUNDARY = "----portal-test-boundary"


def multipart(fields: dict, files: list[tuple[str, bytes]]) -> bytes:
    """A form-data body; file names are put in the header as given (raw bytes, UTF-8)."""
    parts = []
    for key, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    for filename, content in files:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="evidence"; filename="{filename}"\r\n'
        parts.append(head.encode() + b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post_evidence(world, filenames: list[str]):
    fixtures.current_period()
    client = Client()
    sign_in(client, world.officer)
    body = multipart(
        {"achieved_quantity": "1", "narrative": "Đã bàn giao", "client_token": str(uuid.uuid4())},
        [(name, fixtures.pdf_bytes()) for name in filenames],
    )
    return client.post(
        reverse("commitments:progress_create", args=[world.commitment.pk]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def assert_stored_safely(evidence: Evidence):
    media_root = Path(settings.MEDIA_ROOT).resolve()
    path = Path(evidence.file.path).resolve()
    assert path.is_relative_to(media_root) and path.is_file()
    relative = PurePath(evidence.file.name)
    assert relative.parts[:2] == ("commitments", "evidence") and len(relative.parts) == 3, relative
    match = UUID_NAME.match(relative.name)
    assert match and uuid.UUID(match["hex"]).version == 4 and match["ext"] == "pdf", relative.name
    name = evidence.original_name
    assert len(name) <= 255 and name == unicodedata.normalize("NFC", name)
    assert not any(unicodedata.category(char)[0] == "C" for char in name)
    assert "/" not in name and "\\" not in name


def test_hostile_file_names_never_reach_the_disk(world):
    names = [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\win.ini.pdf",
        "a%22%0D%0AX: y.pdf",  # how a browser sends a"<CR><LF>X: y.pdf (HTML form-data encoding)
        unicodedata.normalize("NFD", LONG_VIETNAMESE),
    ]
    response = post_evidence(world, names)
    assert response.status_code == 302, re.findall(
        r"(?s)<ul class=\"errorlist.*?</ul>|class=\"[^\"]*error[^\"]*\"[^>]*>[^<]*", response.content.decode()
    )
    stored = list(Evidence.objects.order_by("pk"))
    assert len(stored) == 4
    for evidence in stored:
        assert_stored_safely(evidence)
    assert stored[0].original_name == "passwd.pdf"
    assert stored[1].original_name == "win.ini.pdf"
    assert stored[2].original_name == "a%22%0D%0AX: y.pdf"  # kept as text, never decoded into a header
    assert stored[3].original_name.startswith("Biên bản bàn giao")  # composed again (NFC)
    # Django keeps the first 255 characters of the decomposed name (extension kept); composed, fewer remain.
    assert stored[3].original_name.endswith(".pdf") and 200 < len(stored[3].original_name) <= 255
    # Nothing was written outside MEDIA_ROOT or under the names given.
    assert not any(Path(settings.MEDIA_ROOT).rglob("passwd*"))
    assert not any("Biên" in path.name for path in Path(settings.MEDIA_ROOT).rglob("*"))


def test_a_raw_cr_lf_in_the_part_header_is_refused(world):
    """Sent unescaped, the line break ends the file name at "a": no PDF extension, so the form refuses."""
    response = post_evidence(world, ['a"\r\nX: y.pdf'])
    assert response.status_code == 200
    assert "không khớp với nội dung" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_name_with_cr_lf_is_cleaned_and_downloads_with_one_header(world):
    """Whatever the parser lets through (here the raw name, as a service caller could pass it)."""
    fixtures.current_period()
    update = submit_progress(
        commitment=world.commitment,
        author=world.officer,
        narrative="Đã bàn giao",
        achieved_quantity=1,
        evidence_files=[SimpleUploadedFile('a"\r\nX: y.pdf', fixtures.pdf_bytes(), content_type="application/pdf")],
    )
    evidence = update.evidence.get()
    assert_stored_safely(evidence)
    assert evidence.original_name == 'a"X: y.pdf'
    client = Client()
    sign_in(client, world.officer)
    response = client.get(reverse("commitments:evidence_file", args=[evidence.pk]))
    assert response.status_code == 200
    assert "X" not in response.headers
    assert "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\an\\Ảnh.png", "Ảnh.png"),
        ("ho\u0301a\u200b\u202egpj.pdf", "hóagpj.pdf"),
        ("\x00\x1b[31m.pdf", "[31m.pdf"),
        ("x" * 400 + ".jpeg", "x" * 250 + ".jpeg"),
        ("", ""),
    ],
)
def test_display_name(raw, shown):
    assert display_name(raw) == shown


def test_media_root_is_outside_the_static_root_and_the_code():
    media, static = Path(settings.MEDIA_ROOT).resolve(), Path(settings.STATIC_ROOT).resolve()
    assert not media.is_relative_to(static) and not static.is_relative_to(media)
    for directory in (Path(settings.BASE_DIR) / "static", Path(settings.BASE_DIR) / "templates"):
        assert not media.is_relative_to(directory.resolve())
    assert settings.MEDIA_URL not in {settings.STATIC_URL, "/"}
