"""Multi-step writes on commitments: the progress review workflow keeps the verified totals in step."""

import datetime
import uuid
from decimal import Decimal

import pgtrigger
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import can
from accounts.quotas import charge_uploads
from core import voiding

from .models import COMMITMENT_TERMS, Commitment, CommitmentAdjustment, Evidence, ProgressUpdate, ReportingPeriod

# What a person edits on a commitment; everything else (totals, completion, partnership, flags) is the
# server's. Only these columns are written by an edit, so a concurrent verification is never undone.
COMMITMENT_EDITABLE_FIELDS = (
    "field",
    "title",
    "owner",
    "horizon",
    "support_form",
    "description",
    "target_quantity",
    "target_unit",
    "target_value_vnd",
    "start_on",
    "due_on",
)


class EditConflict(Exception):
    """Someone saved the row after the editor loaded it: nothing was written; ``latest`` is what is saved now."""

    def __init__(self, latest):
        super().__init__(f"{latest._meta.label} {latest.pk} is at version {latest.version}")
        self.latest = latest


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
                exceeds_target=commitment.exceeds_remaining(achieved_quantity, achieved_value_vnd),
            )
    except IntegrityError:
        if client_token is None:
            raise
        return ProgressUpdate.objects.get(author=author, client_token=client_token)
    attach_evidence(update=update, files=evidence_files)
    return update


def attach_evidence(*, update: ProgressUpdate, files) -> list[Evidence]:
    """Store already-validated upload files (see commitments.forms) as evidence rows.

    All or nothing: when a file cannot be written (ENOSPC, storage down) the files written before it
    are deleted and StorageFailure is raised, so the caller's transaction rolls back with no orphan.
    """
    from partnerships.uploads import StorageFailure, stored_files_removed_on_error, stored_upload

    charge_uploads(update.author, [upload.size for upload in files])
    attached = []
    with stored_files_removed_on_error() as written:
        try:
            for upload in files:
                stored = stored_upload(upload)
                evidence = Evidence(
                    update=update,
                    kind=Evidence.Kind.PDF if stored.is_pdf else Evidence.Kind.PHOTO,
                    original_name=stored.original_name,
                    size_bytes=stored.size,
                    sha256=stored.sha256,
                )
                evidence.file.save(stored.content.name, stored.content, save=False)
                written.append(evidence.file)
                evidence.save()
                attached.append(evidence)
        except OSError as error:
            raise StorageFailure() from error
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
    """Correct a returned update (values, narrative, evidence) and send it back for review.

    ``update.version`` is the version the author saw: the write is one ``UPDATE … WHERE version = %s``,
    so of two concurrent resubmissions exactly one wins and the other raises EditConflict.
    """
    expected_version = update.version
    current = ProgressUpdate.objects.editable_by(author).get(pk=update.pk)  # out of reach: DoesNotExist
    changed = ProgressUpdate.objects.filter(
        pk=current.pk, version=expected_version, state=ProgressUpdate.State.RETURNED
    ).update(
        narrative=narrative,
        achieved_quantity=achieved_quantity,
        achieved_value_vnd=achieved_value_vnd,
        state=ProgressUpdate.State.SUBMITTED,
        submitted_at=at or timezone.now(),
        reviewed_by=None,
        reviewed_at=None,
        resubmission_count=F("resubmission_count") + 1,
        version=F("version") + 1,
        exceeds_target=Commitment.objects.get(pk=current.commitment_id).exceeds_remaining(
            achieved_quantity, achieved_value_vnd
        ),
    )
    if not changed:
        latest = ProgressUpdate.objects.get(pk=current.pk)
        if latest.version != expected_version:
            raise EditConflict(latest)
        raise ValidationError(_("Chỉ báo cáo bị trả lại mới được gửi lại."))
    update.refresh_from_db()
    update.evidence.filter(pk__in=[evidence.pk for evidence in remove_evidence]).delete()
    attach_evidence(update=update, files=evidence_files)
    return update


def _claim_for_review(update: ProgressUpdate, reviewer) -> ProgressUpdate:
    if not can(reviewer, "verify_progress"):
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
    update.version += 1  # an open resubmission form is now stale
    update.save(update_fields=["state", "reviewed_by", "reviewed_at", "version"])
    # Completed the day the verification that reaches the target is recorded, not the day it was
    # reported: a report verified after a cut-off must not complete the commitment before it.
    recompute_achievement(commitment_id=update.commitment_id, completed_on=timezone.localdate(update.reviewed_at))
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
    update.version += 1
    update.save(update_fields=["state", "return_reason", "reviewed_by", "reviewed_at", "version"])
    return update


