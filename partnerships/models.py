"""Kết nghĩa partnerships: who twins with whom, on what legal basis, with which papers and visits."""

import uuid
from pathlib import PurePath

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from communes.models import Commune


def upload_path(instance, filename: str) -> str:
    """Uploads are stored under random names: the original name is kept in a column, never trusted."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"{instance._meta.app_label}/{instance._meta.model_name}/{uuid.uuid4().hex}{suffix}"


@pghistory.track()
class LegalBasis(models.Model):
    """A Party or state document the programme rests on: Resolution 02-NQ/TU, an assigning letter."""

    class Kind(models.TextChoices):
        RESOLUTION = "resolution", _("Nghị quyết")
        OFFICIAL_LETTER = "official_letter", _("Công văn")
        DECISION = "decision", _("Quyết định")
        PLAN = "plan", _("Kế hoạch")

    kind = models.CharField(_("loại văn bản"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("số hiệu"), max_length=50, unique=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=200)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    title = models.CharField(_("trích yếu"), max_length=500)
    source = models.TextField(_("nguồn"), blank=True)

    class Meta:
        verbose_name = _("căn cứ pháp lý")
        verbose_name_plural = _("căn cứ pháp lý")
        ordering = ["issued_on", "number"]

    def __str__(self):
        return f"{self.get_kind_display()} số {self.number}"


class PartnershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every signed-in user sees that a partnership exists (the directory is public inside the portal).

        What a partnership *contains* (commitments, progress, documents, activities) is scoped by
        ``for_member`` through each of those models' own ``visible_to``.
        """
        if not user.is_authenticated:
            return self.none()
        return self.all()

    def editable_by(self, user):
        """Only city staff and administrators create or change partnerships and their members."""
        if not user.is_authenticated:
            return self.none()
        if user.is_city_staff:
            return self.all()
        return self.none()

    def with_member_communes(self, commune_code: str):
        return self.filter(memberships__commune_id=commune_code)

    def contents_visible_to(self, user):
        """Partnerships whose private contents ``user`` may read."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        if user.is_unit_officer:
            return self.filter(
                Exists(Membership.objects.filter(partnership=OuterRef("pk"), commune_id=user.commune_id))
            )
        return self.none()

    def with_members(self):
        return self.prefetch_related(
            models.Prefetch(
                "memberships", queryset=Membership.objects.select_related("commune").order_by("role", "commune__name")
            )
        )

    def active(self):
        return self.filter(status__in=Partnership.ACTIVE_STATUSES)

    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(memberships__commune__name__unaccent__icontains=text) | Q(title__unaccent__icontains=text)
        ).distinct()


@pghistory.track()
class Partnership(models.Model):
    """A kết nghĩa agreement: one supported commune and one or more supporting units under NQ 02-NQ/TU."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Đã phân công")
        SURVEYED = "surveyed", _("Đã khảo sát")
        SIGNED = "signed", _("Đã ký kết")
        ACTIVE = "active", _("Đang triển khai")
        SUSPENDED = "suspended", _("Tạm dừng")
        ENDED = "ended", _("Đã kết thúc")

    ACTIVE_STATUSES = (Status.SIGNED, Status.ACTIVE)

    title = models.CharField(_("tên chương trình"), max_length=300, blank=True)
    legal_basis = models.ForeignKey(
        LegalBasis, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("căn cứ (nghị quyết)")
    )
    assigning_document = models.ForeignKey(
        LegalBasis,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_partnerships",
        verbose_name=_("văn bản phân công"),
    )
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    signed_on = models.DateField(_("ngày ký kết"), null=True, blank=True)
    signed_place = models.CharField(_("nơi ký kết"), max_length=200, blank=True)
    term_start = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    term_end = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    summary = models.TextField(_("nội dung chính"), blank=True)
    source = models.TextField(_("nguồn"), blank=True)
    # Natural key of rows loaded by commands ("known:…" reference rows, "demo:…" demo rows), so
    # loading twice updates instead of duplicating. Blank for partnerships created in the portal.
    external_ref = models.CharField(_("mã tham chiếu"), max_length=200, blank=True, editable=False)
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("quan hệ kết nghĩa")
        verbose_name_plural = _("quan hệ kết nghĩa")
        ordering = ["-signed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                "external_ref",
                condition=~Q(external_ref=""),
                name="partnership_external_ref_unique",
            ),
            models.CheckConstraint(
                name="partnership_term_ends_after_start",
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=models.F("term_start")),
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày bắt đầu."),
            ),
            models.CheckConstraint(
                name="partnership_unsigned_has_no_signing_date",
                condition=Q(signed_on__isnull=True) | ~Q(status__in=["assigned", "surveyed"]),
                violation_error_message=_("Quan hệ chưa ký kết thì không có ngày ký."),
            ),
        ]

    def __str__(self):
        return self.title or f"Kết nghĩa #{self.pk}"

    def get_absolute_url(self):
        return reverse("partnerships:partnership_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def supported_membership(self):
        return next((m for m in self.memberships.all() if m.role == Membership.Role.SUPPORTED), None)

    def supporter_memberships(self):
        return [m for m in self.memberships.all() if m.role != Membership.Role.SUPPORTED]

    def display_name(self) -> str:
        """ "Hòa Cường – Trà Tân": supporters, then the supported commune. Uses prefetched members."""
        supported = self.supported_membership()
        supporters = " + ".join(m.commune.name for m in self.supporter_memberships())
        if supported is None:
            return str(self)
        return f"{supporters} – {supported.commune.name}" if supporters else supported.commune.name


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(partnership__in=Partnership.objects.visible_to(user))


@pghistory.track()
class Membership(models.Model):
    """A commune's place in a partnership: the supported commune, the lead supporter or a co-supporter."""

    class Role(models.TextChoices):
        SUPPORTED = "supported", _("Được hỗ trợ")
        LEAD_SUPPORTER = "lead_supporter", _("Hỗ trợ chính")
        CO_SUPPORTER = "co_supporter", _("Cùng hỗ trợ")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("quan hệ kết nghĩa")
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("đơn vị"))
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    joined_on = models.DateField(_("tham gia từ"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        ordering = ["partnership", "role", "commune__name"]
        constraints = [
            models.UniqueConstraint(
                "partnership",
                "commune",
                name="membership_unit_once_per_partnership",
                violation_error_message=_("Đơn vị này đã là thành viên của quan hệ kết nghĩa."),
            ),
            models.UniqueConstraint(
                "partnership",
                condition=Q(role="supported"),
                name="membership_one_supported_unit",
                violation_error_message=_("Mỗi quan hệ kết nghĩa chỉ có một đơn vị được hỗ trợ."),
            ),
            models.UniqueConstraint(
                "partnership",
                condition=Q(role="lead_supporter"),
                name="membership_one_lead_supporter",
                violation_error_message=_("Mỗi quan hệ kết nghĩa chỉ có một đơn vị hỗ trợ chính."),
            ),
        ]
        triggers = [
            # "Exactly one supported unit and at least one supporter" spans several rows, so it is
            # checked at commit time, once every member written in the transaction is there.
            pgtrigger.Trigger(
                name="membership_keeps_partnership_valid",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                declare=[("pid", "bigint")],
                func=pgtrigger.Func(
                    """
                    IF TG_OP = 'DELETE' THEN pid := OLD.partnership_id; ELSE pid := NEW.partnership_id; END IF;
                    IF EXISTS (SELECT 1 FROM partnerships_partnership p WHERE p.id = pid)
                       AND (
                         (SELECT count(*) FROM partnerships_membership m
                           WHERE m.partnership_id = pid AND m.role = 'supported') <> 1
                         OR NOT EXISTS (SELECT 1 FROM partnerships_membership m
                           WHERE m.partnership_id = pid AND m.role <> 'supported')
                       ) THEN
                        RAISE EXCEPTION 'partnership % must have exactly one supported unit and at least one supporter', pid
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                    """
                ),
            ),
        ]

    def __str__(self):
        return f"{self.commune.name} ({self.get_role_display()})"


class ScopedToPartnershipQuerySet(models.QuerySet):
    """Rows that belong to one partnership: readable by everyone who may read that partnership's contents."""

    def visible_to(self, user):
        return self.filter(partnership__in=Partnership.objects.contents_visible_to(user))


@pghistory.track()
class Document(models.Model):
    """A paper of the partnership: the signed memorandum scan, a survey report, a plan."""

    class Kind(models.TextChoices):
        MEMORANDUM = "memorandum", _("Biên bản/chương trình kết nghĩa")
        SURVEY = "survey", _("Báo cáo khảo sát")
        PLAN = "plan", _("Kế hoạch")
        OTHER = "other", _("Khác")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="documents", verbose_name=_("quan hệ kết nghĩa")
    )
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("số hiệu"), max_length=50, blank=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)
    issued_on = models.DateField(_("ngày"), null=True, blank=True)
    title = models.CharField(_("trích yếu"), max_length=300)
    file = models.FileField(_("tệp"), upload_to=upload_path)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    objects = ScopedToPartnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")
        ordering = ["-issued_on", "-uploaded_at"]

    def __str__(self):
        return self.title


