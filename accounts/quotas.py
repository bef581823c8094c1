"""Quotas on expensive actions, counted in PostgreSQL inside the write transaction (RELIABILITY §2.9).

Each check takes a transaction-scoped advisory lock first, so two concurrent requests of the same
person (or, for global caps, of anyone) are counted one after the other and cannot both slip under
the limit. ``QuotaExceeded`` is a ValidationError: views already show those next to the form, with
everything typed kept.
"""

import zlib
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import QuotaUse

UPLOADS = "uploads"


class QuotaExceeded(ValidationError):
    pass


def lock(name: str, key: int = 0) -> None:
    """Hold an advisory lock on (name, key) until the surrounding transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("quota checks must run inside the write transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [zlib.crc32(name.encode()) - 2**31, key])


def charge_uploads(user, sizes: Sequence[int]) -> None:
    """Count ``len(sizes)`` files and ``sum(sizes)`` bytes against today's (last 24 h) upload quota."""
    if not sizes or user is None:
        return
    lock("quota:" + UPLOADS, user.pk)
    since = timezone.now() - timedelta(days=1)
    used = QuotaUse.objects.filter(user=user, kind=UPLOADS, used_at__gt=since).aggregate(
        files=Count("pk"), size=Sum("amount")
    )
    files, size = used["files"] + len(sizes), (used["size"] or 0) + sum(sizes)
    if files > settings.UPLOAD_FILES_PER_USER_PER_DAY or size > settings.UPLOAD_BYTES_PER_USER_PER_DAY:
        raise QuotaExceeded(
            _(
                "Bạn đã tải lên %(files)s tệp (%(size)s) trong 24 giờ qua, chạm giới hạn %(max_files)s tệp hoặc "
                "%(max_size)s mỗi ngày. Nội dung đã nhập vẫn được giữ; hãy gửi lại sau hoặc liên hệ Thành ủy."
            )
            % {
                "files": used["files"],
                "size": filesizeformat(used["size"] or 0),
                "max_files": settings.UPLOAD_FILES_PER_USER_PER_DAY,
                "max_size": filesizeformat(settings.UPLOAD_BYTES_PER_USER_PER_DAY),
            },
            code="upload_quota",
        )
    QuotaUse.objects.bulk_create(QuotaUse(user=user, kind=UPLOADS, amount=amount) for amount in sizes)
