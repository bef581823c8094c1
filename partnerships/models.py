"""Kết nghĩa partnerships: who twins with whom, on what legal basis, with which papers and visits."""

import datetime
import functools
import uuid
from pathlib import PurePath

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.contrib.postgres.lookups import Unaccent
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communes.models import Commune, UnitCategory
from core.models import ActiveManager, ChoiceLabelsMixin, VoidableModel


def upload_path(instance, filename: str) -> str:
    """Uploads are stored under random names: the original name is kept in a column, never trusted."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"{instance._meta.app_label}/{instance._meta.model_name}/{uuid.uuid4().hex}{suffix}"


@pghistory.track()
class LegalBasis(ChoiceLabelsMixin, models.Model):
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
        return gettext("%(kind)s số %(number)s") % {"kind": self.get_kind_display(), "number": self.number}


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

    def with_member_communes(self, commune_code: str, day: datetime.date | None = None):
        """Partnerships the unit is a member of on ``day`` (default today)."""
        return self.filter(has_member(commune_code, day))

    def contents_visible_to(self, user):
        """Partnerships whose private contents ``user`` may read."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_everything:
            return self.all()
        if user.is_unit_officer:
            return self.with_member_communes(user.commune_id)
        return self.none()

    def activities_loggable_by(self, user):
        """Partnerships in which ``user`` may log activities: city staff in any, an officer in their unit's."""
        if not user.is_authenticated:
            return self.none()
        if user.is_city_staff:
            return self.all()
        if user.is_unit_officer:
            return self.with_member_communes(user.commune_id)
        return self.none()

    def with_contents_visibility(self, user):
        """Annotate ``can_see_contents``: may ``user`` read this partnership's private contents (see above)."""
        if user.is_authenticated and user.sees_everything:
            flag = Value(True)
        elif user.is_authenticated and user.is_unit_officer:
            flag = has_member(user.commune_id)
        else:
            flag = Value(False)
        return self.annotate(can_see_contents=models.ExpressionWrapper(flag, output_field=models.BooleanField()))

    def with_sort_keys(self):
        """Annotate ``name_key`` (the first member as displayed, accent-free): every order of the list uses it."""
        first_member = (
            Membership.objects.on()
            .filter(partnership=OuterRef("pk"))
            .order_by(Membership.display_order(), "commune__name")
            .values("commune__name")[:1]
        )
        return self.annotate(name_key=Unaccent(Lower(Subquery(first_member, output_field=models.CharField()))))

    def with_status_order(self):
        """Annotate ``status_order``, the status's place in the lifecycle. Separate from ``with_sort_keys``:
        its six-way CASE would be built and compiled on every list page, for the rare sort by status."""
        lifecycle = [When(status=status, then=Value(index)) for index, status in enumerate(Partnership.Status)]
        return self.annotate(
            status_order=Case(*lifecycle, default=Value(len(lifecycle)), output_field=models.IntegerField())
        )

    def with_members(self, day: datetime.date | None = None, *, names_only: bool = False):
        """Prefetch the members on ``day`` (default today) as ``memberships``.

        ``names_only`` loads just their role and unit name, not the full rows (as ``with_member_names``)."""
        members = Membership.objects.on(day).select_related("commune").order_by("role", "commune__name")
        if names_only:
            members = members.only("partnership", "role", "commune", "commune__name")
        return self.prefetch_related(models.Prefetch("memberships", queryset=members))

    def with_member_names(self, *, names_only: bool = False, day: datetime.date | None = None):
        """Prefetch the members on ``day`` (default today) in display order (lead, co-supporters,
        supported) for ``display_name()``.

        ``names_only`` loads just what a listing shows of them (role and unit name), not the full rows.
        """
        return self.prefetch_related(member_names_prefetch("memberships", names_only=names_only, day=day))

    def with_former_members(self, day: datetime.date | None = None):
        """Prefetch, as ``former_memberships``, the rows of units that had left by ``day`` (default today)."""
        former = Membership.objects.former(day).select_related("commune").order_by("left_on", "commune__name")
        return self.prefetch_related(models.Prefetch("memberships", queryset=former, to_attr="former_memberships"))

    def with_status_on(self, day: datetime.date | None = None):
        """Annotate ``status_on``: the status in force on ``day`` (default today), from the dated status
        history (``StatusChange``); NULL for a partnership not yet recorded on that day. Also
        ``signed_as_of``: the day it was first signed, if that was on or before ``day``."""
        day = day or timezone.localdate()
        return self.annotate(
            status_on=status_on(day),
            signed_as_of=Subquery(
                StatusChange.objects.filter(
                    partnership=OuterRef("pk"), effective_on__lte=day, status__in=Partnership.SIGNED_STATUSES
                )
                .order_by("effective_on", "pk")
                .values("effective_on")[:1]
            ),
        )

    def existing_on(self, day: datetime.date | None = None):
        """Partnerships recorded on ``day`` (any status), with ``status_on`` and ``signed_as_of``."""
        day = day or timezone.localdate()
        recorded = StatusChange.objects.filter(partnership=OuterRef("pk"), effective_on__lte=day)
        return self.filter(Exists(recorded)).with_status_on(day)

    def active_on(self, day: datetime.date | None = None):
        """Partnerships signed or active on ``day`` (default today), with ``status_on``: those that make
        their units paired. Without ``signed_as_of``, which no caller of this filter reads."""
        return self.annotate(status_on=status_on(day or timezone.localdate())).filter(
            status_on__in=Partnership.ACTIVE_STATUSES
        )

    def active(self):
        return self.filter(status__in=Partnership.ACTIVE_STATUSES)

    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        member = Membership.objects.on().filter(partnership=OuterRef("pk"), commune__name__unaccent__icontains=text)
        return self.filter(Exists(member) | Q(title__unaccent__icontains=text))