# The reviewer who verified a report may take it back without a written reason this long afterwards
# (the queue's "Hoàn tác"); later, or by someone else, reopening needs a reason.
UNDO_WINDOW = datetime.timedelta(minutes=5)


def can_undo(update: ProgressUpdate, user, now: datetime.datetime | None = None) -> bool:
    return (
        update.state == ProgressUpdate.State.VERIFIED
        and update.reviewed_by_id == user.pk
        and update.reviewed_at is not None
        and (now or timezone.now()) - update.reviewed_at <= UNDO_WINDOW
    )


@transaction.atomic
def reopen_progress(
    *, update: ProgressUpdate, reviewer, reason: str = "", undo: bool = False, at: datetime.datetime | None = None
) -> ProgressUpdate:
    """Take back a verification made by mistake: the report waits for review again and its figures
    leave the commitment's totals. City staff give a reason, except the reviewer's own undo within
    UNDO_WINDOW. Both steps stay in the audit trail (pghistory records the update and its context)."""
    if not can(reviewer, "verify_progress"):
        raise PermissionDenied
    at = at or timezone.now()
    Commitment.objects.select_for_update().get(pk=update.commitment_id)
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if update.state != ProgressUpdate.State.VERIFIED:
        raise ValidationError(_("Chỉ báo cáo đã xác nhận mới mở lại được."))
    reason = (reason or "").strip()
    if undo and can_undo(update, reviewer, at):
        reason = reason or _("Hoàn tác ngay sau khi xác nhận.")
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do mở lại báo cáo đã xác nhận.")})
    # Verified reports are locked by a database trigger against every other change; reopening is
    # the one sanctioned way back, done here under the row lock.
    with pgtrigger.ignore("commitments.ProgressUpdate:verified_progress_is_locked"):
        update.state = ProgressUpdate.State.SUBMITTED
        update.reviewed_by = None
        update.reviewed_at = None
        update.reopen_reason = reason
        update.reopened_by = reviewer
        update.reopened_at = at
        update.version += 1
        update.save(
            update_fields=[
                "state",
                "reviewed_by",
                "reviewed_at",
                "reopen_reason",
                "reopened_by",
                "reopened_at",
                "version",
            ]
        )
    commitment = recompute_achievement(commitment_id=update.commitment_id, completed_on=timezone.localdate(at))
    if commitment.completed_on is not None and not commitment.is_target_reached():
        commitment.completed_on = None
        commitment.save(update_fields=["completed_on", "updated_at"])
    return update


TOTAL_TOO_LARGE = gettext_lazy(
    "Không thể xác nhận: tổng kết quả của cam kết sẽ vượt giới hạn lưu trữ. Kiểm tra lại số liệu báo cáo "
    "(có thể bị nhập thừa chữ số) và trả lại để đơn vị sửa."
)


def recompute_achievement(*, commitment_id: int, completed_on: datetime.date) -> Commitment:
    """Bring the commitment's verified totals up to date; mark it complete the day its target was reached."""
    commitment = Commitment.objects.get(pk=commitment_id)
    try:
        # A savepoint: a sum past bigint (two forged reports of 9 × 10^18 đ) is an error in PostgreSQL.
        with transaction.atomic():
            totals = ProgressUpdate.objects.filter(
                commitment_id=commitment_id, state=ProgressUpdate.State.VERIFIED
            ).aggregate(quantity=Sum("achieved_quantity"), value=Sum("achieved_value_vnd"))
            commitment.achieved_quantity = totals["quantity"] or Decimal(0)
            commitment.achieved_value_vnd = totals["value"] or 0
            commitment.save(update_fields=["achieved_quantity", "achieved_value_vnd"])
    except DataError as error:
        raise ValidationError(TOTAL_TOO_LARGE, code="total_too_large") from error
    if commitment.completed_on is None and commitment.is_target_reached():
        commitment.completed_on = completed_on
    commitment.save(update_fields=["completed_on", "updated_at"])
    return commitment


