"""Multi-step writes on partnerships: the partnership with its members, member changes, activities.

Member rules are enforced by PostgreSQL (a deferred trigger: exactly one supported unit and at least
one supporter; a composite foreign key: a unit that owns commitments stays a member). Each service
checks the deferred rules before returning, so a violation surfaces here, as a Vietnamese
ValidationError, and the partial write is rolled back.
"""

import contextlib
import datetime
from collections.abc import Iterator, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from accounts.quotas import charge_uploads
from communes.models import Commune
from core import voiding

from .models import Activity, ActivityPhoto, Document, Membership, Partnership
from .signals import partnership_contents
from .uploads import save_with_files, stored_files_removed_on_error, stored_upload

CONSTRAINT_MESSAGES = {
    "commitment_owner_is_member": lambda: _(
        "Không thể bỏ đơn vị này: đơn vị đang thực hiện cam kết trong quan hệ kết nghĩa. "
        "Hãy chuyển hoặc xóa các cam kết của đơn vị trước."
    ),
    "must have exactly one supported unit": lambda: _(
        "Quan hệ kết nghĩa phải có đúng một đơn vị được hỗ trợ và ít nhất một đơn vị hỗ trợ."
    ),
    "membership_unit_once_per_partnership": lambda: _("Một đơn vị chỉ được tham gia quan hệ kết nghĩa một lần."),
    "membership_periods_do_not_overlap": lambda: _(
        "Đơn vị này đã là thành viên của quan hệ kết nghĩa trong khoảng thời gian đó: "
        "các giai đoạn tham gia không được chồng lên nhau."
    ),
    "membership_leaves_after_joining": lambda: _("Ngày rời đi phải sau ngày tham gia."),
    "membership_one_supported_unit": lambda: _("Mỗi quan hệ kết nghĩa chỉ có một đơn vị được hỗ trợ."),
    "membership_one_lead_supporter": lambda: _("Mỗi quan hệ kết nghĩa chỉ có một đơn vị hỗ trợ chính."),
    "partnership_unsigned_has_no_signing_date": lambda: _("Quan hệ chưa ký kết thì không có ngày ký."),
    "partnership_term_ends_after_start": lambda: _("Ngày hết hiệu lực phải sau ngày bắt đầu."),
}


def integrity_message(error: IntegrityError) -> str:
    """The Vietnamese explanation of a database rule violation raised by a member write."""
    text = str(error)
    for marker, message in CONSTRAINT_MESSAGES.items():
        if marker in text:
            return message()
    return _("Dữ liệu chưa hợp lệ nên chưa được lưu. Vui lòng kiểm tra lại.")


@contextlib.contextmanager
def database_rules() -> Iterator[None]:
    """Run the block in a savepoint, check deferred rules at its end, and turn violations into
    ValidationError (after rolling the block back)."""
    try:
        with transaction.atomic():
            yield
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except IntegrityError as error:
        raise ValidationError(integrity_message(error), code="integrity") from error


def _require_editor(user, partnership: Partnership | None = None) -> None:
    if not can(user, "edit_partnerships"):
        raise PermissionDenied
    if partnership is not None and not Partnership.objects.editable_by(user).filter(pk=partnership.pk).exists():
        raise PermissionDenied


def _leave(membership: Membership, day: datetime.date, *, signed: bool) -> None:
    """End ``membership`` on ``day``: recorded as leaving once the partnership has been signed (past
    figures keep the unit), deleted before that, or when the unit joined that very day (it was never a
    member on any day)."""
    if not signed or membership.joined_on == day:
        Membership.objects.filter(pk=membership.pk).delete()  # a refusal leaves the instance intact
        return
    if membership.joined_on is not None and day < membership.joined_on:
        raise ValidationError(
            _("%(name)s tham gia từ %(joined)s: ngày rời đi không được trước ngày đó.")
            % {"name": membership.commune.name, "joined": membership.joined_on.strftime("%d/%m/%Y")},
            code="left_before_joining",
        )
    Membership.objects.filter(pk=membership.pk).update(left_on=day)


def _write_members(
    partnership: Partnership, members: Sequence[tuple[Commune, str]], *, day: datetime.date | None = None
) -> None:
    """Make the partnership's current members exactly these (unit, role) pairs, keeping the rows (and
    history) of units that stay. A unit dropped leaves on ``day`` (default today, see ``_leave``); a unit
    added joins on ``day`` once the partnership has been signed, else from the start (its signing)."""
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationError(_("Ngày thay đổi thành viên không được sau hôm nay."), code="future_member_change")
    wanted = {}
    for commune, role in members:
        if commune.pk in wanted:
            raise ValidationError(
                CONSTRAINT_MESSAGES["membership_unit_once_per_partnership"](), code="duplicate_member"
            )
        wanted[commune.pk] = role
    current = {
        m.commune_id: m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("commune")
        .filter(partnership=partnership, left_on__isnull=True)
        .order_by("pk")
    }
    signed = partnership.has_been_signed()
    for code, membership in current.items():
        if code not in wanted:
            _leave(membership, day, signed=signed)
    # Roles are unique per partnership (one supported, one lead): park changed rows first, then set.
    changed = [m for code, m in current.items() if code in wanted and m.role != wanted[code]]
    Membership.objects.filter(pk__in=[m.pk for m in changed]).update(role=Membership.Role.CO_SUPPORTER)
    for membership in changed:
        Membership.objects.filter(pk=membership.pk).update(role=wanted[membership.commune_id])
    joined_on = day if current and signed else partnership.signed_on
    Membership.objects.bulk_create(
        Membership(partnership=partnership, commune_id=code, role=role, joined_on=joined_on)
        for code, role in wanted.items()
        if code not in current
    )


