"""Domain-free building blocks shared by the apps."""

from django.conf import settings
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds creation and modification times to a model."""

    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        abstract = True


class ChoiceLabelsMixin:
    """``get_FOO_display()`` from a value → label table made once per field.

    Django's own rebuilds ``dict(make_hashable(field.flatchoices))`` on every call, and hashing the lazy
    labels translates every one of them, on every row of every list.
    The table keeps the labels lazy, so each call still translates into the active language.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            labels = _CHOICE_LABELS[field]
        except KeyError:
            labels = _CHOICE_LABELS[field] = {make_hashable(key): label for key, label in field.flatchoices}
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


# Field -> {value: label}. Choices are declared in code, so a field's table never changes in a process.
_CHOICE_LABELS = {}


class VoidableModel(models.Model):
    """A row that is voided ("hủy do nhập sai"), never deleted from the portal: it leaves every list and
    figure, stays readable (``all_objects``, a "Đã hủy" filter) and in the audit trail, and can be restored.

    A concrete model declares ``objects = ActiveManager.from_queryset(ItsQuerySet)()``,
    ``all_objects = models.Manager.from_queryset(ItsQuerySet)()`` and ``Meta.base_manager_name =
    "all_objects"``, so a foreign key to a voided row still resolves.
    """

    voided_at = models.DateTimeField(_("hủy lúc"), null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("người hủy"),
    )
    void_reason = models.TextField(_("lý do hủy"), blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class ActiveManager(models.Manager):
    """The default manager of a VoidableModel: voided rows are left out of everything built on it."""

    def get_queryset(self):
        return super().get_queryset().filter(voided_at__isnull=True)