@transaction.atomic
def save_commitment(*, commitment: Commitment, editor, reason: str = "") -> Commitment:
    """Create or change a commitment. Changes to its terms (COMMITMENT_TERMS) need a ``reason``.

    City staff create and change any commitment; their term changes apply at once and are recorded
    as an approved adjustment. A unit officer changes only those their unit owns, and their term
    changes become a pending adjustment: the row keeps its terms until city staff approve.
    A change writes only the editable fields, in one ``UPDATE … WHERE id = %s AND version = %s``
    (``commitment.version`` is the version the editor saw): when someone saved in between, nothing
    is written and EditConflict carries the latest saved row. Completion is never set here: it
    follows verified progress (recompute_achievement, settle_completion).
    """
    if commitment.pk is None:
        allowed = can(editor, "add_commitments")
    else:
        allowed = Commitment.objects.editable_by(editor).filter(pk=commitment.pk).exists()
        # An officer may not hand the commitment to another unit (and so out of their own reach).
        allowed = allowed and (can(editor, "change_commitment_terms") or commitment.owner_id == editor.commune_id)
    if not allowed:
        raise PermissionDenied
    if commitment.pk is None:
        commitment.version = 1
        commitment.completed_on = None
        commitment.save()
        return commitment
    current = Commitment.objects.select_related("field", "owner").get(pk=commitment.pk)
    if current.version != commitment.version:
        raise EditConflict(current)
    changes = term_changes(current, commitment)
    reason = (reason or "").strip()
    if changes and not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do điều chỉnh chỉ tiêu, thời hạn của cam kết.")})
    applies_now = can(editor, "change_commitment_terms")
    if changes and not applies_now and CommitmentAdjustment.objects.pending().filter(commitment=current).exists():
        raise ValidationError(PENDING_MESSAGE, code="adjustment_pending")
    written = COMMITMENT_EDITABLE_FIELDS if applies_now else NON_TERM_FIELDS
    attnames = [Commitment._meta.get_field(name).attname for name in written]
    updated = Commitment.objects.filter(pk=commitment.pk, version=commitment.version).update(
        **{attname: getattr(commitment, attname) for attname in attnames},
        updated_at=timezone.now(),
        version=F("version") + 1,
    )
    if not updated:
        raise EditConflict(Commitment.objects.select_related("field", "owner").get(pk=commitment.pk))
    if changes:
        adjustment = CommitmentAdjustment(commitment=current, changes=changes, reason=reason, requested_by=editor)
        if applies_now:
            adjustment.state = CommitmentAdjustment.State.APPROVED
            adjustment.decided_by, adjustment.decided_at = editor, adjustment.requested_at
        try:
            with transaction.atomic():
                adjustment.save()
        except IntegrityError as error:  # a concurrent request won the one-pending-per-commitment index
            raise ValidationError(PENDING_MESSAGE, code="adjustment_pending") from error
        if applies_now:
            settle_completion(commitment_id=commitment.pk)
    commitment.refresh_from_db()
    return commitment


# What an officer changes directly; the terms wait for approval.
NON_TERM_FIELDS = tuple(name for name in COMMITMENT_EDITABLE_FIELDS if name not in COMMITMENT_TERMS)
PENDING_MESSAGE = gettext_lazy(
    "Cam kết này đang có một đề nghị điều chỉnh chờ Thành ủy duyệt. Vui lòng chờ kết quả trước khi đề nghị tiếp."
)


def term_changes(current: Commitment, edited: Commitment) -> dict:
    """The terms ``edited`` changes on ``current``, as CommitmentAdjustment.changes stores them."""
    changes = {}
    for name in COMMITMENT_TERMS:
        model_field = Commitment._meta.get_field(name)
        old, new = getattr(current, model_field.attname), getattr(edited, model_field.attname)
        if isinstance(old, str) or isinstance(new, str):
            old, new = (old or "").strip(), (new or "").strip()
        if old == new:
            continue
        change = {"old": _stored(old), "new": _stored(new)}
        if model_field.is_relation:
            related = model_field.related_model._default_manager.in_bulk([key for key in (old, new) if key])
            for side, key in (("old", old), ("new", new)):
                if key in related:
                    change[f"{side}_label"] = related[key].name
        changes[name] = change
    return changes


