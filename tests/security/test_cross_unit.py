"""Cross-unit attempts (RELIABILITY D3): officers of other units try every object-scoped route of a
partnership they do not belong to, or write what their unit does not own.

At least 200 attempts (GET and POST, plain and htmx, with valid forged payloads so that a missing check
would show as a write): 0 succeed, every answer is 403 or 404, and the domain tables (row counts and a
checksum of their contents, audit log included) and the media folder are byte-for-byte unchanged.
Each refusal writes one ``authorization_failure`` record to the security log.
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from commitments.models import Commitment, Evidence
from partnerships.models import Membership
from tests import factories
from tests.commitments import fixtures
from tests.partnerships.routes import document_of, photo_of
from tests.security.helpers import jpeg_bytes, media_snapshot, pdf_bytes, table_snapshot
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
DENIED = {403, 404}


@dataclass(frozen=True)
class Attempt:
    route: str
    kwargs: dict
    get: bool = True
    post: bool = True
    query: str = ""
    data: object = None  # a function of the targets giving the POST payload
    members_too: bool = False  # also tried by the supported unit's officer (a member that owns nothing)


def commitment_payload(targets):
    return {
        "field": targets["commitment"].field_id,
        "title": "Bị sửa trái phép",
        "owner": targets["commitment"].owner_id,
        "horizon": "immediate",
        "support_form": "cash",
        "target_value_vnd": "1",
        "start_on": "2025-09-01",
        "version": targets["commitment"].version,
    }


def progress_payload(targets):
    return {
        "achieved_quantity": "2",
        "narrative": "Báo cáo giả",
        "version": targets["returned"].version,
        "evidence": [SimpleUploadedFile("anh.jpg", jpeg_bytes())],
    }


def attempts(targets) -> list[Attempt]:
    p = targets["partnership"].pk
    return [
        Attempt("commitments:commitment_detail", {"pk": targets["commitment"].pk}, post=False),
        Attempt("commitments:partnership_commitments", {"pk": p}, post=False),
        Attempt("commitments:evidence_file", {"pk": targets["evidence"].pk}, post=False),
        Attempt("commitments:evidence_file", {"pk": targets["evidence"].pk}, post=False, query="?thumb=1"),
        Attempt(
            "commitments:commitment_update", {"pk": targets["commitment"].pk}, data=commitment_payload, members_too=True
        ),
        Attempt(
            "commitments:commitment_create", {}, query=f"?partnership={p}", data=commitment_payload, members_too=True
        ),
        Attempt(
            "commitments:progress_create", {"pk": targets["commitment"].pk}, data=progress_payload, members_too=True
        ),
        Attempt(
            "commitments:progress_resubmit", {"pk": targets["returned"].pk}, data=progress_payload, members_too=True
        ),
        Attempt("commitments:progress_verify", {"pk": targets["submitted"].pk}, get=False, members_too=True),
        Attempt(
            "commitments:progress_return",
            {"pk": targets["submitted"].pk},
            data=lambda t: {"reason": "Trả lại trái phép"},
            members_too=True,
        ),
        Attempt(
            "partnerships:partnership_update",
            {"pk": p},
            data=lambda t: {"title": "Bị đổi tên", "status": "ended", "legal_basis": t["partnership"].legal_basis_id},
            members_too=True,
        ),
        Attempt(
            "partnerships:member_add",
            {"pk": p},
            data=lambda t: {"commune": t["intruder_unit"].pk, "role": Membership.Role.CO_SUPPORTER},
            members_too=True,
        ),
        Attempt(
            "partnerships:member_remove",
            {"pk": p, "membership_pk": targets["membership"].pk},
            data=lambda t: {},
            members_too=True,
        ),
        Attempt(
            "partnerships:document_upload",
            {"pk": p},
            data=lambda t: {"kind": "memorandum", "title": "Giả", "file": SimpleUploadedFile("b.pdf", pdf_bytes())},
            members_too=True,
        ),
        Attempt(
            "partnerships:activity_create",
            {"pk": p},
            data=lambda t: {"kind": "handover", "occurred_on": "2025-10-01", "title": "Giả", "value_vnd": "1"},
        ),
        Attempt("partnerships:document_file", {"pk": targets["document"].pk}, post=False),
        Attempt("partnerships:activity_photo", {"pk": targets["photo"].pk}, post=False),
    ]


def build_targets(world) -> dict:
    fixtures.current_period()
    submitted = fixtures.update_with_photo(world)
    co_supporter = factories.commune()
    Membership.objects.create(partnership=world.partnership, commune=co_supporter, role=Membership.Role.CO_SUPPORTER)
    return {
        "partnership": world.partnership,
        "commitment": Commitment.objects.get(pk=world.commitment.pk),
        "submitted": submitted,
        "returned": fixtures.returned_update(world),
        "evidence": Evidence.objects.get(update=submitted),
        "document": document_of(world.partnership),
        "photo": photo_of(world.partnership),
        "membership": Membership.objects.get(partnership=world.partnership, commune=co_supporter),
        "intruder_unit": world.outsider,
    }


def intruders(world) -> list:
    """The outsider officer, officers of four more units in partnerships of their own, a second outsider."""
    officers = [world.outsider_officer, factories.user(Role.UNIT_OFFICER, commune=world.outsider)]
    for _ in range(4):
        unit = factories.commune()
        factories.partnership(supporters=[unit])
        officers.append(factories.user(Role.UNIT_OFFICER, commune=unit))
    return officers


def test_officers_of_other_units_get_nowhere(client, world, security_log):
    targets = build_targets(world)
    outsiders, member = intruders(world), world.supported_officer
    tables, media = table_snapshot(), media_snapshot()
    results, logged = [], []
    for officer in [*outsiders, member]:
        sign_in(client, officer)
        security_log.clear()  # signing in is an event of its own
        for attempt in attempts(targets):
            if officer is member and not attempt.members_too:
                continue  # a member may read its partnership's contents; it may not write what it does not own
            url = reverse(attempt.route, kwargs=attempt.kwargs) + attempt.query
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                if attempt.get:
                    results.append((officer.username, "GET", url, headers, client.get(url, **headers).status_code))
                if attempt.post:
                    data = attempt.data(targets) if attempt.data else {}
                    status = client.post(url, data, **headers).status_code
                    results.append((officer.username, "POST", url, headers, status))
        logged.extend(security_log.events())
    assert len(results) >= 200, len(results)
    succeeded = [result for result in results if result[-1] not in DENIED]
    assert succeeded == [], f"{len(succeeded)} of {len(results)} cross-unit attempts were not refused"
    # ASVS 16.3.2: one authorization-failure record per refusal, naming who tried what.
    refusals = sorted((user, url.split("?")[0]) for user, _method, url, _headers, _status in results)
    assert sorted((event["actor"], event["route"]) for event in logged) == refusals
    assert {(event["event"], event["outcome"]) for event in logged} == {("authorization_failure", "denied")}
    assert table_snapshot() == tables, "a refused attempt changed the database"
    assert media_snapshot() == media, "a refused attempt changed the stored files"


def test_the_snapshot_notices_a_change(world):
    """The snapshot is the evidence above: prove it sees a one-field edit and a new file."""
    tables = table_snapshot()
    Commitment.objects.filter(pk=world.commitment.pk).update(title="Đổi một chữ")
    assert table_snapshot() != tables
    media = media_snapshot()
    document_of(world.partnership)
    assert media_snapshot() != media
