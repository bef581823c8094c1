"""RELIABILITY F9: `verify_media` finds the one changed byte and the missing file, and nothing else."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments import services
from commitments.models import Evidence
from operations.media import checksummed_file_fields, verify_media
from partnerships.uploads import validate_upload
from tests.commitments import fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_evidence(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    update = fixtures.submitted_update(world)
    files = [fixtures.photo(), fixtures.pdf()]
    for upload in files:
        validate_upload(upload)  # as the form does: remembers the checked bytes on the upload
    return services.attach_evidence(update=update, files=files)


def test_every_stored_file_kind_is_covered():
    covered = {(model._meta.label_lower, field, checksum) for model, field, checksum in checksummed_file_fields()}
    assert {
        ("commitments.evidence", "file", "sha256"),
        ("partnerships.document", "file", "sha256"),
        ("partnerships.activityphoto", "image", "sha256"),
        ("reports.report", "pdf", "sha256"),
        ("reports.report", "xlsx", "xlsx_sha256"),
    } <= covered


def test_clean_files_give_no_mismatch(stored_evidence):
    result = verify_media()
    assert result.checked == 2 and result.mismatches == []
    call_command("verify_media", verbosity=0)  # exits 0


def test_one_flipped_byte_and_one_missing_file_are_each_reported(stored_evidence, settings):
    photo, document = stored_evidence
    path = Path(settings.MEDIA_ROOT) / photo.file.name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    (Path(settings.MEDIA_ROOT) / document.file.name).unlink()

    result = verify_media()
    assert {(m.label, m.problem) for m in result.mismatches} == {
        (f"commitments.evidence #{photo.pk} file", "changed"),
        (f"commitments.evidence #{document.pk} file", "missing"),
    }
    with pytest.raises(CommandError, match="2 tệp"):
        call_command("verify_media", verbosity=0)
    assert Evidence.objects.count() == 2  # reported, never "repaired"