def status_on(day: datetime.date) -> Subquery:
    """The status in force on ``day`` of the partnership of the outer row: its latest change dated on or
    before the day (``PartnershipQuerySet.with_status_on``, ``active_on``)."""
    changes = StatusChange.objects.filter(partnership=OuterRef("pk"), effective_on__lte=day)
    return Subquery(changes.order_by("-effective_on", "-pk").values("status")[:1])


def has_member(commune_code: str, day: datetime.date | None = None) -> Q:
    """The condition on a partnership that the unit is one of its members on ``day`` (default today):
    one IN over the unit's memberships, for a filter (``with_member_communes``) or a flag."""
    return Q(pk__in=Membership.objects.on(day).filter(commune_id=commune_code).values("partnership"))


def member_names_prefetch(lookup: str, *, names_only: bool = True, day: datetime.date | None = None) -> models.Prefetch:
    """Prefetch a partnership's members on ``day`` (default today) in display order under ``lookup``
    ("memberships", or "partnership__memberships" from a row that points to a partnership), so that its
    name (``str()``, ``display_name()``) costs one query for a whole list instead of one per row."""
    return models.Prefetch(lookup, queryset=_members_in_display_order(day or timezone.localdate(), names_only).all())


@functools.lru_cache(maxsize=4)
def _members_in_display_order(day: datetime.date, names_only: bool):
    """``member_names_prefetch``'s queryset, never evaluated: each prefetch takes a copy (``.all()``), so
    that no caller's rows or hints stay here.

    It depends only on the day and ``names_only``, and names are read on most pages, several times on
    some: building its filter and order once a day spares every page resolving them again.
    """
    memberships = (
        Membership.objects.on(day).select_related("commune").order_by(Membership.display_order(), "commune__name")
    )
    if names_only:
        memberships = memberships.only("partnership", "role", "commune", "commune__name")
    return memberships


def prefetch_member_names(partnerships) -> None:
    """Make each of ``partnerships`` ready to be named (``str()``) without a query of its own.

    A partnership is named by its title, and only one without a title by its members
    (``Partnership.__str__``): their names are read, in one query, for those alone, and not at all when
    every one has a title."""
    untitled = [partnership for partnership in partnerships if not partnership.title]
    if untitled:
        models.prefetch_related_objects(untitled, member_names_prefetch("memberships"))


