"""Illustrative data so the portal can be tried: every unit paired, commitments in every field.

Everything written here is marked ``is_demo`` (or, for commune roles, sourced "dữ liệu minh họa") so
that it can never be mistaken for the real partnerships loaded by ``load_reference_data``. The
generator is deterministic (fixed seed, fixed dates relative to the programme's start), so a second
run finds every row already there and changes nothing.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.mfa import give_demo_device
from accounts.models import Role
from commitments.models import Commitment, Field, ReportingPeriod
from commitments.services import return_progress, submit_progress, verify_progress
from communes.models import Commune
from core.upsert import upsert
from partnerships.models import Activity, LegalBasis, Membership, Partnership
from partnerships.reference_data import ASSIGNING_LETTER_NUMBER, RESOLUTION_NUMBER

DEMO_PASSWORD = "demo-password-2025"
DEMO_ROLE_SOURCE = "dữ liệu minh họa (seed_demo)"
SUPPORTED_TARGET = 33
PROGRAMME_START = datetime.date(2025, 8, 1)

COMMITMENT_TEMPLATES = {
    "party-building": (
        "Hỗ trợ xây dựng tổ chức cơ sở Đảng trong sạch, vững mạnh",
        Commitment.SupportForm.TRAINING,
        4,
        "buổi sinh hoạt chuyên đề",
        None,
    ),
    "cadre-training": ("Tập huấn nghiệp vụ cho cán bộ xã", Commitment.SupportForm.TRAINING, 3, "lớp", None),
    "state-management": (
        "Chia sẻ quy trình quản lý nhà nước về kinh tế – xã hội",
        Commitment.SupportForm.DELEGATION,
        2,
        "đoàn trao đổi",
        None,
    ),
    "mass-mobilisation": ("Phối hợp mô hình dân vận khéo", Commitment.SupportForm.DELEGATION, 2, "mô hình", None),
    "legal-propaganda": (
        "Tuyên truyền pháp luật, tiếp công dân lưu động",
        Commitment.SupportForm.TRAINING,
        6,
        "buổi",
        None,
    ),
    "council-supervision": (
        "Bồi dưỡng kỹ năng giám sát cho đại biểu HĐND",
        Commitment.SupportForm.TRAINING,
        2,
        "lớp",
        None,
    ),
    "digital-transformation": (
        "Trang bị máy tính và hỗ trợ vận hành chính quyền hai cấp",
        Commitment.SupportForm.EQUIPMENT,
        10,
        "máy tính",
        150_000_000,
    ),
    "economy": ("Hỗ trợ sinh kế cho hộ nghèo", Commitment.SupportForm.CASH, None, "", 200_000_000),
    "health": (
        "Khám bệnh, cấp thuốc miễn phí cho người dân",
        Commitment.SupportForm.GOODS,
        500,
        "lượt khám",
        80_000_000,
    ),
    "education": (
        "Trao học bổng cho học sinh nghèo vượt khó",
        Commitment.SupportForm.SCHOLARSHIP,
        40,
        "suất học bổng",
        60_000_000,
    ),
    "housing": ("Xây dựng nhà đại đoàn kết cho hộ khó khăn", Commitment.SupportForm.HOUSING, 2, "căn nhà", 160_000_000),
    "social-security": (
        "Hỗ trợ hàng hóa thiết yếu mùa mưa bão",
        Commitment.SupportForm.GOODS,
        5,
        "tấn hàng hóa",
        100_000_000,
    ),
    "culture-tourism": (
        "Quảng bá du lịch cộng đồng, dệt thổ cẩm Cơ Tu",
        Commitment.SupportForm.BUSINESS,
        3,
        "sự kiện quảng bá",
        None,
    ),
    "ocop": ("Kết nối tiêu thụ sản phẩm OCOP của xã", Commitment.SupportForm.BUSINESS, 4, "sản phẩm", None),
    "environment": (
        "Hỗ trợ thu gom rác thải và vệ sinh môi trường",
        Commitment.SupportForm.EQUIPMENT,
        20,
        "thùng rác",
        30_000_000,
    ),
}


@dataclass
class DemoResult:
    partnerships: int = 0
    commitments: int = 0
    updates: int = 0
    activities: int = 0
    users_created: list[str] = field(default_factory=list)


def quarter_periods(first_year: int, last_year: int) -> list[ReportingPeriod]:
    periods = []
    for year in range(first_year, last_year + 1):
        for quarter in range(1, 5):
            start, end = ReportingPeriod.quarter_bounds(year, quarter, ReportingPeriod.Convention.DECREE_09)
            period, _, _ = upsert(
                ReportingPeriod,
                {
                    "kind": ReportingPeriod.Kind.QUARTER,
                    "convention": ReportingPeriod.Convention.DECREE_09,
                    "year": year,
                    "number": quarter,
                },
                {"starts_on": start, "ends_on": end},
            )
            periods.append(period)
    return periods


def ensure_user(username: str, role: str, commune=None, first_name: str = "", last_name: str = "") -> bool:
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return False
    user = User(username=username, role=role, commune=commune, first_name=first_name, last_name=last_name)
    user.is_staff = role in {Role.ADMINISTRATOR, Role.CITY_STAFF}
    user.is_superuser = role == Role.ADMINISTRATOR
    user.set_password(DEMO_PASSWORD)
    user.save()
    return True


def assign_demo_roles(rng: random.Random) -> None:
    """Complete the programme roles the sources leave blank: 33 supported communes, the rest supporting."""
    communes = Commune.objects.exclude(kind=Commune.Kind.SPECIAL_ZONE).order_by("code")
    supported = sum(1 for c in communes if c.programme_role == Commune.ProgrammeRole.SUPPORTED)
    unassigned = [c for c in communes if not c.programme_role]
    # Mountain and border communes first: they are the ones the resolution targets.
    unassigned.sort(key=lambda c: (not c.is_border, not c.is_mountainous, c.code))
    for commune in unassigned:
        role = Commune.ProgrammeRole.SUPPORTED if supported < SUPPORTED_TARGET else Commune.ProgrammeRole.SUPPORTING
        supported += role == Commune.ProgrammeRole.SUPPORTED
        upsert(Commune, {"code": commune.code}, {"programme_role": role, "programme_role_source": DEMO_ROLE_SOURCE})


def pair_unpaired_units(rng: random.Random, demo_city_user) -> list[Partnership]:
    """Give every unit without a partnership one: each unpaired supporter joins the least-helped commune."""
    resolution = LegalBasis.objects.get(number=RESOLUTION_NUMBER)
    letter = LegalBasis.objects.get(number=ASSIGNING_LETTER_NUMBER)
    paired = set(Membership.objects.values_list("commune_id", flat=True))
    supported = list(Commune.objects.supported().order_by("code"))
    supporters_count = {
        c.code: Membership.objects.filter(partnership__memberships__commune=c).exclude(commune=c).count()
        for c in supported
    }
    unpaired_supporters = list(Commune.objects.supporting().exclude(code__in=paired).order_by("code"))
    statuses = (
        [Partnership.Status.ACTIVE] * 6
        + [Partnership.Status.SIGNED] * 3
        + [
            Partnership.Status.SURVEYED,
            Partnership.Status.ASSIGNED,
            Partnership.Status.SUSPENDED,
        ]
    )
    partnerships = []
    for supporter in unpaired_supporters:
        # Unpaired supported communes first, then the one with the fewest supporters.
        target = min(supported, key=lambda c: (c.code in paired, supporters_count[c.code], c.code))
        supporters_count[target.code] += 1
        paired.update({supporter.code, target.code})
        status = rng.choice(statuses)
        signed_on = None
        if status not in {Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED}:
            signed_on = datetime.date(2025, 8, 20) + datetime.timedelta(days=rng.randrange(0, 45))
        partnership, created, _ = upsert(
            Partnership,
            {"external_ref": f"demo:{supporter.code}>{target.code}"},
            {
                "title": f"Kết nghĩa {supporter.name} – {target.name} (minh họa)",
                "legal_basis": resolution,
                "assigning_document": letter,
                "status": status,
                "signed_on": signed_on,
                "signed_place": f"Trụ sở Đảng ủy {target}" if signed_on else "",
                "term_start": signed_on,
                "term_end": datetime.date(2030, 12, 31) if signed_on else None,
                "summary": "Dữ liệu minh họa: không phải quan hệ kết nghĩa thật.",
                "is_demo": True,
            },
        )
        if created:
            Membership.objects.create(
                partnership=partnership, commune=target, role=Membership.Role.SUPPORTED, joined_on=signed_on
            )
            Membership.objects.create(
                partnership=partnership, commune=supporter, role=Membership.Role.LEAD_SUPPORTER, joined_on=signed_on
            )
        partnerships.append(partnership)
    return partnerships


def add_commitments(partnership: Partnership, fields: list[Field], rng: random.Random) -> list[Commitment]:
    supporter = partnership.memberships.exclude(role=Membership.Role.SUPPORTED).select_related("commune").first()
    start = partnership.signed_on or datetime.date(2025, 9, 15)
    made = []
    for index, field_ in enumerate(fields):
        title, form, quantity, unit, value = COMMITMENT_TEMPLATES[field_.code]
        horizon = Commitment.Horizon.IMMEDIATE if index % 3 else Commitment.Horizon.LONG_TERM
        starts_on = start
        if horizon == Commitment.Horizon.LONG_TERM and rng.random() < 0.3:
            starts_on = datetime.date(2027, 1, 1)  # planned for later: not started yet
        due = starts_on + datetime.timedelta(days=rng.choice([120, 240, 365, 540, 720]))
        commitment, _, _ = upsert(
            Commitment,
            {"partnership": partnership, "field": field_, "title": title},
            {
                "owner_id": supporter.commune_id,
                "horizon": horizon,
                "support_form": form,
                "target_quantity": Decimal(quantity) if quantity else None,
                "target_unit": unit,
                "target_value_vnd": value,
                "start_on": starts_on,
                "due_on": due,
                "description": f"{title} cho {partnership.memberships.get(role=Membership.Role.SUPPORTED).commune}.",
                "is_demo": True,
            },
        )
        made.append(commitment)
    return made


def add_progress(commitment: Commitment, periods: list[ReportingPeriod], officer, reviewer, rng: random.Random) -> int:
    """A few quarters of reports: mostly verified, some returned or waiting, some never enough (overdue)."""
    if commitment.updates.exists():
        return 0
    today = timezone.localdate()
    if rng.random() < 0.1:
        return 0  # a unit that never reported: not started, or overdue once the due date passes
    past = [p for p in periods if commitment.start_on <= p.ends_on and p.starts_on < today]
    share = Decimal(rng.choice([8, 12, 18, 25, 35]))
    count = 0
    for period in past:
        commitment.refresh_from_db(fields=["completed_on"])
        if commitment.completed_on:
            break  # the target is reached: nothing more to report
        day = min(period.ends_on - datetime.timedelta(days=rng.randrange(3, 20)), today - datetime.timedelta(days=1))
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
        if day < commitment.start_on or day < period.starts_on:
            continue
        quantity = (
            (commitment.target_quantity * share / 100).quantize(Decimal("1")) if commitment.target_quantity else None
        )
        value = int(commitment.target_value_vnd * share / 100) if commitment.target_value_vnd else None
        update = submit_progress(
            commitment=commitment,
            author=officer,
            narrative=f"Kết quả thực hiện {period.label}: {commitment.title.lower()}.",
            achieved_quantity=quantity,
            achieved_value_vnd=value,
            at=at,
        )
        count += 1
        outcome = rng.random()
        review_at = min(at + datetime.timedelta(days=2), timezone.now())  # never reviewed in the future
        if period == past[-1] and outcome < 0.3:
            continue  # waiting for verification
        if outcome < 0.15:
            return_progress(
                update=update, reviewer=reviewer, reason="Thiếu ảnh minh chứng, đề nghị bổ sung.", at=review_at
            )
        else:
            verify_progress(update=update, reviewer=reviewer, at=review_at)
    return count


def add_activities(partnership: Partnership, officer, rng: random.Random) -> int:
    if not partnership.signed_on or partnership.activities.exists():
        return 0
    supported = partnership.memberships.get(role=Membership.Role.SUPPORTED).commune
    entries = [
        (
            Activity.Kind.SURVEY_TRIP,
            partnership.signed_on - datetime.timedelta(days=10),
            f"Khảo sát nhu cầu tại xã {supported.name}",
            None,
        ),
        (Activity.Kind.CEREMONY, partnership.signed_on, "Lễ ký kết chương trình kết nghĩa", None),
        (
            Activity.Kind.HANDOVER,
            partnership.signed_on + datetime.timedelta(days=rng.randrange(30, 200)),
            "Trao tặng hàng hóa, học bổng",
            rng.choice([50_000_000, 120_000_000, 300_000_000]),
        ),
    ]
    for kind, day, title, value in entries:
        Activity.objects.create(
            partnership=partnership,
            kind=kind,
            occurred_on=day,
            title=title,
            value_vnd=value,
            participants="Đại diện Đảng ủy, UBND hai địa phương",
            participant_count=rng.randrange(10, 60),
            logged_by=officer,
            is_demo=True,
        )
    return len(entries)


@transaction.atomic
def seed_demo() -> DemoResult:
    rng = random.Random(2025)
    result = DemoResult()
    for username, role, first, last in [
        ("admin", Role.ADMINISTRATOR, "Quản trị", "Hệ thống"),
        ("city", Role.CITY_STAFF, "Cán bộ", "Ban Tổ chức Thành ủy"),
        ("leader", Role.LEADERSHIP, "Lãnh đạo", "Thường trực Thành ủy"),
    ]:
        if ensure_user(username, role, first_name=first, last_name=last):
            result.users_created.append(username)
        if role in {Role.ADMINISTRATOR, Role.CITY_STAFF}:
            # They must sign in with a TOTP code: a published demo secret (accounts.mfa.DEMO_TOTP_SECRET).
            give_demo_device(get_user_model().objects.get(username=username))
    for commune in Commune.objects.order_by("code"):
        if ensure_user(
            f"officer-{commune.code}", Role.UNIT_OFFICER, commune=commune, first_name="Cán bộ", last_name=commune.name
        ):
            result.users_created.append(f"officer-{commune.code}")
    User = get_user_model()
    reviewer = User.objects.get(username="city")
    periods = quarter_periods(2025, timezone.localdate().year + 1)
    assign_demo_roles(rng)
    partnerships = pair_unpaired_units(rng, reviewer)
    fields = list(Field.objects.order_by("order"))
    for index, partnership in enumerate(partnerships):
        chosen = [fields[(index * 3 + offset) % len(fields)] for offset in range(rng.randrange(2, 5))]
        if partnership.status in {Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED}:
            continue
        officer = User.objects.get(
            username=f"officer-{partnership.memberships.get(role=Membership.Role.LEAD_SUPPORTER).commune_id}"
        )
        for commitment in add_commitments(partnership, chosen, rng):
            result.commitments += 1
            result.updates += add_progress(commitment, periods, officer, reviewer, rng)
        result.activities += add_activities(partnership, officer, rng)
    result.partnerships = len(partnerships)
    return result
