"""Portal users. Every user has one role; a unit officer is bound to exactly one commune."""

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_STAFF = "city_staff", _("Cán bộ Thành ủy")
    UNIT_OFFICER = "unit_officer", _("Cán bộ đơn vị")
    LEADERSHIP = "leadership", _("Lãnh đạo")
    ADMINISTRATOR = "administrator", _("Quản trị viên")


class PortalUserManager(UserManager):
    def get_queryset(self):
        # Every page shows the officer's unit in the header: load it with the user (one query, not two).
        return super().get_queryset().select_related("commune")


# Password hashes and login times stay out of the history; a password change or set-password link is
# recorded as a manual event instead (accounts.services), with the actor from the request context.
PASSWORD_CHANGED_EVENT = "password_change"
PASSWORD_SET_BY_LINK_EVENT = "password_set_by_link"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    pghistory.ManualEvent(PASSWORD_CHANGED_EVENT),
    pghistory.ManualEvent(PASSWORD_SET_BY_LINK_EVENT),
    exclude=["password", "last_login"],
)
class User(AbstractUser):
    """A person who signs in: city staff, a ward/commune officer, a leader or an administrator."""

    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices, default=Role.UNIT_OFFICER)
    commune = models.ForeignKey(
        "communes.Commune",
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        help_text=_("Bắt buộc với cán bộ đơn vị; để trống với các vai trò khác."),
    )

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        constraints = [
            models.CheckConstraint(
                name="officer_bound_to_exactly_one_commune",
                condition=(
                    Q(role=Role.UNIT_OFFICER, commune__isnull=False)
                    | (~Q(role=Role.UNIT_OFFICER) & Q(commune__isnull=True))
                ),
                violation_error_message=_("Cán bộ đơn vị phải gắn với đúng một đơn vị; vai trò khác không gắn đơn vị."),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_city_staff(self) -> bool:
        return self.role in {Role.CITY_STAFF, Role.ADMINISTRATOR}

    @property
    def is_unit_officer(self) -> bool:
        return self.role == Role.UNIT_OFFICER

    @property
    def is_leadership(self) -> bool:
        return self.role == Role.LEADERSHIP

    @property
    def sees_everything(self) -> bool:
        """City staff, administrators and leadership read every partnership."""
        return self.role in {Role.CITY_STAFF, Role.ADMINISTRATOR, Role.LEADERSHIP}


class QuotaUse(models.Model):
    """One charge against a person's quota (accounts.quotas): what, how much, when. Never updated."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="quota_uses")
    kind = models.CharField(max_length=30)
    amount = models.BigIntegerField(default=0)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "kind", "used_at"], name="quota_use_user_kind_time_idx")]

    def __str__(self):
        return f"{self.kind} {self.amount} ({self.used_at:%Y-%m-%d %H:%M})"
