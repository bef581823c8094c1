"""Report requests: at most REPORT_REQUESTS_PER_USER_PER_HOUR per person and REPORT_QUEUE_LIMIT waiting
in all (RELIABILITY K6), counted in PostgreSQL under one advisory lock held until the request commits."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.quotas import QuotaExceeded, lock  # noqa: F401 (QuotaExceeded: for the views)

from .models import Report


def check_report_quota(user) -> None:
    if user is None:  # the scheduled draft of the city report
        return
    lock("quota:reports")
    since = timezone.now() - timedelta(hours=1)
    if (
        Report.objects.filter(requested_by=user, requested_at__gt=since).count()
        >= settings.REPORT_REQUESTS_PER_USER_PER_HOUR
    ):
        raise QuotaExceeded(
            _("Bạn đã yêu cầu %(count)s báo cáo trong một giờ qua, là mức tối đa. Hãy thử lại sau ít phút.")
            % {"count": settings.REPORT_REQUESTS_PER_USER_PER_HOUR},
            code="report_quota_user",
        )
    if Report.objects.unfinished().count() >= settings.REPORT_QUEUE_LIMIT:
        raise QuotaExceeded(
            _("Hệ thống đang có quá nhiều báo cáo chờ tạo. Hãy thử lại sau ít phút; thông tin đã nhập vẫn được giữ."),
            code="report_quota_queue",
        )
