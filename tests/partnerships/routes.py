"""Access table for the partnerships app (walked by tests/test_access.py)."""

import io

from django.core.files.base import ContentFile
from PIL import Image

from partnerships.models import ActivityPhoto, Document, Membership
from tests import factories
from tests.routes import Route, everyone

# A well-formed one-page PDF: uploads are parsed with pikepdf, so it needs its cross-reference table.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<<>>>>endobj\nxref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n178\n%%EOF\n"


def png_bytes(size=(8, 6), color=(164, 22, 26)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def document_of(partnership) -> Document:
    return Document.objects.create(
        partnership=partnership,
        kind=Document.Kind.MEMORANDUM,
        title="Biên bản ký kết",
        file=ContentFile(PDF, name="bien-ban.pdf"),
        original_name="bien-ban.pdf",
    )


def photo_of(partnership) -> ActivityPhoto:
    activity = factories.activity(partnership=partnership)
    return ActivityPhoto.objects.create(activity=activity, image=ContentFile(png_bytes(), name="anh.png"))


def supported_membership(world) -> Membership:
    return world.partnership.memberships.get(role=Membership.Role.SUPPORTED)


def lead_membership(world) -> Membership:
    return world.partnership.memberships.get(role=Membership.Role.LEAD_SUPPORTER)


PK = lambda world: {"pk": world.partnership.pk}  # noqa: E731
# Changing a partnership: city staff only; leadership is refused (403) before any lookup, officers
# cannot see an editable partnership (404).
CITY_WRITES = everyone(404, leader=403, city=200, admin=200)

ROUTES = [
    Route(name="partnerships:partnership_list", get=everyone(200)),
    # Only partnerships whose contents the user may read; an empty list for the others.
    Route(name="partnerships:partnership_suggestions", get=everyone(200), query="?q=1"),
    Route(name="partnerships:partnership_detail", kwargs=PK, get=everyone(200)),
    Route(
        name="partnerships:partnership_create",
        get=everyone(403, city=200, admin=200),
        post=everyone(403, city=200, admin=200),
        notes="Empty POST: the form comes back with errors (200).",
    ),
    Route(name="partnerships:partnership_update", kwargs=PK, get=CITY_WRITES, post=CITY_WRITES),
    Route(name="partnerships:member_add", kwargs=PK, get=CITY_WRITES, post=CITY_WRITES),
    Route(
        name="partnerships:member_remove",
        kwargs=lambda world: {"pk": world.partnership.pk, "membership_pk": supported_membership(world).pk},
        get=CITY_WRITES,
        post=everyone(404, leader=403, city=302, admin=302),
        notes="GET asks for confirmation; removing the supported unit is refused and redirects back.",
    ),
    Route(
        name="partnerships:member_role",
        kwargs=lambda world: {"pk": world.partnership.pk, "membership_pk": lead_membership(world).pk},
        post=everyone(404, leader=403, city=302, admin=302),
        post_data=lambda world: {"role": "lead_supporter"},
        notes="POST only, from the member's row; without htmx it redirects to the partnership's members.",
    ),
    Route(name="partnerships:document_upload", kwargs=PK, get=CITY_WRITES, post=CITY_WRITES),
    Route(
        name="partnerships:document_file",
        kwargs=lambda world: {"pk": document_of(world.partnership).pk},
        get=everyone(200, outsider=404),
        htmx=False,
    ),
    Route(
        name="partnerships:activity_create",
        kwargs=PK,
        get=everyone(200, leader=403, outsider=404),
        post=everyone(200, leader=403, outsider=404),
        notes="City staff and officers of member units log activities.",
    ),
    Route(
        name="partnerships:activity_photo",
        kwargs=lambda world: {"pk": photo_of(world.partnership).pk},
        get=everyone(200, outsider=404),
        htmx=False,
    ),
    Route(
        name="partnerships:record_void",
        kwargs=lambda world: {"kind": "activity", "pk": factories.activity(partnership=world.partnership).pk},
        get=everyone(404, leader=403, city=200, admin=200),
        post=everyone(404, leader=403, city=200, admin=200),
        notes="City staff void a partnership, activity or document with a reason; an empty POST re-renders (200).",
    ),
    Route(
        name="partnerships:record_restore",
        kwargs=lambda world: {"kind": "activity", "pk": factories.activity(partnership=world.partnership).pk},
        post=everyone(404, leader=403, city=302, admin=302),
        notes="POST only; restores and redirects to the partnership (a record not voided redirects too).",
    ),
]