def _stored(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def settle_completion(*, commitment_id: int) -> Commitment:
    """Completion after the terms changed, from verified progress only: the day of the verified report
    that first brought the totals to the (new) target, or none when the target is not reached."""
    commitment = Commitment.all_objects.select_for_update().get(pk=commitment_id)
    completed_on = None
    quantity, value = Decimal(0), 0
    verified = ProgressUpdate.objects.filter(commitment_id=commitment_id, state=ProgressUpdate.State.VERIFIED)
    for update in verified.order_by("submitted_at", "pk").only(
        "achieved_quantity", "achieved_value_vnd", "submitted_at"
    ):
        quantity += update.achieved_quantity or 0
        value += update.achieved_value_vnd or 0
        quantity_ok = commitment.target_quantity is None or quantity >= commitment.target_quantity
        value_ok = commitment.target_value_vnd is None or value >= commitment.target_value_vnd
        if quantity_ok and value_ok:
            completed_on = timezone.localdate(update.submitted_at)
            break
    if completed_on != commitment.completed_on:
        commitment.completed_on = completed_on
        commitment.save(update_fields=["completed_on", "updated_at"])
    return commitment


def _claim_adjustment(adjustment: CommitmentAdjustment, reviewer) -> CommitmentAdjustment:
    if not can(reviewer, "verify_progress"):
        raise PermissionDenied
    Commitment.all_objects.select_for_update().get(pk=adjustment.commitment_id)
    adjustment = CommitmentAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if adjustment.state != CommitmentAdjustment.State.PENDING:
        raise ValidationError(_("Đề nghị này đã được xem xét."), code="decided")
    return adjustment


@transaction.atomic
def approve_adjustment(
    *, adjustment: CommitmentAdjustment, reviewer, at: datetime.datetime | None = None
) -> CommitmentAdjustment:
    """Apply a pending adjustment to its commitment; completion is then re-measured on verified progress."""
    adjustment = _claim_adjustment(adjustment, reviewer)
    commitment = Commitment.all_objects.get(pk=adjustment.commitment_id)
    attnames = []
    for name, values in adjustment.changes.items():
        model_field = Commitment._meta.get_field(name)
        setattr(commitment, model_field.attname, model_field.to_python(values["new"]))
        attnames.append(model_field.attname)
    commitment.version += 1  # an open edit form is now stale
    try:
        with transaction.atomic():
            commitment.save(update_fields=[*attnames, "version", "updated_at"])
    except IntegrityError as error:
        # The commitment changed since the request (another adjustment, a member left): the asked-for
        # terms no longer fit together. Nothing is applied; the request stays pending to be refused.
        raise ValidationError(
            _(
                "Không áp dụng được đề nghị này: cam kết đã thay đổi từ khi đề nghị nên chỉ tiêu, thời hạn hoặc "
                "đơn vị thực hiện mới không còn hợp lệ. Hãy không duyệt và nêu lý do."
            ),
            code="does_not_fit",
        ) from error
    settle_completion(commitment_id=commitment.pk)
    adjustment.state = CommitmentAdjustment.State.APPROVED
    adjustment.decided_by = reviewer
    adjustment.decided_at = at or timezone.now()
    adjustment.save(update_fields=["state", "decided_by", "decided_at"])
    return adjustment


@transaction.atomic
def refuse_adjustment(
    *, adjustment: CommitmentAdjustment, reviewer, reason: str, at: datetime.datetime | None = None
) -> CommitmentAdjustment:
    """Refuse a pending adjustment with a reason; the commitment keeps its terms."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do không duyệt.")})
    adjustment = _claim_adjustment(adjustment, reviewer)
    adjustment.state = CommitmentAdjustment.State.REFUSED
    adjustment.decision_reason = reason
    adjustment.decided_by = reviewer
    adjustment.decided_at = at or timezone.now()
    adjustment.save(update_fields=["state", "decision_reason", "decided_by", "decided_at"])
    return adjustment


def voidable_contents(record) -> list:
    """A commitment is voided with its unverified progress reports; a report alone has no contents."""
    if isinstance(record, Commitment):
        return [ProgressUpdate.all_objects.filter(commitment=record).exclude(state=ProgressUpdate.State.VERIFIED)]
    return []


def partnership_contents(sender, partnership, **kwargs) -> list:
    """Voiding a partnership voids its commitments and their unverified progress reports (verified ones
    are locked; their commitment leaves the figures); restoring it brings them back."""
    return [
        Commitment.all_objects.filter(partnership=partnership),
        ProgressUpdate.all_objects.filter(commitment__partnership=partnership).exclude(
            state=ProgressUpdate.State.VERIFIED
        ),
    ]


def void_record(*, record, user, reason: str) -> None:
    """City staff void a commitment (with its unverified reports) or an unverified progress report."""
    if not can(user, "void_records"):
        raise PermissionDenied
    verified = ProgressUpdate.all_objects.filter(pk=record.pk, state=ProgressUpdate.State.VERIFIED)
    if isinstance(record, ProgressUpdate) and verified.exists():
        raise ValidationError(_("Báo cáo đã xác nhận không thể hủy."), code="verified")
    voiding.void(record, user=user, reason=reason, contents=voidable_contents(record))


def restore_record(*, record, user) -> None:
    if not can(user, "void_records"):
        raise PermissionDenied
    voiding.restore(record, contents=voidable_contents(record))
