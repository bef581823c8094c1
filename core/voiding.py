"""Voiding ("hủy do nhập sai") and restoring rows of a VoidableModel (core.models), with their contents.

Nothing is deleted: the row keeps its data and audit trail, leaves every default-manager query (every
list and figure), and comes back on restore. Rows voided together with a record (its contents) carry
the record's ``voided_at`` to the microsecond, which is how a restore finds exactly those again.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _


@transaction.atomic
def void(record, *, user, reason: str, contents: Iterable = ()) -> None:
    """Void ``record`` and the not yet voided rows of each queryset in ``contents``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Vui lòng nêu lý do hủy.")})
    at = timezone.now()
    fields = {"voided_at": at, "voided_by": user, "void_reason": reason}
    if not type(record).all_objects.filter(pk=record.pk, voided_at__isnull=True).update(**fields):
        raise ValidationError(_("Mục này đã được hủy trước đó."), code="already_voided")
    for queryset in contents:
        queryset.filter(voided_at__isnull=True).update(**fields)
    record.voided_at, record.voided_by, record.void_reason = at, user, reason


@transaction.atomic
def restore(record, *, contents: Iterable = ()) -> None:
    """Restore ``record`` and the rows of ``contents`` that were voided with it (the same instant)."""
    at = type(record).all_objects.filter(pk=record.pk).values_list("voided_at", flat=True).first()
    if at is None:
        raise ValidationError(_("Mục này không ở trạng thái đã hủy."), code="not_voided")
    cleared = {"voided_at": None, "voided_by": None, "void_reason": ""}
    for queryset in contents:
        queryset.filter(voided_at=at).update(**cleared)
    type(record).all_objects.filter(pk=record.pk).update(**cleared)
    record.voided_at, record.voided_by, record.void_reason = None, None, ""
