"""Quarterly reports: frozen period figures, the report rows that drive PDF generation, the number register."""

import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ChoiceLabelsMixin
from partnerships.models import member_names_prefetch

from . import conf


def report_file_path(instance, filename: str) -> str:
    """Generated files get random names under the period's year; the download name is built on the fly."""
    suffix = filename.rsplit(".", 1)[-1].lower()[:8]
    return f"reports/{timezone.now():%Y}/{uuid.uuid4().hex}.{suffix}"


class PeriodSnapshot(models.Model):
    """The figures of a reporting period frozen when it was closed; every report of the period reads them.

    ``data`` holds plain rows (units, partnerships, commitments, activities) as ``reports.figures``
    loads them, so a report rendered years later shows what was true at the cut-off.
    """

    period = models.OneToOneField(
        "commitments.ReportingPeriod", on_delete=models.PROTECT, related_name="snapshot", verbose_name=_("kỳ báo cáo")
    )
    data = models.JSONField(_("số liệu"), encoder=DjangoJSONEncoder)
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(_("chốt lúc"), default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("số liệu đã chốt")
        verbose_name_plural = _("số liệu đã chốt")
        triggers = [
            pgtrigger.Protect(
                name="period_snapshot_is_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        return f"{self.period} ({self.taken_at:%d/%m/%Y})"


class NumberRegister(models.Model):
    """The last number issued for one document type (BC = báo cáo) in one committee term."""

    document_type = models.CharField(_("loại văn bản"), max_length=10)
    term = models.CharField(_("nhiệm kỳ"), max_length=20)
    last_number = models.PositiveIntegerField(_("số cuối cùng"), default=0)

    class Meta:
        verbose_name = _("sổ đăng ký số văn bản")
        verbose_name_plural = _("sổ đăng ký số văn bản")
        constraints = [
            models.UniqueConstraint("document_type", "term", name="number_register_once_per_type_and_term"),
        ]

    def __str__(self):
        return f"{self.document_type} {self.term}: {self.last_number}"


# The report's own columns the archive list reads (ReportQuerySet.for_list).
LIST_COLUMNS = (
    "period",
    "kind",
    "partnership",
    "commune",
    "version",
    "status",
    "progress",
    "error_message",
    "requested_by",
    "requested_at",
    "document_type",
    "number",
    "finalised_at",
)


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """City staff, administrators and leadership read every report; unit officers none."""
        if not user.is_authenticated or not user.sees_everything:
            return self.none()
        return self.all()

    def editable_by(self, user):
        """Only city staff and administrators request, finalise and regenerate reports."""
        if not user.is_authenticated or not user.is_city_staff:
            return self.none()
        return self.all()

    def with_related(self):
        return self.select_related("period", "partnership", "commune", "requested_by", "finalised_by")

    def for_display(self):
        """What pages show: the related rows, without ``data`` (the frozen figures only the renderer reads,
        tens of kilobytes of JSON per report that the list would otherwise decode 25 times)."""
        return self.with_related().defer("data").prefetch_related(member_names_prefetch("partnership__memberships"))

    def for_list(self):
        """What the archive list shows of each report (its row and report_status.html): the period, the
        scope, the requester; only the columns those read. An untitled partnership is named by its
        members: the list reads those for its page alone (reports.views.load_partnership_names)."""
        return self.select_related("period", "partnership", "commune", "requested_by").only(
            *LIST_COLUMNS,
            "period__kind",
            "period__year",
            "period__number",
            "partnership__title",
            "commune__kind",
            "commune__name",
            "requested_by__first_name",
            "requested_by__last_name",
            "requested_by__username",
        )

    def unfinished(self):
        return self.filter(status__in=[Report.Status.QUEUED, Report.Status.RUNNING])


# The columns the workbook follow-up writes (see the "finalised_report_is_immutable" trigger).
WORKBOOK_COLUMNS = "ARRAY['xlsx', 'xlsx_sha256', 'xlsx_status', 'xlsx_attempts']"


@pghistory.track(exclude=["heartbeat_at", "progress", "data"])
class Report(ChoiceLabelsMixin, models.Model):
    """One version of a report document (city-wide, one partnership or one unit) for one period.

    The row is the source of truth of the background pipeline: queued → running → done or failed.
    A finalised report carries its number and can no longer change; regenerating makes a new version.
    """

    DOCUMENT_TYPE = "BC"

    class Kind(models.TextChoices):
        CITY = "city", _("Báo cáo toàn thành phố")
        PARTNERSHIP = "partnership", _("Báo cáo một quan hệ kết nghĩa")
        UNIT = "unit", _("Báo cáo một đơn vị")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ xử lý")
        RUNNING = "running", _("Đang tạo")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Lỗi")

    class WorkbookStatus(models.TextChoices):
        """The Excel workbook is made after the PDF (a follow-up task), so the PDF is ready sooner."""

        NONE = "", _("Chưa có")
        PENDING = "pending", _("Đang chuẩn bị")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Lỗi")

    period = models.ForeignKey(
        "commitments.ReportingPeriod", on_delete=models.PROTECT, related_name="reports", verbose_name=_("kỳ báo cáo")
    )
    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices, default=Kind.CITY)
    partnership = models.ForeignKey(
        "partnerships.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("quan hệ kết nghĩa"),
    )
    commune = models.ForeignKey(
        "communes.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("đơn vị"),
    )
    version = models.PositiveSmallIntegerField(_("phiên bản"), default=1)
    next_tasks = models.TextField(_("nhiệm vụ trọng tâm kỳ tới"), blank=True)
    signer_title = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    signer_name = models.CharField(_("họ tên người ký"), max_length=100, blank=True)

    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("số lần chạy"), default=0)
    # A fresh token per claim: only the worker holding the current token may finish the row.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    worker = models.CharField(_("tiến trình xử lý"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người yêu cầu"),
    )
    requested_at = models.DateTimeField(_("yêu cầu lúc"), default=timezone.now)
    queued_at = models.DateTimeField(_("đưa vào hàng đợi lúc"), default=timezone.now)
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("tín hiệu gần nhất"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    error_message = models.TextField(_("thông báo lỗi"), blank=True)

    # The figures the document was rendered from: kept so that finalising re-renders the same content.
    data = models.JSONField(_("số liệu"), encoder=DjangoJSONEncoder, null=True, blank=True, editable=False)
    pdf = models.FileField(_("tệp PDF"), upload_to=report_file_path, blank=True)
    sha256 = models.CharField(_("SHA-256 của tệp PDF"), max_length=64, blank=True)
    size_bytes = models.PositiveIntegerField(_("dung lượng"), default=0)
    page_count = models.PositiveSmallIntegerField(_("số trang"), null=True, blank=True)
    xlsx = models.FileField(_("tệp Excel"), upload_to=report_file_path, blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_status = models.CharField(
        _("trạng thái tệp Excel"), max_length=10, choices=WorkbookStatus.choices, default="", blank=True
    )
    xlsx_attempts = models.PositiveSmallIntegerField(_("số lần tạo tệp Excel"), default=0)

    document_type = models.CharField(_("loại văn bản"), max_length=10, default=DOCUMENT_TYPE, editable=False)
    term = models.CharField(_("nhiệm kỳ"), max_length=20, blank=True, editable=False)
    number = models.PositiveIntegerField(_("số văn bản"), null=True, blank=True, editable=False)
    finalised_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người ban hành"),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "queued_at"], name="report_status_queued_idx")]
        constraints = [
            models.CheckConstraint(
                name="report_scope_matches_kind",
                condition=(
                    Q(kind="city", partnership__isnull=True, commune__isnull=True)
                    | Q(kind="partnership", partnership__isnull=False, commune__isnull=True)
                    | Q(kind="unit", partnership__isnull=True, commune__isnull=False)
                ),
                violation_error_message=_("Phạm vi báo cáo không khớp với loại báo cáo."),
            ),
            models.UniqueConstraint(
                "period",
                "kind",
                "partnership",
                "commune",
                "version",
                name="report_version_unique",
                nulls_distinct=False,
            ),
            models.UniqueConstraint(
                "document_type",
                "term",
                "number",
                condition=Q(number__isnull=False),
                name="report_number_unique_per_type_and_term",
                violation_error_message=_("Số văn bản này đã được cấp."),
            ),
            models.CheckConstraint(
                name="report_number_only_when_final",
                condition=Q(number__isnull=True) | Q(finalised_at__isnull=False),
                violation_error_message=_("Chỉ báo cáo đã ban hành mới có số."),
            ),
            models.CheckConstraint(
                name="report_progress_is_a_percentage",
                condition=Q(progress__lte=100),
            ),
        ]
        triggers = [
            # A finalised report, once its final file exists, is a signed document: nothing may change,
            # except that its Excel workbook, made just after the PDF, may still be stored once.
            pgtrigger.Protect(
                name="finalised_report_is_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.status = 'done' AND OLD.finalised_at IS NOT NULL AND NOT ("
                    "OLD.xlsx_status = 'pending' AND "
                    f"(to_jsonb(NEW.*) - {WORKBOOK_COLUMNS}) = (to_jsonb(OLD.*) - {WORKBOOK_COLUMNS}))"
                ),
            ),
            pgtrigger.Protect(
                name="finalised_report_is_kept",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Condition("OLD.status = 'done' AND OLD.finalised_at IS NOT NULL"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.period} (v{self.version})"

    def get_absolute_url(self):
        return reverse("reports:report_detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.finalised_at is not None

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def number_label(self) -> str:
        """ "Số 07-BC/TU" (no colon); a draft has no number yet: "Số    -BC/TU"."""
        issuer = conf.get("REPORT_ISSUER_CODE")
        if self.number is None:
            return f"Số\u2003\u2003-{self.document_type}/{issuer}"
        return f"Số {self.number:02d}-{self.document_type}/{issuer}"

    @property
    def scope_label(self) -> str:
        if self.kind == self.Kind.PARTNERSHIP and self.partnership_id:
            return str(self.partnership)
        if self.kind == self.Kind.UNIT and self.commune_id:
            return str(self.commune)
        return str(_("Toàn thành phố"))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def download_name(self, extension: str) -> str:
        number = f"{self.number:02d}-BC-TU" if self.number else f"du-thao-v{self.version}"
        period = f"{self.period.year}-{self.period.kind}-{self.period.number}"
        return f"bao-cao-{period}-{self.kind}-{number}.{extension}"


class Reminder(models.Model):
    """A before-cut-off reminder e-mailed to one unit for one period (sent once per unit and period)."""

    period = models.ForeignKey("commitments.ReportingPeriod", on_delete=models.CASCADE, related_name="+")
    commune = models.ForeignKey("communes.Commune", on_delete=models.CASCADE, related_name="+")
    recipients = models.PositiveSmallIntegerField(_("số người nhận"), default=0)
    sent_at = models.DateTimeField(_("gửi lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("nhắc báo cáo")
        verbose_name_plural = _("nhắc báo cáo")
        constraints = [models.UniqueConstraint("period", "commune", name="reminder_once_per_unit_and_period")]

    def __str__(self):
        return f"{self.commune_id} – {self.period_id}"


def signed_copy_path(instance, filename: str) -> str:
    return f"reports/signed/{timezone.now():%Y}/{uuid.uuid4().hex}.pdf"


class ReportNarrativeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(report__in=Report.objects.visible_to(user))


@pghistory.track()
class ReportNarrative(models.Model):
    """One saved version of a report's text (its narrative sections): the portal's draft, then each edit.

    Versions are never changed (a trigger refuses updates), so who wrote what and when is kept; the
    newest is what the report prints. Finalising freezes it: no version may be added to a final report.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="narratives", verbose_name=_("báo cáo"))
    sections = models.JSONField(_("nội dung"), encoder=DjangoJSONEncoder)
    # None: the draft the portal wrote from the figures.
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người soạn"),
    )
    saved_at = models.DateTimeField(_("lưu lúc"), default=timezone.now)

    objects = ReportNarrativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("nội dung báo cáo")
        verbose_name_plural = _("nội dung báo cáo")
        ordering = ["-saved_at", "-pk"]
        triggers = [pgtrigger.Protect(name="report_narrative_is_kept", operation=pgtrigger.Update)]

    def __str__(self):
        return f"{self.report_id} – {self.saved_at:%d/%m/%Y %H:%M}"


class SignedCopyQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(report__in=Report.objects.visible_to(user))


@pghistory.track()
class SignedCopy(models.Model):
    """The signed and stamped copy of a finalised report (a PDF scan), kept with its number and SHA-256."""

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="signed_copies", verbose_name=_("báo cáo")
    )
    number_label = models.CharField(_("số văn bản"), max_length=40)
    file = models.FileField(_("bản đã ký, đóng dấu"), upload_to=signed_copy_path)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.PositiveIntegerField(_("dung lượng"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người tải lên")
    )
    uploaded_at = models.DateTimeField(_("tải lên lúc"), default=timezone.now)

    objects = SignedCopyQuerySet.as_manager()

    class Meta:
        verbose_name = _("bản đã ký")
        verbose_name_plural = _("bản đã ký")
        ordering = ["-uploaded_at", "-pk"]
        triggers = [
            pgtrigger.Protect(name="signed_copy_is_kept", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.number_label} ({self.uploaded_at:%d/%m/%Y})"