@pghistory.track()
class Partnership(ChoiceLabelsMixin, VoidableModel):
    """A kết nghĩa agreement: one supported commune and one or more supporting units under NQ 02-NQ/TU."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Đã phân công")
        SURVEYED = "surveyed", _("Đã khảo sát")
        SIGNED = "signed", _("Đã ký kết")
        ACTIVE = "active", _("Đang triển khai")
        SUSPENDED = "suspended", _("Tạm dừng")
        ENDED = "ended", _("Đã kết thúc")

    ACTIVE_STATUSES = (Status.SIGNED, Status.ACTIVE)
    # Every status a partnership can only reach by being signed.
    SIGNED_STATUSES = (Status.SIGNED, Status.ACTIVE, Status.SUSPENDED, Status.ENDED)

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
    # Why city staff confirmed a supported unit the reference data records as lowland (forms.clean_programme_rules).
    supported_reason = models.TextField(_("lý do xác nhận đơn vị được hỗ trợ"), blank=True)
    # Natural key of rows loaded by commands ("known:…" reference rows, "demo:…" demo rows), so
    # loading twice updates instead of duplicating. Blank for partnerships created in the portal.
    external_ref = models.CharField(_("mã tham chiếu"), max_length=200, blank=True, editable=False)
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = ActiveManager.from_queryset(PartnershipQuerySet)()
    all_objects = models.Manager.from_queryset(PartnershipQuerySet)()  # voided ones too

    class Meta:
        verbose_name = _("quan hệ kết nghĩa")
        verbose_name_plural = _("quan hệ kết nghĩa")
        default_manager_name = "objects"
        base_manager_name = "all_objects"  # a row pointing to a voided partnership still reads it
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
                name="partnership_effective_not_before_signing",
                condition=Q(signed_on__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_start__gte=models.F("signed_on")),
                violation_error_message=_("Ngày bắt đầu hiệu lực không được trước ngày ký kết."),
            ),
            models.CheckConstraint(
                name="partnership_unsigned_has_no_signing_date",
                condition=Q(signed_on__isnull=True) | ~Q(status__in=["assigned", "surveyed"]),
                violation_error_message=_("Quan hệ chưa ký kết thì không có ngày ký."),
            ),
        ]

    def __str__(self):
        # Never "#<id>": a partnership without a title is named by its units. Lists prefetch the
        # members (member_names_prefetch); a single partnership reads them here.
        return self.title or self.display_name()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"status", "signed_on"} & set(update_fields):
            StatusChange.objects.record(self)

    def get_absolute_url(self):
        return reverse("partnerships:partnership_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def has_been_signed(self) -> bool:
        """Whether the partnership is or ever was signed: from then on, members leave instead of vanishing."""
        return (
            self.status in self.SIGNED_STATUSES or self.status_changes.filter(status__in=self.SIGNED_STATUSES).exists()
        )

    def supported_membership(self):
        return next((m for m in self.memberships.all() if m.role == Membership.Role.SUPPORTED), None)

    def supporter_memberships(self):
        return [m for m in self.memberships.all() if m.role != Membership.Role.SUPPORTED]

    def display_name(self) -> str:
        """ "Nam Phước, Thăng Phú – Phước Thành": supporters, then the supported commune. Uses prefetched
        members when there are (with_member_names, member_names_prefetch), else reads them in one query."""
        models.prefetch_related_objects([self], member_names_prefetch("memberships", names_only=False))  # no-op if done
        supported = self.supported_membership()
        supporters = ", ".join(m.commune.name for m in self.supporter_memberships())
        if supported is None:
            return supporters or gettext("Quan hệ kết nghĩa chưa có thành viên")
        return f"{supporters} – {supported.commune.name}" if supporters else supported.commune.name


class StatusChangeQuerySet(models.QuerySet):
    def record(self, partnership: Partnership, today: datetime.date | None = None) -> None:
        """Bring the dated history in line with the partnership's status and signing date.

        A new status takes effect today. Signing takes effect on ``signed_on`` (recorded after the
        ceremony, or loaded with its date); whatever was recorded before it is moved back to that day at
        the latest, so the history stays in order. A corrected signing date moves the signing entry.
        """
        today = today or timezone.localdate()
        changes = list(self.filter(partnership=partnership).order_by("effective_on", "pk"))
        signing = next((c for c in changes if c.status in Partnership.SIGNED_STATUSES), None)
        signed_on = partnership.signed_on if partnership.signed_on and partnership.signed_on <= today else None
        if partnership.status in Partnership.SIGNED_STATUSES and signed_on is not None:
            if signing is None:
                self.filter(partnership=partnership, effective_on__gt=signed_on).update(effective_on=signed_on)
                signing = self.create(partnership=partnership, status=Partnership.Status.SIGNED, effective_on=signed_on)
                changes.append(signing)
            elif signing.effective_on != signed_on and signing.status == Partnership.Status.SIGNED:
                self.filter(partnership=partnership, pk__lt=signing.pk, effective_on__gt=signed_on).update(
                    effective_on=signed_on
                )
                signing.effective_on = signed_on
                signing.save(update_fields=["effective_on"])
        if not changes or changes[-1].status != partnership.status:
            latest = max((c.effective_on for c in changes), default=today)
            self.create(partnership=partnership, status=partnership.status, effective_on=max(today, latest))


@pghistory.track()
class StatusChange(ChoiceLabelsMixin, models.Model):
    """A partnership's status from a given day on: its dated lifecycle (assigned, surveyed, signed,
    active, suspended, ended), so that any day's status can be read back as it was."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("quan hệ kết nghĩa")
    )
    status = models.CharField(_("trạng thái"), max_length=20, choices=Partnership.Status.choices)
    effective_on = models.DateField(_("từ ngày"))
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("thay đổi trạng thái")
        verbose_name_plural = _("lịch sử trạng thái")
        ordering = ["partnership", "effective_on", "pk"]
        indexes = [models.Index(fields=["partnership", "-effective_on", "-id"], name="status_change_latest_idx")]

    def __str__(self):
        return f"{self.get_status_display()} ({self.effective_on:%d/%m/%Y})"


