"""Portal users. Every user has one role; a unit officer is bound to exactly one commune."""

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ChoiceLabelsMixin


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
class User(ChoiceLabelsMixin, AbstractUser):
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


class SignInLink(models.Model):
    """A one-time sign-in link sent to the e-mail on record, for a person whose username is being slowed
    down by someone else's wrong passwords (RELIABILITY B1). A row is kept for every request, whether
    or not the username exists, so requests can be counted without revealing which usernames do."""

    username = models.CharField(_("tên đăng nhập đã nhập"), max_length=150)
    user = models.ForeignKey(
        "accounts.User", verbose_name=_("người dùng"), on_delete=models.CASCADE, null=True, related_name="+"
    )
    requested_from = models.GenericIPAddressField(_("địa chỉ yêu cầu"), null=True)
    issued_by = models.ForeignKey(
        "accounts.User", verbose_name=_("quản trị viên cấp"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("lúc tạo"), default=timezone.now)
    used_at = models.DateTimeField(_("lúc dùng"), null=True)

    class Meta:
        verbose_name = _("liên kết đăng nhập một lần")
        verbose_name_plural = _("liên kết đăng nhập một lần")
        indexes = [
            models.Index(fields=["username", "created_at"], name="sign_in_link_username_idx"),
            models.Index(fields=["requested_from", "created_at"], name="sign_in_link_address_idx"),
        ]

    def __str__(self):
        return f"{self.username} ({self.created_at:%Y-%m-%d %H:%M})"


class SignInAlert(models.Model):
    """A burst of failed sign-ins for one username or from one address, reported once to the
    administrators (accounts.services.alert_on_burst)."""

    class Kind(models.TextChoices):
        USERNAME = "username", _("Tên đăng nhập")
        ADDRESS = "address", _("Địa chỉ")

    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("tên đăng nhập hoặc địa chỉ"), max_length=150)
    failures = models.PositiveIntegerField(_("số lần sai"))
    raised_at = models.DateTimeField(_("lúc cảnh báo"), default=timezone.now)

    class Meta:
        verbose_name = _("cảnh báo đăng nhập sai dồn dập")
        verbose_name_plural = _("cảnh báo đăng nhập sai dồn dập")
        indexes = [models.Index(fields=["kind", "key", "raised_at"], name="sign_in_alert_key_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}: {self.failures}"
