"""The 94 commune-level units of Đà Nẵng since 1/7/2025 and the old units merged into each."""

import pghistory
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from core.models import ChoiceLabelsMixin

from . import sources


class NameKey(models.Func):
    """``unaccent(lower(name))`` through the IMMUTABLE SQL function that the directory's index is built on."""

    function = "communes_name_key"
    output_field = models.TextField()


class UnitCategory:
    """How the coverage map colours a unit (paired = member of a partnership signed or active that day)."""

    SUPPORTED_PAIRED = "supported_paired"
    SUPPORTED_UNPAIRED = "supported_unpaired"
    SUPPORTING_PAIRED = "supporting_paired"
    UNPAIRED = "unpaired"
    OUTSIDE = "outside_filter"
    PAIRED = (SUPPORTED_PAIRED, SUPPORTING_PAIRED)


class CommuneQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The directory is public to every signed-in user: names, flags and merges are public facts."""
        if not user.is_authenticated:
            return self.none()
        return self.all()

    def search(self, text: str):
        """Accent- and case-insensitive name search: "hoa cuong" finds "Hòa Cường"."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(name__unaccent__icontains=text) | Q(code__startswith=text))

    def supported(self):
        """Mountain, border or island communes that the programme pairs with lowland units."""
        return self.filter(programme_role=Commune.ProgrammeRole.SUPPORTED)

    def supporting(self):
        return self.filter(programme_role=Commune.ProgrammeRole.SUPPORTING)

    def order_by_name(self):
        """Name without accents, then code: read in index order (communes/migrations/0003_name_sort_key.py)."""
        return self.order_by(NameKey("name"), "code")


@pghistory.track()
class Commune(ChoiceLabelsMixin, models.Model):
    """A ward (phường), commune (xã) or special zone (đặc khu) of Đà Nẵng, with its official code."""

    class Kind(models.TextChoices):
        WARD = "ward", _("Phường")
        COMMUNE = "commune", _("Xã")
        SPECIAL_ZONE = "special_zone", _("Đặc khu")

    class ProgrammeRole(models.TextChoices):
        SUPPORTED = "supported", _("Được hỗ trợ (miền núi, biên giới, hải đảo)")
        SUPPORTING = "supporting", _("Hỗ trợ (đồng bằng)")

    code = models.CharField(_("mã đơn vị"), max_length=5, primary_key=True)
    name = models.CharField(_("tên"), max_length=100)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    former_district = models.CharField(_("quận/huyện cũ"), max_length=100, blank=True)
    # None means the sources do not say; it must never be read as "no".
    is_mountainous = models.BooleanField(_("miền núi"), null=True, blank=True)
    is_border = models.BooleanField(_("biên giới"), null=True, blank=True)
    # The official CV 389/TU list of the 33 supported communes is not public (see data/SOURCES.md):
    # the role is known only where a real partnership names it, otherwise it stays blank (unknown).
    programme_role = models.CharField(
        _("vai trò trong chương trình"),
        max_length=20,
        choices=ProgrammeRole.choices,
        blank=True,
    )
    programme_role_source = models.CharField(_("nguồn vai trò"), max_length=200, blank=True)
    merged_from = models.TextField(_("hình thành từ"), blank=True)
    source = models.TextField(_("nguồn"), blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="commune_code_is_five_digits",
                condition=Q(code__regex=r"^[0-9]{5}$"),
                violation_error_message=_("Mã đơn vị phải gồm đúng 5 chữ số."),
            ),
            models.UniqueConstraint(
                "name",
                "kind",
                name="commune_name_unique_per_kind",
                violation_error_message=_("Đã có đơn vị cùng tên và loại."),
            ),
        ]

    def __str__(self):
        # Translators: a unit's kind and name, e.g. "Xã Trà Tân"; English puts the kind last ("Trà Tân Commune").
        return pgettext("unit kind and name", "%(kind)s %(name)s") % {
            "kind": self.get_kind_display(),
            "name": self.name,
        }

    def get_absolute_url(self):
        return reverse("communes:commune_detail", args=[self.code])

    def source_notes(self) -> list[str]:
        """The source note in words (the reference data writes codes such as "M:rule-no")."""
        return sources.source_notes(self.source)


@pghistory.track()
class Constituent(models.Model):
    """An old (pre-1/7/2025) unit merged, wholly or in part, into a current commune."""

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="constituents", verbose_name=_("đơn vị mới")
    )
    # Blank when the old unit had no commune-level code (huyện Hoàng Sa became the special zone whole).
    old_code = models.CharField(_("mã cũ"), max_length=5, blank=True)
    old_name = models.CharField(_("tên cũ"), max_length=100)
    old_district = models.CharField(_("quận/huyện cũ"), max_length=100)
    old_province = models.CharField(_("tỉnh/thành cũ"), max_length=100)
    merge_note = models.CharField(_("ghi chú sắp xếp"), max_length=100, blank=True)
    resolution_clause = models.PositiveSmallIntegerField(_("khoản NQ 1659"), null=True, blank=True)

    class Meta:
        verbose_name = _("đơn vị cũ")
        verbose_name_plural = _("đơn vị cũ")
        ordering = ["commune", "old_name"]
        constraints = [
            models.UniqueConstraint("commune", "old_name", "old_district", name="constituent_once_per_commune"),
            models.CheckConstraint(
                name="constituent_old_code_is_five_digits",
                condition=Q(old_code="") | Q(old_code__regex=r"^[0-9]{5}$"),
                violation_error_message=_("Mã đơn vị cũ phải gồm đúng 5 chữ số."),
            ),
        ]

    def __str__(self):
        return f"{self.old_name} → {self.commune.name}"
