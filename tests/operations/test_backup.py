"""A backup restored into a fresh database gives the same row counts and the same file checksums."""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from operations.backup import Backup, make_backup, restore_backup, table_counts, verify_restore
from partnerships.models import Document
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_then_restore_into_an_emptied_database(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = factories.World.build()
    Document.objects.create(
        partnership=world.partnership,
        kind=Document.Kind.MEMORANDUM,
        title="Biên bản",
        file=ContentFile(b"%PDF-1.4 minimal", name="bien-ban.pdf"),
    )
    before = table_counts()
    backup = make_backup(tmp_path / "backup")

    call_command("flush", "--no-input", verbosity=0)  # the "fresh database": every row gone
    for path in (tmp_path / "media").rglob("*"):
        if path.is_file():
            path.unlink()
    assert verify_restore(backup) != []

    with connection.cursor() as cursor:
        cursor.execute("SELECT epoch FROM core_change_counter")
        epochs_backed_up = {row[0] for row in cursor.fetchall()}
    assert epochs_backed_up  # the world's rows were committed, so the counter exists
    restore_backup(Backup(tmp_path / "backup"))
    assert verify_restore(backup) == []
    assert table_counts() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT epoch FROM core_change_counter")
        # Dashboard figures cached before the restore can never be served for the restored rows.
        assert {row[0] for row in cursor.fetchall()}.isdisjoint(epochs_backed_up)