@transaction.atomic
def create_partnership(*, partnership: Partnership, members: Sequence[tuple[Commune, str]], user) -> Partnership:
    """Save a new (unsaved) partnership with its members, (unit, role) pairs, all or nothing."""
    _require_editor(user)
    try:
        with database_rules():
            partnership.save()
            _write_members(partnership, members)
    except ValidationError:
        partnership.pk = None
        partnership._state.adding = True
        raise
    return partnership


@transaction.atomic
def update_partnership(
    *,
    partnership: Partnership,
    members: Sequence[tuple[Commune, str]],
    user,
    members_changed_on: datetime.date | None = None,
) -> Partnership:
    """Save changes to a partnership and bring its current members to the given (unit, role) pairs, all
    or nothing. Units dropped leave, and units added join, on ``members_changed_on`` (default today).

    A unit that owns commitments cannot be dropped from a partnership never signed (the database
    refuses; nothing is saved); from a signed one it leaves and keeps its commitments.
    """
    _require_editor(user, partnership)
    with database_rules():
        partnership.save()
        _write_members(partnership, members, day=members_changed_on)
    return partnership


@transaction.atomic
def add_member(*, membership: Membership, user) -> Membership:
    """Add a supporting unit (lead or co-supporter) to a partnership."""
    _require_editor(user, membership.partnership)
    with database_rules():
        membership.save()
    return membership


@transaction.atomic
def change_member_role(*, membership: Membership, role: str, user) -> Membership:
    """Make a supporting unit the lead supporter or a co-supporter, row by row on the partnership page.

    A new lead takes the place of the former one, who stays as a co-supporter (one lead per partnership)."""
    _require_editor(user, membership.partnership)
    supporting = (Membership.Role.LEAD_SUPPORTER, Membership.Role.CO_SUPPORTER)
    if membership.role not in supporting or role not in supporting:
        raise ValidationError(_("Chỉ đổi được vai trò giữa hỗ trợ chính và cùng hỗ trợ."), code="role_not_supporting")
    with database_rules():
        if role == Membership.Role.LEAD_SUPPORTER:
            # The former lead steps down first: the one-lead index is checked at each statement.
            Membership.objects.filter(partnership_id=membership.partnership_id, role=role).exclude(
                pk=membership.pk
            ).update(role=Membership.Role.CO_SUPPORTER)
        Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.refresh_from_db()
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, user, left_on: datetime.date | None = None) -> None:
    """Take a supporting unit out: it leaves on ``left_on`` (default today) once the partnership has been
    signed, else its row goes. Refused for the supported unit, the last supporter, a unit that already
    left, or (never signed) a unit with commitments."""
    _require_editor(user, membership.partnership)
    if membership.role == Membership.Role.SUPPORTED:
        raise ValidationError(
            _("Không thể bỏ đơn vị được hỗ trợ. Hãy sửa quan hệ kết nghĩa để đổi đơn vị."), code="supported_member"
        )
    today = timezone.localdate()
    left_on = left_on or today
    if left_on > today:
        raise ValidationError(_("Ngày rời đi không được sau hôm nay."), code="future_leaving")
    with database_rules():
        locked = Membership.objects.select_for_update().filter(pk=membership.pk, left_on__isnull=True).first()
        if locked is None:
            raise ValidationError(_("Đơn vị này đã rời quan hệ kết nghĩa."), code="already_left")
        _leave(membership, left_on, signed=membership.partnership.has_been_signed())


@transaction.atomic
def log_activity(*, activity: Activity, partnership: Partnership, photos: Sequence = (), user) -> Activity:
    """Record an activity with its (already validated) photos, on behalf of city staff or a member unit."""
    if not Partnership.objects.activities_loggable_by(user).filter(pk=partnership.pk).exists():
        raise PermissionDenied
    charge_uploads(user, [upload.size for upload in photos])
    activity.partnership = partnership
    activity.logged_by = user
    activity.save()
    with stored_files_removed_on_error() as written:  # a failure removes the photos already written
        for index, upload in enumerate(photos, start=1):
            stored = stored_upload(upload)
            photo = ActivityPhoto(
                activity=activity,
                image=stored.content,
                sha256=stored.sha256,
                caption=(_("Ảnh %(number)s: %(title)s") % {"number": index, "title": activity.title})[:300],
            )
            save_with_files(photo, written=written)
    return activity


def voidable_contents(record) -> list:
    """What is voided and restored with ``record``: a partnership's activities and documents, and what the
    apps built on partnerships answer to ``partnership_contents`` (commitments: its commitments and their
    unverified progress reports)."""
    if not isinstance(record, Partnership):
        return []
    own = [Activity.all_objects.filter(partnership=record), Document.all_objects.filter(partnership=record)]
    answers = partnership_contents.send(sender=Partnership, partnership=record)
    return own + [queryset for _receiver, querysets in answers for queryset in querysets]


def void_record(*, record, user, reason: str) -> None:
    """City staff void a partnership (with its contents), an activity or a document."""
    _require_editor(user)
    voiding.void(record, user=user, reason=reason, contents=voidable_contents(record))


def restore_record(*, record, user) -> None:
    _require_editor(user)
    voiding.restore(record, contents=voidable_contents(record))
