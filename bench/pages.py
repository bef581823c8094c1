"""The pages P1/P2 measure, and the worst-case rows they are measured on (found in the scale database)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count

from accounts.models import Role
from commitments.models import Commitment, Field
from demo.scale_data import USER_PREFIX
from partnerships.models import Partnership


@dataclass(frozen=True)
class Page:
    key: str
    label: str  # what RESULTS.md calls it
    path: str
    user: str  # "staff", "officer" or "admin" (see Cast)
    fragment: str = ""  # for htmx requests: the name of the partial the view returns


@dataclass(frozen=True)
class Cast:
    """Who requests the pages, and the rows that make each page as heavy as it gets."""

    staff: object  # city staff: sees everything
    officer: object  # an officer of the unit owning the most commitments
    admin: object  # a superuser, for the admin changelist (P3) and the same list in the portal
    largest_partnership: int
    field_id: int
    field_code: str

    @classmethod
    def find(cls) -> Cast:
        User = get_user_model()
        users = User.objects.filter(username__startswith=USER_PREFIX)
        busiest_unit = (
            Commitment.objects.values("owner").annotate(n=Count("pk")).order_by("-n", "owner").first()["owner"]
        )
        largest = Partnership.objects.annotate(n=Count("commitments")).order_by("-n", "pk").first()
        field = Field.objects.annotate(n=Count("commitments")).order_by("-n", "pk").first()
        return cls(
            staff=users.filter(role=Role.CITY_STAFF).order_by("pk").first(),
            officer=users.filter(role=Role.UNIT_OFFICER, commune_id=busiest_unit).order_by("pk").first(),
            admin=users.filter(role=Role.ADMINISTRATOR, is_superuser=True).order_by("pk").first(),
            largest_partnership=largest.pk,
            field_id=field.pk,
            field_code=field.code,
        )

    def user(self, key: str):
        return getattr(self, key)


def pages(cast: Cast) -> list[Page]:
    """The pages of TARGETS.md P1 (plus the partnership's commitments, which its detail page embeds)."""
    largest = cast.largest_partnership
    return [
        Page("dashboard", "Tổng quan (/)", "/", "staff"),
        Page("partnership_list", "Danh sách kết nghĩa", "/partnerships/", "staff"),
        Page(
            "partnership_list_filtered",
            "Danh sách kết nghĩa, có lọc",
            f"/partnerships/?status=active&field={cast.field_code}",
            "staff",
        ),
        Page("partnership_detail", "Kết nghĩa lớn nhất (chi tiết)", f"/partnerships/{largest}/", "staff"),
        Page(
            "partnership_commitments",
            "Cam kết của kết nghĩa lớn nhất",
            f"/commitments/partnership/{largest}/",
            "staff",
        ),
        Page("commitment_list", "Danh sách cam kết", "/commitments/", "staff"),
        Page("commune_list", "Danh sách đơn vị", "/communes/", "staff"),
        Page("my_unit", "Đơn vị của tôi (cán bộ đơn vị)", "/my-unit/", "officer"),
        Page("report_list", "Danh sách báo cáo", "/reports/", "staff"),
        Page("review_queue", "Hàng chờ xác nhận", "/commitments/review/", "staff"),
    ]


def fragments(cast: Cast) -> list[Page]:
    """The htmx fragments of those pages (P7 weighs them; P2 counts their queries)."""
    largest = cast.largest_partnership
    return [
        Page("dashboard#figures", "Tổng quan › số liệu", "/", "staff", "figures"),
        Page("partnership_list#results", "Kết nghĩa › kết quả", "/partnerships/?status=active", "staff", "results"),
        Page(
            "partnership_commitments#grouped",
            "Cam kết theo lĩnh vực",
            f"/commitments/partnership/{largest}/",
            "staff",
            "grouped",
        ),
        Page(
            "commitment_list#results", "Cam kết › kết quả", f"/commitments/?field={cast.field_id}", "staff", "results"
        ),
        Page("commune_list#results", "Đơn vị › kết quả", "/communes/?page=2", "staff", "results"),
        Page("report_list#results", "Báo cáo › kết quả", "/reports/", "staff", "results"),
        Page("review_queue#results", "Hàng chờ › kết quả", "/commitments/review/?page=2", "staff", "results"),
    ]


def comparison(cast: Cast) -> dict[str, tuple[str, str]]:
    """P3: (portal path, admin changelist path) showing the same rows, 25 a page, same order."""
    return {
        "unfiltered": ("/commitments/", "/bench/admin/commitments/commitment/"),
        "filtered": (
            f"/commitments/?field={cast.field_id}",
            f"/bench/admin/commitments/commitment/?field__id__exact={cast.field_id}",
        ),
    }
