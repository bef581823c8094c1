"""Multi-step writes on commitments: the progress review workflow keeps the verified totals in step."""

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Commitment, Evidence, ProgressUpdate, ReportingPeriod


def period_for(day: datetime.date) -> ReportingPeriod:
    """The open quarter a report made on ``day`` counts in; a closed quarter sends it to the next one."""
    quarters = ReportingPeriod.objects.quarters().open().filter(ends_on__gte=day).order_by("starts_on")
    period = quarters.filter(starts_on__lte=day).first() or quarters.first()
    if period is None:
        raise ValidationError(_("Chưa có kỳ báo cáo nào đang mở cho ngày %(day)s.") % {"day": day.strftime("%d/%m/%Y")})
    return period


@transaction.atomic
def submit_progress(
    *,
    commitment: Commitment,
    author,
    narrative: str,
    achieved_quantity: Decimal | None = None,
    achieved_value_vnd: int | None = None,
    evidence_files=(),
    at: datetime.datetime | None = None,
    client_token: uuid.UUID | None = None,
) -> ProgressUpdate:
    """File a progress update for the current period, with its evidence, on behalf of the owning unit.

    With a ``client_token`` the call is idempotent per author: replaying it (a double tap, a retry
    after a dropped connection) returns the update the first call created and stores nothing new.
    """
    if not Commitment.objects.editable_by(author).filter(pk=commitment.pk).exists():
        raise PermissionDenied
    if client_token is not None:
        existing = ProgressUpdate.objects.filter(author=author, client_token=client_token).first()
        if existing is not None:
            return existing
    at = at or timezone.now()
    try:
        # A savepoint: when a concurrent replay wins the race, the unique token refuses this insert.
        with transaction.atomic():
            update = ProgressUpdate.objects.create(
                commitment=commitment,
                period=period_for(timezone.localdate(at)),
                narrative=narrative,
                achieved_quantity=achieved_quantity,
                achieved_value_vnd=achieved_value_vnd,
                author=author,
                submitted_at=at,
                client_token=client_token,
                is_demo=commitment.is_demo,
            )
    except IntegrityError:
        if client_token is None:
            raise
        return ProgressUpdate.objects.get(author=author, client_token=client_token)
    attach_evidence(update=update, files=evidence_files)
    return update


def attach_evidence(*, update: ProgressUpdate, files) -> list[Evidence]:
    """Store already-validated upload files (see commitments.forms) as evidence rows."""
    from partnerships.uploads import stored_upload

    attached = []
    for upload in files:
        stored = stored_upload(upload)
        attached.append(
            Evidence.objects.create(
                update=update,
                kind=Evidence.Kind.PDF if stored.is_pdf else Evidence.Kind.PHOTO,
                file=stored.content,
                original_name=stored.original_name,
                size_bytes=stored.size,
                sha256=stored.sha256,
            )
        )
    return attached


@transaction.atomic
def resubmit_progress(
    *,
    update: ProgressUpdate,
    author,
    narrative: str,
    achieved_quantity: Decimal | None,
    achieved_value_vnd: int | None,
    evidence_files=(),
    remove_evidence=(),
    at: datetime.datetime | None = None,
) -> ProgressUpdate:
    """Correct a returned update (values, narrative, evidence) and send it back for review."""
    update = ProgressUpdate.objects.editable_by(author).select_for_update().get(pk=update.pk)
    if update.state != ProgressUpdate.State.RETURNED:
        raise ValidationError(_("Chỉ báo cáo bị trả lại mới được gửi lại."))
    update.narrative = narrative
    update.achieved_quantity = achieved_quantity
    update.achieved_value_vnd = achieved_value_vnd
    update.state = ProgressUpdate.State.SUBMITTED
    update.submitted_at = at or timezone.now()
    update.reviewed_by = None
    update.reviewed_at = None
    update.resubmission_count += 1
    update.save()
    update.evidence.filter(pk__in=[evidence.pk for evidence in remove_evidence]).delete()
    attach_evidence(update=update, files=evidence_files)
    return update


def _claim_for_review(update: ProgressUpdate, reviewer) -> ProgressUpdate:
    if not reviewer.is_city_staff:
        raise PermissionDenied
    # Lock the commitment first, so concurrent verifications of one commitment add up correctly.
    Commitment.objects.select_for_update().get(pk=update.commitment_id)
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if update.state != ProgressUpdate.State.SUBMITTED:
        raise ValidationError(_("Báo cáo này đã được xem xét."))
    return update


@transaction.atomic
def verify_progress(*, update: ProgressUpdate, reviewer, at: datetime.datetime | None = None) -> ProgressUpdate:
    """Verify an update; it is then locked and counts towards the commitment's achieved totals."""
    update = _claim_for_review(update, reviewer)
    update.state = ProgressUpdate.State.VERIFIED
    update.reviewed_by = reviewer
    update.reviewed_at = at or timezone.now()
    update.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    recompute_achievement(commitment_id=update.commitment_id, completed_on=timezone.localdate(update.submitted_at))
    return update


@transaction.atomic
def return_progress(
    *, update: ProgressUpdate, reviewer, reason: str, at: datetime.datetime | None = None
) -> ProgressUpdate:
    """Send an update back to its unit with a reason they must address."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do trả lại.")})
    update = _claim_for_review(update, reviewer)
    update.state = ProgressUpdate.State.RETURNED
    update.return_reason = reason
    update.reviewed_by = reviewer
    update.reviewed_at = at or timezone.now()
    update.save(update_fields=["state", "return_reason", "reviewed_by", "reviewed_at"])
    return update


def recompute_achievement(*, commitment_id: int, completed_on: datetime.date) -> Commitment:
    """Bring the commitment's verified totals up to date; mark it complete the day its target was reached."""
    commitment = Commitment.objects.get(pk=commitment_id)
    totals = ProgressUpdate.objects.filter(commitment_id=commitment_id, state=ProgressUpdate.State.VERIFIED).aggregate(
        quantity=Sum("achieved_quantity"), value=Sum("achieved_value_vnd")
    )
    commitment.achieved_quantity = totals["quantity"] or Decimal(0)
    commitment.achieved_value_vnd = totals["value"] or 0
    if commitment.completed_on is None and commitment.is_target_reached():
        commitment.completed_on = completed_on
    commitment.save(update_fields=["achieved_quantity", "achieved_value_vnd", "completed_on", "updated_at"])
    return commitment


@transaction.atomic
def save_commitment(*, commitment: Commitment, editor) -> Commitment:
    """Create or change a commitment; a changed target is re-measured against the verified totals.

    City staff create and change any commitment; a unit officer changes only those their unit owns.
    """
    if commitment.pk is None:
        allowed = editor.is_authenticated and editor.is_city_staff
    else:
        allowed = Commitment.objects.editable_by(editor).filter(pk=commitment.pk).exists()
        # An officer may not hand the commitment to another unit (and so out of their own reach).
        allowed = allowed and (editor.is_city_staff or commitment.owner_id == editor.commune_id)
    if not allowed:
        raise PermissionDenied
    if commitment.pk is not None:
        if commitment.completed_on is not None and not commitment.is_target_reached():
            commitment.completed_on = None
        elif commitment.completed_on is None and commitment.is_target_reached():
            commitment.completed_on = timezone.localdate()
    commitment.save()
    return commitment
