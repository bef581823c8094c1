"""Mass assignment (RELIABILITY D4): every write route that takes form data ignores fields it does not offer.

Each test posts a valid form plus forged fields (owner/commune, state, author, reviewer, demo flag,
achieved totals, partnership, file hashes, timestamps, ids) and checks that only the offered fields
changed. Report requests belong to the reports app and are tested there.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from commitments import services
from commitments.models import Commitment, CommitmentAdjustment, ProgressUpdate
from partnerships.models import Activity, Document, Membership, Partnership
from tests import factories
from tests.commitments import fixtures
from tests.partnerships.member_rows import LEAD, SUPPORTED, member_rows
from tests.security.helpers import commitment_data, jpeg_bytes, pdf_bytes
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def forged(world) -> dict:
    """Fields no form offers, pointing everywhere the attacker would like."""
    return {
        "id": 999_999,
        "pk": 999_999,
        "owner": world.outsider.code,
        "commune": world.outsider.code,
        "partnership": world.other_partnership.pk,
        "commitment": world.other_commitment.pk,
        "state": ProgressUpdate.State.VERIFIED,
        "author": world.city.pk,
        "reviewed_by": world.officer.pk,
        "reviewed_at": "2020-01-01T00:00",
        "uploaded_by": world.outsider_officer.pk,
        "logged_by": world.leader.pk,
        "created_by": world.admin.pk,
        "is_demo": "on",
        "completed_on": "2020-01-01",
        "resubmission_count": "9",
        "return_reason": "giả mạo",
        "sha256": "0" * 64,
        "original_name": "gia-mao.exe",
        "size_bytes": "1",
        "external_ref": "forged",
        "created_at": "2000-01-01T00:00",
        "updated_at": "2000-01-01T00:00",
        "submitted_at": "2000-01-01T00:00",
        "period": factories.period(2020, 1).pk,
    }


def login(client, user):
    sign_in(client, user)


def test_commitment_update_by_an_officer(client, world):
    """D4: an officer changes what the commitment says directly, but its terms (target, dates, field,
    owner) only through a request city staff must approve; completion never comes from an edit."""
    before = Commitment.objects.get(pk=world.commitment.pk)
    login(client, world.officer)
    data = {
        **forged(world),
        **commitment_data(world, version=before.version),
        "owner": world.supported.code,  # a member, but officers may not hand a commitment over
        "achieved_quantity": "40",
        "achieved_value_vnd": "60000000",
        "reason": "Theo kết quả khảo sát",
    }
    response = client.post(reverse("commitments:commitment_update", args=[before.pk]), data)
    assert response.status_code == 302
    after = Commitment.objects.get(pk=before.pk)
    assert after.title == "Trao 40 suất học bổng"  # the offered, non-term field changed
    terms = ("target_quantity", "target_unit", "target_value_vnd", "start_on", "due_on", "field_id", "owner_id")
    assert [getattr(after, name) for name in terms] == [getattr(before, name) for name in terms]
    assert after.partnership_id == before.partnership_id
    assert (after.achieved_quantity, after.achieved_value_vnd, after.completed_on) == (Decimal(0), 0, None)
    assert after.is_demo is False and after.created_at == before.created_at
    assert not Commitment.objects.filter(pk=999_999).exists()
    request = CommitmentAdjustment.objects.get(commitment=before)
    assert (request.state, request.requested_by_id, request.decided_by_id) == ("pending", world.officer.pk, None)
    assert set(request.changes) == {"target_quantity", "target_unit", "target_value_vnd", "due_on"}


def test_commitment_create_by_city_staff(client, world):
    login(client, world.city)
    url = reverse("commitments:commitment_create") + f"?partnership={world.partnership.pk}"
    data = {**forged(world), **commitment_data(world), "achieved_quantity": "40", "version": "77"}
    assert client.post(url, data).status_code == 302
    created = Commitment.objects.exclude(pk__in=[world.commitment.pk, world.other_commitment.pk]).get()
    assert created.partnership_id == world.partnership.pk and created.owner_id == world.supporter.code
    assert (created.achieved_quantity, created.completed_on, created.is_demo, created.version) == (0, None, False, 1)
    assert created.pk != 999_999


def test_progress_create_by_an_officer(client, world):
    period = fixtures.current_period()
    login(client, world.officer)
    data = {**forged(world), "achieved_quantity": "1", "narrative": "Đã bàn giao 1 căn nhà"}
    response = client.post(reverse("commitments:progress_create", args=[world.commitment.pk]), data)
    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert (update.commitment_id, update.period_id, update.author_id) == (
        world.commitment.pk,
        period.pk,
        world.officer.pk,
    )
    assert (update.state, update.reviewed_by_id, update.reviewed_at) == (ProgressUpdate.State.SUBMITTED, None, None)
    assert (update.is_demo, update.resubmission_count, update.return_reason) == (False, 0, "")
    assert update.submitted_at > timezone.now() - datetime.timedelta(minutes=5)
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert commitment.achieved_quantity == 0, "an unverified report counts for nothing"


def test_progress_resubmit_by_an_officer(client, world):
    update = fixtures.returned_update(world)
    login(client, world.officer)
    data = {**forged(world), "achieved_quantity": "2", "narrative": "Bổ sung", "version": update.version}
    assert client.post(reverse("commitments:progress_resubmit", args=[update.pk]), data).status_code == 302
    after = ProgressUpdate.objects.get(pk=update.pk)
    assert (after.narrative, after.achieved_quantity) == ("Bổ sung", Decimal(2))
    assert (after.state, after.reviewed_by_id, after.author_id) == (
        ProgressUpdate.State.SUBMITTED,
        None,
        world.officer.pk,
    )
    assert (after.commitment_id, after.period_id, after.resubmission_count) == (
        world.commitment.pk,
        update.period_id,
        1,
    )
    assert after.is_demo is False


def test_progress_return_by_city_staff(client, world):
    update = fixtures.submitted_update(world)
    login(client, world.city)
    data = {**forged(world), "reason": "Thiếu ảnh", "narrative": "giả mạo", "achieved_quantity": "99"}
    assert client.post(reverse("commitments:progress_return", args=[update.pk]), data).status_code == 302
    after = ProgressUpdate.objects.get(pk=update.pk)
    assert (after.state, after.return_reason, after.reviewed_by_id) == ("returned", "Thiếu ảnh", world.city.pk)
    assert (after.narrative, after.achieved_quantity, after.author_id) == (
        update.narrative,
        Decimal(1),
        world.officer.pk,
    )


def test_progress_verify_by_city_staff(client, world):
    update = fixtures.submitted_update(world)
    login(client, world.city)
    data = {**forged(world), "achieved_quantity": "99", "achieved_value_vnd": "1"}
    assert client.post(reverse("commitments:progress_verify", args=[update.pk]), data).status_code == 302
    after = ProgressUpdate.objects.get(pk=update.pk)
    assert (after.state, after.reviewed_by_id, after.achieved_quantity) == ("verified", world.city.pk, Decimal(1))
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert (commitment.achieved_quantity, commitment.achieved_value_vnd) == (Decimal(1), 80_000_000)
    assert Commitment.objects.get(pk=world.other_commitment.pk).achieved_quantity == 0


def partnership_data(world) -> dict:
    return {
        "title": "Kết nghĩa mới",
        "status": Partnership.Status.SIGNED,
        "legal_basis": world.partnership.legal_basis_id,
        "assigning_document": "",
        "signed_on": "2025-09-05",
        "signed_place": "",
        "term_start": "",
        "term_end": "",
        "summary": "",
        "source": "",
        **member_rows((factories.commune(), SUPPORTED), (world.outsider, LEAD)),
        # Row fields the form does not offer: a member's row id, partnership and joining date.
        "members-0-id": world.other_partnership.memberships.first().pk,
        "members-0-partnership": world.other_partnership.pk,
        "members-1-joined_on": "2000-01-01",
    }


def test_partnership_create_by_city_staff(client, world):
    login(client, world.city)
    data = {**forged(world), **partnership_data(world)}
    assert client.post(reverse("partnerships:partnership_create"), data).status_code == 302
    created = Partnership.objects.get(title="Kết nghĩa mới")
    assert (created.is_demo, created.external_ref) == (False, "") and created.pk != 999_999
    assert created.memberships.get(commune=world.outsider).joined_on == datetime.date(2025, 9, 5)
    assert world.other_partnership.memberships.count() == 2
    assert created.created_at > timezone.now() - datetime.timedelta(minutes=5)


def test_partnership_update_by_city_staff(client, world):
    before = Partnership.objects.get(pk=world.partnership.pk)
    login(client, world.city)
    data = {
        **forged(world),
        **partnership_data(world),
        **member_rows((world.supported, SUPPORTED), (world.supporter, LEAD)),
    }
    response = client.post(reverse("partnerships:partnership_update", args=[before.pk]), data)
    assert response.status_code == 302
    after = Partnership.objects.get(pk=before.pk)
    assert after.title == "Kết nghĩa mới"
    assert (after.is_demo, after.external_ref, after.created_at) == (False, "", before.created_at)
    assert Commitment.objects.get(pk=world.commitment.pk).partnership_id == before.pk


def test_member_add_by_city_staff(client, world):
    newcomer = factories.commune()
    login(client, world.city)
    data = {**forged(world), "commune": newcomer.pk, "role": Membership.Role.CO_SUPPORTER, "joined_on": "2025-09-01"}
    assert client.post(reverse("partnerships:member_add", args=[world.partnership.pk]), data).status_code == 302
    membership = Membership.objects.get(commune=newcomer)
    assert membership.partnership_id == world.partnership.pk
    assert not world.other_partnership.memberships.filter(commune=newcomer).exists()


def test_document_upload_by_city_staff(client, world):
    login(client, world.city)
    data = {
        **forged(world),
        "kind": "memorandum",
        "title": "Biên bản",
        "file": SimpleUploadedFile("bien-ban.pdf", pdf_bytes()),
    }
    assert client.post(reverse("partnerships:document_upload", args=[world.partnership.pk]), data).status_code == 302
    document = Document.objects.get()
    assert (document.partnership_id, document.uploaded_by_id) == (world.partnership.pk, world.city.pk)
    assert document.original_name == "bien-ban.pdf" and document.sha256 != "0" * 64


def test_activity_create_by_an_officer(client, world):
    login(client, world.officer)
    data = {
        **forged(world),
        "kind": "handover",
        "occurred_on": "2025-10-01",
        "title": "Trao quà",
        "value_vnd": "1.000.000",
        "photos": [SimpleUploadedFile("anh.jpg", jpeg_bytes())],
    }
    assert client.post(reverse("partnerships:activity_create", args=[world.partnership.pk]), data).status_code == 302
    activity = Activity.objects.get(title="Trao quà")
    assert (activity.partnership_id, activity.logged_by_id, activity.is_demo) == (
        world.partnership.pk,
        world.officer.pk,
        False,
    )
    assert activity.photos.get().sha256 != "0" * 64


def test_services_ignore_a_forged_owner_on_an_officers_edit(world):
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    commitment.owner = world.supported
    with pytest.raises(services.PermissionDenied):
        services.save_commitment(commitment=commitment, editor=world.officer)