def member_on(day: datetime.date | None = None, prefix: str = "") -> Q:
    """The one rule of membership in time: a row counts on ``day`` (default today) when the unit had
    joined by then (``joined_on`` NULL: from the start) and had not yet left (it leaves on ``left_on``).

    ``prefix`` reaches the membership through a relation ("memberships__"); use it only where a query
    must join (``MembershipQuerySet.on`` is the usual way in)."""
    day = day or timezone.localdate()
    return (Q(**{f"{prefix}joined_on__isnull": True}) | Q(**{f"{prefix}joined_on__lte": day})) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": day})
    )


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(partnership__in=Partnership.objects.visible_to(user))

    def on(self, day: datetime.date | None = None):
        """The members on ``day`` (default today): every member lookup reads members through this."""
        return self.filter(member_on(day))

    def former(self, day: datetime.date | None = None):
        """Rows of units that had left by ``day`` (default today): "Thành viên trước đây"."""
        return self.filter(left_on__lte=day or timezone.localdate())


class DateRange(models.Func):
    """PostgreSQL's ``daterange(lower, upper, '[)')``: a NULL bound is open (from the start, still a member)."""

    function = "DATERANGE"
    output_field = DateRangeField()


@pghistory.track()
class Membership(ChoiceLabelsMixin, models.Model):
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
    # The day the unit stopped being a member (it is not a member on that day); NULL: still a member.
    left_on = models.DateField(_("rời đi từ"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        ordering = ["partnership", "role", "commune__name"]
        constraints = [
            # A unit may leave and join again: one row per period, at most one of them current.
            models.UniqueConstraint(
                "partnership",
                "commune",
                condition=Q(left_on__isnull=True),
                name="membership_unit_once_per_partnership",
                violation_error_message=_("Đơn vị này đang là thành viên của quan hệ kết nghĩa."),
            ),
            models.UniqueConstraint(
                "partnership",
                condition=Q(role="supported", left_on__isnull=True),
                name="membership_one_supported_unit",
                violation_error_message=_("Mỗi quan hệ kết nghĩa chỉ có một đơn vị được hỗ trợ."),
            ),
            models.UniqueConstraint(
                "partnership",
                condition=Q(role="lead_supporter", left_on__isnull=True),
                name="membership_one_lead_supporter",
                violation_error_message=_("Mỗi quan hệ kết nghĩa chỉ có một đơn vị hỗ trợ chính."),
            ),
            models.CheckConstraint(
                name="membership_leaves_after_joining",
                condition=Q(left_on__isnull=True) | Q(joined_on__isnull=True) | Q(left_on__gt=models.F("joined_on")),
                violation_error_message=_("Ngày rời đi phải sau ngày tham gia."),
            ),
            ExclusionConstraint(
                name="membership_periods_do_not_overlap",
                expressions=[
                    ("partnership", RangeOperators.EQUAL),
                    ("commune", RangeOperators.EQUAL),
                    (DateRange("joined_on", "left_on", Value("[)")), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_(
                    "Đơn vị này đã là thành viên của quan hệ kết nghĩa trong khoảng thời gian đó: "
                    "các giai đoạn tham gia không được chồng lên nhau."
                ),
            ),
        ]
        indexes = [
            # A unit's memberships, read from the index alone: whether it is paired (with_pairing) and in
            # how many partnerships (the unit directory). Without it PostgreSQL looks a unit up through the
            # exclusion constraint's GiST index, whose leading column is the partnership, and reads most
            # of that index for each unit.
            models.Index(
                fields=["commune", "partnership"],
                include=["id", "role", "joined_on", "left_on"],
                name="membership_commune_cover_idx",
            ),
        ]
        triggers = [
            # "Exactly one supported unit and at least one supporter" (among current members) spans
            # several rows, so it is checked at commit time, once every member written is there.
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
                           WHERE m.partnership_id = pid AND m.role = 'supported' AND m.left_on IS NULL) <> 1
                         OR NOT EXISTS (SELECT 1 FROM partnerships_membership m
                           WHERE m.partnership_id = pid AND m.role <> 'supported' AND m.left_on IS NULL)
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

    @classmethod
    @functools.cache
    def display_order(cls) -> Case:
        """Lead supporter first, then co-supporters, then the supported commune (as in "A + B – C").

        Built once, like an expression in ``Meta.ordering``: queries copy an expression, never change it,
        and the compiler then works out its identity (which it hashes to order by it) only once."""
        return Case(
            When(role=cls.Role.LEAD_SUPPORTER, then=Value(0)),
            When(role=cls.Role.CO_SUPPORTER, then=Value(1)),
            default=Value(2),
        )


# --- The pairing of units: a unit is paired on a day when it is a member of an active partnership ---


def pairing_memberships(day=None):
    """The memberships that make their unit paired on ``day`` (default today).

    The one definition of "đã / chưa kết nghĩa": a unit is paired on a day when it is a member on
    that day (``MembershipQuerySet.on``) of a partnership signed or active on that day
    (``PartnershipQuerySet.active_on``). The dashboard, the map, the reports and the directory (its
    filter and its count per unit) all read it through ``with_pairing``, ``paired``, ``unpaired`` and
    ``with_pairing_count``.
    """
    return _pairing_memberships(day or timezone.localdate()).all()


@functools.lru_cache(maxsize=4)
def _pairing_memberships(day: datetime.date):
    """``pairing_memberships`` on a given day, never evaluated: each caller takes a copy (``.all()``), so
    that no caller's rows stay here. Built once a day: resolving its nested filters (the members on the
    day, of partnerships active on it) is most of the work of the pages that count pairings."""
    return Membership.objects.on(day).filter(partnership__in=Partnership.objects.active_on(day).values("pk"))


def with_pairing(communes, day=None):
    """Annotate ``category``, how the coverage map colours the unit on ``day`` (default today), from
    ``paired_supported`` and ``paired_any`` (see ``pairing_memberships``)."""
    paired = pairing_memberships(day).filter(commune=OuterRef("pk"))
    return communes.annotate(
        paired_supported=Exists(paired.filter(role=Membership.Role.SUPPORTED)), paired_any=Exists(paired)
    ).annotate(
        category=Case(
            When(paired_supported=True, then=Value(UnitCategory.SUPPORTED_PAIRED)),
            When(paired_any=True, then=Value(UnitCategory.SUPPORTING_PAIRED)),
            When(programme_role=Commune.ProgrammeRole.SUPPORTED, then=Value(UnitCategory.SUPPORTED_UNPAIRED)),
            default=Value(UnitCategory.UNPAIRED),
            output_field=models.CharField(),
        )
    )


# Filters on the set of paired units, not on an annotation: PostgreSQL hashes that set once, where a
# correlated EXISTS under a LIMIT made it compare every unit with every paired membership.
def paired(communes, day=None):
    """Units "đã kết nghĩa" on ``day`` (see ``pairing_memberships``)."""
    return communes.filter(pk__in=pairing_memberships(day).values("commune"))


def unpaired(communes, day=None):
    """Units "chưa kết nghĩa" on ``day`` (see ``pairing_memberships``)."""
    return communes.exclude(pk__in=pairing_memberships(day).values("commune"))


def with_pairing_count(communes, day=None):
    """Annotate ``partnership_count``: how many memberships make the unit paired on ``day`` (default
    today, see ``pairing_memberships``); 0 for a unit that ``unpaired`` keeps."""
    return communes.annotate(partnership_count=_pairing_count(day or timezone.localdate()))


@functools.lru_cache(maxsize=4)
def _pairing_count(day: datetime.date) -> Subquery:
    """``with_pairing_count``'s expression, built once a day like ``_pairing_memberships``: annotating
    copies an expression and its query, never changes them.

    A correlated count, not a JOIN + GROUP BY: PostgreSQL evaluates it for the rows shown only, and a
    paginator's COUNT(*) stays a plain count of units. COUNT without GROUP BY gives one row, 0 for a
    unit in no partnership.
    """
    memberships = pairing_memberships(day).filter(commune=OuterRef("pk")).order_by()
    count = models.Func(models.F("pk"), function="COUNT", output_field=models.IntegerField())
    return Subquery(memberships.annotate(n=count).values("n"))


class ScopedToPartnershipQuerySet(models.QuerySet):
    """Rows that belong to one partnership: readable by everyone who may read that partnership's contents."""

    def visible_to(self, user):
        if user.is_authenticated and user.sees_everything:
            return self.all()  # no subquery over every partnership for those who read them all
        return self.filter(partnership__in=Partnership.objects.contents_visible_to(user))


@pghistory.track()
class Document(ChoiceLabelsMixin, VoidableModel):
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
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người tải lên"),
    )
    uploaded_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)

    objects = ActiveManager.from_queryset(ScopedToPartnershipQuerySet)()
    all_objects = models.Manager.from_queryset(ScopedToPartnershipQuerySet)()

    class Meta:
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        ordering = ["-issued_on", "-uploaded_at"]

    def __str__(self):
        return self.title


@pghistory.track()
class Activity(ChoiceLabelsMixin, VoidableModel):
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người ghi nhận"),
    )
    is_demo = models.BooleanField(_("dữ liệu minh họa"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = ActiveManager.from_queryset(ScopedToPartnershipQuerySet)()
    all_objects = models.Manager.from_queryset(ScopedToPartnershipQuerySet)()

    class Meta:
        verbose_name = _("hoạt động")
        verbose_name_plural = _("hoạt động")
        default_manager_name = "objects"
        base_manager_name = "all_objects"
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
        if user.is_authenticated and user.sees_everything:
            return self.all()
        return self.filter(activity__in=Activity.objects.visible_to(user))


@pghistory.track()
class ActivityPhoto(models.Model):
    """A photo of an activity, re-encoded without metadata on upload."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("hoạt động"))
    image = models.ImageField(_("ảnh"), upload_to=upload_path)
    caption = models.CharField(_("chú thích"), max_length=300, blank=True)
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64, blank=True)

    objects = ActivityPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("ảnh hoạt động")
        verbose_name_plural = _("ảnh hoạt động")

    def __str__(self):
        return self.caption or self.image.name
