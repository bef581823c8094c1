"""Uploaded files leave nothing in the browser's cache (issue 21 item 4): on a shared ward computer the
next person must not find the last one's evidence, documents or photos after logout."""

import pytest
from django.urls import reverse

from core.files import UPLOAD_CACHE_CONTROL
from tests.commitments.fixtures import update_with_photo
from tests.partnerships.routes import document_of, photo_of
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def served_files(client, world):
    evidence = update_with_photo(world).evidence.get()
    yield "evidence", client.get(reverse("commitments:evidence_file", args=[evidence.pk]))
    yield "thumbnail", client.get(reverse("commitments:evidence_file", args=[evidence.pk]) + "?thumb=1")
    yield "document", client.get(reverse("partnerships:document_file", args=[document_of(world.partnership).pk]))
    yield "photo", client.get(reverse("partnerships:activity_photo", args=[photo_of(world.partnership).pk]))


def test_evidence_documents_photos_and_thumbnails_are_never_stored_nor_framed(client, world):
    sign_in(client, world.city)
    seen = []
    for label, response in served_files(client, world):
        assert response.status_code == 200, label
        assert response["Cache-Control"] == UPLOAD_CACHE_CONTROL == "private, no-store", label
        assert "max-age" not in response["Cache-Control"], label
        csp = response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "sandbox" in csp, (label, csp)
        seen.append(label)
    assert seen == ["evidence", "thumbnail", "document", "photo"]