@pghistory.track()
class Activity(models.Model):
    """Something that happened: a survey trip, a delegation, a handover, a secondment, a training."""

    class Kind(models.TextChoices):
        SURVEY_TRIP = "survey_trip", _("Khảo sát")
        DELEGATION = "delegation", _("Đoàn công tác, trao đổi kinh nghiệm")
        HANDOVER = "handover", _("Trao tặng, bàn giao")
        SECONDMENT = "secondment", _("Cử cán bộ hỗ trợ")
        TRAINING = "training", _("Tập huấn, bồi dưỡng")
        CEREMONY = "ceremony", _("Lễ ký kết")
        OTHER = "other", _("Khác")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="activities", verbose_name=_("quan hệ kết nghĩa")
    )
    kind = models.CharField(_("loại hoạt động"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("ngày"))
    title = models.CharField(_("nội dung"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    participants = models.TextField(_("thành phần tham gia"), blank=True)
    participant_count = models.PositiveIntegerField(_("số người tham gia"), null=True, blank=True)
    value_vnd = models.BigIntegerField(_("giá trị (đồng)"), null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ScopedToPartnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("hoạt động")
        verbose_name_plural = _("hoạt động")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="activity_value_not_negative",
                condition=Q(value_vnd__isnull=True) | Q(value_vnd__gte=0),
                violation_error_message=_("Giá trị không được âm."),
            ),
        ]

    def __str__(self):
        return self.title


class ActivityPhotoQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(activity__in=Activity.objects.visible_to(user))


@pghistory.track()
class ActivityPhoto(models.Model):
    """A photo of an activity, re-encoded without metadata on upload."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("hoạt động"))
    image = models.ImageField(_("ảnh"), upload_to=upload_path)
    caption = models.CharField(_("chú thích"), max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    objects = ActivityPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("ảnh hoạt động")
        verbose_name_plural = _("ảnh hoạt động")

    def __str__(self):
        return self.caption or self.image.name
