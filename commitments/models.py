"""What each member unit promised, by field, and the progress it reports against that promise."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import ActiveManager, ChoiceLabelsMixin, VoidableModel
from core.templatetags.portal import number, vnd
from partnerships.models import Partnership, member_names_prefetch, upload_path


@pghistory.track()
class Field(models.Model):
    """A field (lĩnh vực) of cooperation, from Resolution 02-NQ/TU and the signed programmes."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=200, unique=True)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200, blank=True)
    # A sheet name in the Excel report (at most 31 characters there), so it is never cut mid-word.
    short_name = models.CharField(_("tên ngắn"), max_length=31, blank=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ReportingPeriodQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.all() if user.is_authenticated else self.none()

    def containing(self, day: datetime.date):
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def quarters(self):
        return self.filter(kind=ReportingPeriod.Kind.QUARTER)

    def open(self):
        return self.filter(closed_at__isnull=True)


@pghistory.track()
class ReportingPeriod(ChoiceLabelsMixin, models.Model):
    """A reporting quarter (or half-year, year) with its data cut-off.

    It lives here, not in ``reports``, because progress updates are filed against it; reports only
    read it. The default cut-off follows Nghị định 09/2019 (the 15th of the month before the quarter
    to the 14th of its last month); calendar quarters are the alternative convention.
    """

    class Kind(models.TextChoices):
        QUARTER = "quarter", _("Quý")
        HALF_YEAR = "half_year", _("6 tháng")
        YEAR = "year", _("Năm")

    class Convention(models.TextChoices):
        DECREE_09 = "decree_09", _("Theo Nghị định 09/2019 (15 – 14)")
        CALENDAR = "calendar", _("Theo quý dương lịch")

    kind = models.CharField(_("loại kỳ"), max_length=20, choices=Kind.choices, default=Kind.QUARTER)
    convention = models.CharField(
        _("cách tính"), max_length=20, choices=Convention.choices, default=Convention.DECREE_09
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveSmallIntegerField(_("số kỳ"), help_text=_("Quý 1–4, 6 tháng 1–2, năm 1."))
    starts_on = models.DateField(_("số liệu từ ngày"))
    ends_on = models.DateField(_("số liệu đến ngày"))
    closed_at = models.DateTimeField(_("chốt số liệu lúc"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("kỳ báo cáo")
        verbose_name_plural = _("kỳ báo cáo")
        ordering = ["-starts_on", "kind"]
        constraints = [
            models.UniqueConstraint("kind", "convention", "year", "number", name="reporting_period_unique"),
            models.CheckConstraint(
                name="reporting_period_ends_after_start",
                condition=Q(ends_on__gt=F("starts_on")),
                violation_error_message=_("Ngày kết thúc kỳ phải sau ngày bắt đầu."),
            ),
            models.CheckConstraint(
                name="reporting_period_number_in_range",
                condition=(
                    Q(kind="quarter", number__gte=1, number__lte=4)
                    | Q(kind="half_year", number__gte=1, number__lte=2)
                    | Q(kind="year", number=1)
                ),
                violation_error_message=_("Số kỳ không hợp lệ với loại kỳ."),
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        # In the active language (English pages said "Quý IV năm 2026"); the year is not grouped.
        roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
        year = str(self.year)
        if self.kind == self.Kind.QUARTER:
            return gettext("Quý %(number)s năm %(year)s") % {"number": roman[self.number], "year": year}
        if self.kind == self.Kind.HALF_YEAR:
            if self.number == 1:
                return gettext("6 tháng đầu năm %(year)s") % {"year": year}
            return gettext("6 tháng cuối năm %(year)s") % {"year": year}
        return gettext("Năm %(year)s") % {"year": year}

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @classmethod
    def quarter_bounds(cls, year: int, quarter: int, convention: str) -> tuple[datetime.date, datetime.date]:
        """First and last day of a quarter's data under a convention (Q1 of 2026 starts 15/12/2025)."""
        last_month = quarter * 3
        if convention == cls.Convention.CALENDAR:
            start = datetime.date(year, last_month - 2, 1)
            end = datetime.date(year + (last_month == 12), last_month % 12 + 1, 1) - datetime.timedelta(days=1)
            return start, end
        first_month = last_month - 3
        start = datetime.date(year - 1, 12, 15) if first_month == 0 else datetime.date(year, first_month, 15)
        return start, datetime.date(year, last_month, 14)

    @classmethod
    def quarter_containing(cls, day: datetime.date) -> "ReportingPeriod | None":
        """The quarter whose data ``day`` falls in (the newer convention's where both have one), or None."""
        return cls.objects.quarters().containing(day).order_by("-convention").first()


class Numeric(models.Func):
    """``x::numeric``: exact, unbounded division of money (bigint) sums, which overflow numeric(p, s)."""

    template = "(%(expressions)s)::numeric"
    output_field = models.DecimalField()


# Upper bounds of what one commitment or one progress report may state. The largest commitments of
# the programme are houses worth a few billion đồng; a thousand billion (10^12) leaves ample room while
# a mistyped or forged figure cannot push a sum past PostgreSQL's bigint (9.2 × 10^18).
MAX_QUANTITY = Decimal(1_000_000)
MAX_VALUE_VND = 10**12


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day`` in the current time zone. ``moment < end_of_day(day)`` means
    ``moment__date <= day``, written so that an index on the moment answers it (a cast of every row's
    moment to a local date cannot use one)."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


class CommitmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_authenticated and user.sees_everything:
            return self.all()  # no subquery over every partnership for those who read them all
        return self.filter(partnership__in=Partnership.objects.contents_visible_to(user))

    def editable_by(self, user):
        """City staff change any commitment; an officer only those their own unit owns."""
        if not user.is_authenticated:
            return self.none()
        if user.is_city_staff:
            return self.all()
        if user.is_unit_officer:  # while the unit is a member: one that has left keeps none
            current = Partnership.objects.with_member_communes(user.commune_id).values("pk")
            return self.filter(owner_id=user.commune_id, partnership__in=current)
        return self.none()

    def with_status(self, today: datetime.date | None = None):
        """Annotate ``status`` (one of Commitment.Status) and ``progress`` (0..100) as of ``today``.

        The programme's rules for a commitment, written once; every list, page and report reads them:

        - completed only if ``completed_on`` is on or before the day; on time when not after ``due_on``;
        - overdue when due before the day and not completed by then;
        - not started when it starts after the day or has no progress reported on or before it;
        - ``progress`` is the share of the target (quantity first, else value) reached by progress
          verified on or before the day (``verified_quantity``, ``verified_value_vnd``).
        """
        today = today or timezone.localdate()
        reported = ProgressUpdate.objects.filter(commitment=OuterRef("pk")).reported_by(today)
        completed = Q(completed_on__lte=today)
        # The EXISTS stays inside the CASE: a separate annotation would be selected and compiled twice.
        return self.with_progress(today).annotate(
            status=Case(
                When(
                    completed & (Q(due_on__isnull=True) | Q(completed_on__lte=F("due_on"))),
                    then=Value(Commitment.Status.COMPLETED_ON_TIME),
                ),
                When(completed, then=Value(Commitment.Status.COMPLETED_LATE)),
                When(due_on__lt=today, then=Value(Commitment.Status.OVERDUE)),
                When(Q(start_on__gt=today) | ~Exists(reported), then=Value(Commitment.Status.NOT_STARTED)),
                default=Value(Commitment.Status.IN_PROGRESS),
                output_field=models.CharField(),
            ),
        )

    def with_progress(self, today: datetime.date | None = None):
        """Annotate ``verified_quantity``, ``verified_value_vnd`` (sums of progress verified on or before
        ``today``) and ``progress``, the share of the target they reach, 0..100 (see ``with_status``)."""
        today = today or timezone.localdate()
        columns = {
            "verified_quantity": ("achieved_quantity", models.DecimalField(max_digits=16, decimal_places=2)),
            "verified_value_vnd": ("achieved_value_vnd", models.BigIntegerField()),
        }
        if today >= timezone.localdate():
            # As of today the sums are the totals commitments.services keeps on the row at every
            # verification (nothing is verified after today): the same figures without a subquery.
            sums = {
                name: models.ExpressionWrapper(F(column), output_field=output_field)
                for name, (column, output_field) in columns.items()
            }
        else:
            verified = ProgressUpdate.objects.filter(commitment=OuterRef("pk")).verified_by(today).order_by()
            sums = {
                name: Coalesce(
                    Subquery(
                        verified.values("commitment").annotate(total=Sum(column)).values("total"),
                        output_field=output_field,
                    ),
                    Value(0),
                    output_field=output_field,
                )
                for name, (column, output_field) in columns.items()
            }
        ratio = Case(
            When(target_quantity__gt=0, then=F("verified_quantity") / F("target_quantity")),
            When(target_value_vnd__gt=0, then=Numeric("verified_value_vnd") / Numeric("target_value_vnd")),
            default=Value(Decimal(0)),
            output_field=models.DecimalField(),
        )
        # One annotate(): ``progress`` reads the two sums annotated just before it in the same call.
        return self.annotate(
            **sums,
            progress=Cast(
                Round(Least(Greatest(ratio, Value(Decimal(0))), Value(Decimal(1))) * Value(100)),
                models.IntegerField(),
            ),
        )

    def with_reported_in(self, period):
        """Annotate ``reported_this_period``: whether any progress update was filed in ``period``."""
        return self.annotate(
            reported_this_period=Exists(ProgressUpdate.objects.filter(commitment=OuterRef("pk"), period=period))
        )

    def overdue(self, today: datetime.date | None = None):
        """Commitments overdue on ``today``: ``with_status``'s rule, as a filter."""
        today = today or timezone.localdate()
        return self.filter(Q(completed_on__isnull=True) | Q(completed_on__gt=today), due_on__lt=today)

    def with_related(self):
        return self.select_related("field", "owner", "partnership")

    def with_adjustments_flag(self):
        """Annotate ``has_adjustments``: whether a change to the terms was ever requested, so that a page
        reads the adjustments (and who asked and decided) only for a commitment that has some."""
        return self.annotate(has_adjustments=Exists(CommitmentAdjustment.objects.filter(commitment=OuterRef("pk"))))

    def with_partnership_names(self):
        """The partnerships' members, for their names (a partnership without a title is named by its units)."""
        return self.prefetch_related(member_names_prefetch("partnership__memberships"))


@pghistory.track()
class Commitment(ChoiceLabelsMixin, VoidableModel):
    """A promise made in a partnership by one member unit, in one field, with a measurable target."""

    class Horizon(models.TextChoices):
        IMMEDIATE = "immediate", _("Trước mắt")
        LONG_TERM = "long_term", _("Lâu dài")

    class SupportForm(models.TextChoices):
        CASH = "cash", _("Tiền mặt")
        GOODS = "goods", _("Hàng hóa, vật tư")
        HOUSING = "housing", _("Nhà ở")
        SCHOLARSHIP = "scholarship", _("Học bổng")
        TRAINING = "training", _("Tập huấn, đào tạo")
        DELEGATION = "delegation", _("Đoàn trao đổi kinh nghiệm")
        SECONDMENT = "secondment", _("Cử cán bộ")
        BUSINESS = "business", _("Kêu gọi doanh nghiệp")
        EQUIPMENT = "equipment", _("Trang thiết bị")
        OTHER = "other", _("Khác")

    class Status(models.TextChoices):
        COMPLETED_ON_TIME = "completed_on_time", _("Hoàn thành đúng hạn")
        COMPLETED_LATE = "completed_late", _("Hoàn thành quá hạn")
        IN_PROGRESS = "in_progress", _("Đang thực hiện trong hạn")
        OVERDUE = "overdue", _("Quá hạn")
        NOT_STARTED = "not_started", _("Chưa bắt đầu")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("quan hệ kết nghĩa")
    )
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("lĩnh vực"))
    owner = models.ForeignKey(
        "communes.Commune",
        on_delete=models.PROTECT,
        related_name="owned_commitments",
        verbose_name=_("đơn vị thực hiện"),
        help_text=_("Phải là thành viên của quan hệ kết nghĩa."),
    )
    title = models.CharField(_("nội dung cam kết"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    horizon = models.CharField(_("thời hạn"), max_length=20, choices=Horizon.choices, default=Horizon.IMMEDIATE)
    support_form = models.CharField(_("hình thức hỗ trợ"), max_length=20, choices=SupportForm.choices)
    target_quantity = models.DecimalField(
        _("chỉ tiêu số lượng"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_unit = models.CharField(
        _("đơn vị tính"), max_length=50, blank=True, help_text=_("Ví dụ: căn nhà, suất học bổng, lớp.")
    )
    target_value_vnd = models.BigIntegerField(_("giá trị (đồng)"), null=True, blank=True)
    start_on = models.DateField(_("ngày bắt đầu"))
    due_on = models.DateField(_("hạn hoàn thành"), null=True, blank=True)
    # Maintained by commitments.services when progress is verified: sums of verified updates only.
    achieved_quantity = models.DecimalField(_("đã đạt (số lượng)"), max_digits=14, decimal_places=2, default=Decimal(0))
    achieved_value_vnd = models.BigIntegerField(_("đã đạt (đồng)"), default=0)
    completed_on = models.DateField(_("ngày hoàn thành"), null=True, blank=True)
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    # Optimistic locking: every edit is an UPDATE … WHERE version = <the version the editor saw>,
    # which also adds 1; a stale form changes nothing and gets a conflict (commitments.services).
    version = models.PositiveIntegerField(_("phiên bản"), default=1, editable=False)

    objects = ActiveManager.from_queryset(CommitmentQuerySet)()
    all_objects = models.Manager.from_queryset(CommitmentQuerySet)()  # voided ones too

    class Meta:
        verbose_name = _("cam kết")
        verbose_name_plural = _("cam kết")
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="commitment_has_measurable_target",
                condition=Q(target_quantity__isnull=False) | Q(target_value_vnd__isnull=False),
                violation_error_message=_("Cần nhập chỉ tiêu số lượng hoặc giá trị (đồng)."),
            ),
            models.CheckConstraint(
                name="commitment_quantity_has_unit",
                condition=Q(target_quantity__isnull=True) | ~Q(target_unit=""),
                violation_error_message=_("Chỉ tiêu số lượng cần có đơn vị tính."),
            ),
            models.CheckConstraint(
                name="commitment_targets_positive",
                condition=(Q(target_quantity__isnull=True) | Q(target_quantity__gt=0))
                & (Q(target_value_vnd__isnull=True) | Q(target_value_vnd__gt=0)),
                violation_error_message=_("Chỉ tiêu phải lớn hơn 0."),
            ),
            models.CheckConstraint(
                name="commitment_due_after_start",
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("start_on")),
                violation_error_message=_("Hạn hoàn thành không được trước ngày bắt đầu."),
            ),
            models.CheckConstraint(
                name="commitment_achieved_not_negative",
                condition=Q(achieved_quantity__gte=0) & Q(achieved_value_vnd__gte=0),
                violation_error_message=_("Kết quả đạt được không được âm."),
            ),
        ]
        # The owner must be (or have been) a member of the same partnership: deferred constraint
        # triggers on both tables (migration 0016; a composite foreign key before units could leave).
        indexes = [
            # The live commitments by field: the commitment list counts its rows, in one field or in
            # all, from this small index alone instead of visiting a table page for each row.
            models.Index(fields=["field"], condition=Q(voided_at__isnull=True), name="commitment_live_field_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("commitments:commitment_detail", args=[self.pk])

    @property
    def progress_percent(self) -> int:
        """Share of the target reached by verified progress, 0..100: ``with_status()``'s ``progress``.

        A commitment fetched without that annotation asks the database for it (one query), so the
        rule is never computed twice in two languages."""
        if "progress" not in self.__dict__:
            self.progress = Commitment.objects.with_progress().values_list("progress", flat=True).get(pk=self.pk)
        return self.progress

    def is_editable_by(self, user) -> bool:
        """Whether ``Commitment.objects.editable_by(user)`` holds this commitment, answered without a
        query: for what a page offers (its buttons). Writes still go through ``editable_by``."""
        if not user.is_authenticated:
            return False
        if user.is_city_staff:
            return True
        return user.is_unit_officer and self.owner_id == user.commune_id

    def exceeds_remaining(self, quantity: Decimal | None, value: int | None) -> bool:
        """Whether a reported result is more than what the target still needs beyond verified progress."""
        if quantity is not None and self.target_quantity is not None:
            if quantity > max(self.target_quantity - self.achieved_quantity, 0):
                return True
        if value is not None and self.target_value_vnd is not None:
            if value > max(self.target_value_vnd - self.achieved_value_vnd, 0):
                return True
        return False

    def is_target_reached(self) -> bool:
        quantity_ok = self.target_quantity is None or self.achieved_quantity >= self.target_quantity
        value_ok = self.target_value_vnd is None or self.achieved_value_vnd >= self.target_value_vnd
        return quantity_ok and value_ok

    def get_status_display(self) -> str:
        return self.Status(self.status).label if hasattr(self, "status") else ""


# A commitment's terms: what it promises and by when. Once the commitment exists, an officer's change
# to any of them waits for city staff's approval (CommitmentAdjustment); the other columns do not.
COMMITMENT_TERMS = ("field", "owner", "target_quantity", "target_unit", "target_value_vnd", "start_on", "due_on")


class CommitmentAdjustmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_authenticated and user.sees_everything:
            return self.all()
        return self.filter(commitment__in=Commitment.objects.visible_to(user))

    def pending(self):
        return self.filter(state=CommitmentAdjustment.State.PENDING)

    def with_related(self):
        return self.select_related(
            "commitment__field", "commitment__owner", "commitment__partnership", "requested_by", "decided_by"
        ).prefetch_related(member_names_prefetch("commitment__partnership__memberships"))


@pghistory.track()
class CommitmentAdjustment(ChoiceLabelsMixin, models.Model):
    """A change to a commitment's terms (đề nghị điều chỉnh): target, dates, field or owner, with its reason.

    An officer's change waits for city staff, who approve or refuse it with a reason; city staff's own
    change is recorded approved at once. ``changes`` maps each term to ``{"old": …, "new": …}`` in the
    form ``Field.value_to_string`` writes, so the values survive later edits of the commitment.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        APPROVED = "approved", _("Đã duyệt")
        REFUSED = "refused", _("Không duyệt")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("cam kết")
    )
    changes = models.JSONField(_("nội dung điều chỉnh"))
    reason = models.TextField(_("lý do điều chỉnh"))
    state = models.CharField(_("trạng thái"), max_length=20, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("người đề nghị")
    )
    requested_at = models.DateTimeField(_("đề nghị lúc"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người duyệt"),
    )
    decided_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    decision_reason = models.TextField(_("lý do không duyệt"), blank=True)

    objects = CommitmentAdjustmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("đề nghị điều chỉnh")
        verbose_name_plural = _("đề nghị điều chỉnh")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="adjustment_has_reason",
                condition=~Q(reason=""),
                violation_error_message=_("Đề nghị điều chỉnh phải có lý do."),
            ),
            models.CheckConstraint(
                name="adjustment_decided_has_decider",
                condition=Q(state="pending") | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                violation_error_message=_("Đề nghị đã duyệt hoặc không duyệt phải có người và thời điểm duyệt."),
            ),
            models.CheckConstraint(
                name="adjustment_refused_has_reason",
                condition=~Q(state="refused") | ~Q(decision_reason=""),
                violation_error_message=_("Không duyệt đề nghị phải có lý do."),
            ),
            models.UniqueConstraint(
                "commitment",
                condition=Q(state="pending"),
                name="adjustment_one_pending_per_commitment",
                violation_error_message=_("Cam kết này đang có một đề nghị điều chỉnh chờ duyệt."),
            ),
        ]

    def __str__(self):
        return gettext("Điều chỉnh “%(commitment)s”") % {"commitment": self.commitment}

    def get_absolute_url(self):
        return reverse("commitments:commitment_detail", args=[self.commitment_id]) + f"#adjustment-{self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING

    def rows(self) -> list["AdjustmentRow"]:
        """Each changed term as the pages show it: label, old value, new value (in Vietnamese)."""
        return [
            AdjustmentRow(
                str(Commitment._meta.get_field(name).verbose_name).capitalize(),
                self.shown(name, values, "old"),
                self.shown(name, values, "new"),
            )
            for name, values in sorted(self.changes.items(), key=lambda item: COMMITMENT_TERMS.index(item[0]))
            if name in COMMITMENT_TERMS
        ]

    def target_note(self) -> str:
        """How reports name an approved target change: "chỉ tiêu điều chỉnh từ 10 xuống 4 máy tính, duyệt
        ngày 05/12/2026"; empty for anything else."""
        change = self.changes.get("target_quantity") or self.changes.get("target_value_vnd")
        if self.state != self.State.APPROVED or not change or change.get("old") is None or change.get("new") is None:
            return ""
        name = "target_quantity" if "target_quantity" in self.changes else "target_value_vnd"
        old, new = (Commitment._meta.get_field(name).to_python(change[side]) for side in ("old", "new"))
        if name == "target_quantity":
            unit = self.changes.get("target_unit", {}).get("new") or self.commitment.target_unit
            old_text, new_text = number(old), f"{number(new)} {unit}".strip()
        else:
            old_text, new_text = vnd(old), vnd(new)
        template = (
            gettext("chỉ tiêu điều chỉnh từ %(old)s xuống %(new)s, duyệt ngày %(day)s")
            if new < old
            else gettext("chỉ tiêu điều chỉnh từ %(old)s lên %(new)s, duyệt ngày %(day)s")
        )
        return template % {
            "old": old_text,
            "new": new_text,
            "day": timezone.localtime(self.decided_at).strftime("%d/%m/%Y"),
        }

    @staticmethod
    def shown(name: str, values: dict, side: str) -> str:
        """One side of a change; a field or unit by the name it had when the change was asked."""
        stored = values.get(side)
        if stored in (None, ""):
            return "—"
        if f"{side}_label" in values:
            return values[f"{side}_label"]
        value = Commitment._meta.get_field(name).to_python(stored)
        if isinstance(value, datetime.date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, Decimal):
            return number(value)
        if isinstance(value, int):
            return vnd(value)
        return str(value)


@dataclass(frozen=True)
class AdjustmentRow:
    label: str
    old: str
    new: str


class ProgressUpdateQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_authenticated and user.sees_everything:
            return self.all()
        return self.filter(commitment__in=Commitment.objects.visible_to(user))

    def editable_by(self, user):
        """The owning unit's officers edit their own updates until verified; city staff review them."""
        if not user.is_authenticated:
            return self.none()
        if user.is_city_staff:
            return self.exclude(state=ProgressUpdate.State.VERIFIED)
        if user.is_unit_officer:
            return self.filter(commitment__in=Commitment.objects.editable_by(user)).exclude(
                state=ProgressUpdate.State.VERIFIED
            )
        return self.none()

    def awaiting_review(self):
        return self.filter(state=ProgressUpdate.State.SUBMITTED)

    def reported_by(self, day: datetime.date):
        """Updates reported (submitted) on or before ``day``, local time."""
        return self.filter(submitted_at__lt=end_of_day(day))

    def verified_by(self, day: datetime.date):
        """Updates verified on or before ``day``: what counted towards a target on that day."""
        return self.filter(state=ProgressUpdate.State.VERIFIED, reviewed_at__lt=end_of_day(day))

    def awaiting_review_on(self, day: datetime.date):
        """Updates that were waiting for review at the end of ``day``: reported by then, and waiting now
        or reviewed only after it. Today that is exactly ``awaiting_review()`` (nothing is reviewed after
        today), which its index answers without reading every update."""
        if day >= timezone.localdate():
            return self.awaiting_review()
        return self.reported_by(day).filter(
            Q(state=ProgressUpdate.State.SUBMITTED) | Q(reviewed_at__gte=end_of_day(day))
        )

    def with_related(self):
        return self.select_related(
            "commitment__field", "commitment__owner", "commitment__partnership", "period", "author"
        )


@pghistory.track()
class ProgressUpdate(ChoiceLabelsMixin, VoidableModel):
    """What a unit reports it achieved on a commitment in one period, with evidence, and its review."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Chờ xác nhận")
        VERIFIED = "verified", _("Đã xác nhận")
        RETURNED = "returned", _("Bị trả lại")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="updates", verbose_name=_("cam kết")
    )
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.PROTECT, related_name="updates", verbose_name=_("kỳ báo cáo")
    )
    achieved_quantity = models.DecimalField(
        _("số lượng đạt được"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    achieved_value_vnd = models.BigIntegerField(_("giá trị đạt được (đồng)"), null=True, blank=True)
    narrative = models.TextField(_("nội dung kết quả"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("người báo cáo"),
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), default=timezone.now)
    state = models.CharField(_("trạng thái"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_updates",
        verbose_name=_("người xác nhận"),
    )
    reviewed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    resubmission_count = models.PositiveSmallIntegerField(_("số lần gửi lại"), default=0)
    # A verification made by mistake is reopened by city staff with a reason: the report waits for
    # review again and its figures leave the commitment's totals (the audit trail keeps both steps).
    reopen_reason = models.TextField(_("lý do mở lại"), blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reopened_updates",
        verbose_name=_("người mở lại"),
    )
    reopened_at = models.DateTimeField(_("mở lại lúc"), null=True, blank=True)
    # Set by the server when the report goes beyond what the commitment still needed (the officer
    # confirmed it): the reviewer sees "vượt chỉ tiêu" next to it.
    exceeds_target = models.BooleanField(_("vượt chỉ tiêu"), default=False, editable=False)
    # A one-time token sent with the form: a replayed POST (double tap, retry on a weak connection)
    # finds the update it already created instead of filing a second one.
    client_token = models.UUIDField(_("mã gửi một lần"), null=True, blank=True, editable=False)
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    # Optimistic locking, as on Commitment: resubmission and review each add 1.
    version = models.PositiveIntegerField(_("phiên bản"), default=1, editable=False)

    objects = ActiveManager.from_queryset(ProgressUpdateQuerySet)()
    all_objects = models.Manager.from_queryset(ProgressUpdateQuerySet)()

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="progress_returned_has_reason",
                condition=~Q(state="returned") | ~Q(return_reason=""),
                violation_error_message=_("Trả lại báo cáo phải có lý do."),
            ),
            models.CheckConstraint(
                name="progress_reviewed_has_reviewer",
                condition=Q(state="submitted") | (Q(reviewed_by__isnull=False) & Q(reviewed_at__isnull=False)),
                violation_error_message=_("Báo cáo đã xác nhận hoặc trả lại phải có người và thời điểm xem xét."),
            ),
            models.CheckConstraint(
                name="progress_values_not_negative",
                condition=(Q(achieved_quantity__isnull=True) | Q(achieved_quantity__gte=0))
                & (Q(achieved_value_vnd__isnull=True) | Q(achieved_value_vnd__gte=0)),
                violation_error_message=_("Kết quả không được âm."),
            ),
            models.UniqueConstraint(
                "author",
                "client_token",
                name="progress_client_token_once_per_author",
                violation_error_message=_("Báo cáo này đã được gửi."),
            ),
        ]
        indexes = [
            # Live reports awaiting review in the order of their commitment, from the index alone: the
            # review queue counts them by field with a merge join along the commitments' primary key
            # instead of hashing every commitment. The queue's other reads use progress_awaiting_cover_idx
            # (migration 0018).
            models.Index(
                fields=["commitment"],
                include=["id"],
                condition=Q(state="submitted", voided_at__isnull=True),
                name="progress_awaiting_commit_idx",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="verified_progress_is_locked",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="verified"),
                func=pgtrigger.Func(
                    "RAISE EXCEPTION 'verified_progress_is_locked: progress update % was verified and cannot change', OLD.id "
                    "USING ERRCODE = 'integrity_constraint_violation';"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.commitment} – {self.period}"

    def get_absolute_url(self):
        # ?update= opens the page of the commitment's reports that holds this one (see commitment_detail).
        return (
            reverse("commitments:commitment_detail", args=[self.commitment_id]) + f"?update={self.pk}#update-{self.pk}"
        )

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.VERIFIED


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_authenticated and user.sees_everything:
            return self.all()
        return self.filter(update__in=ProgressUpdate.objects.visible_to(user))


@pghistory.track()
class Evidence(ChoiceLabelsMixin, models.Model):
    """A photo or PDF attached to a progress update as evidence (minh chứng)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Ảnh")
        PDF = "pdf", _("Tệp PDF")

    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("báo cáo tiến độ")
    )
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("tệp"), upload_to=upload_path)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    size_bytes = models.PositiveIntegerField(_("dung lượng"), default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("minh chứng")
        verbose_name_plural = _("minh chứng")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name or self.file.name
