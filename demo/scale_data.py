"""Benchmark data at the two scales of TARGETS.md: Đà Nẵng today ("city") and every commune of Vietnam ("national").

``seed_scale`` writes it into a database of its own, never into one that holds real or demo data:

- the real reference data (the 94 units of Đà Nẵng, the 2025 merge table, the fields, the legal
  basis, the 14 partnerships reported in the press) comes through the existing loaders;
- at national scale, the other 3,227 commune-level units of the 34 provinces are invented from
  syllable lists (plausible Vietnamese names with their diacritics, unique 5-digit codes, former
  districts, the merged old units); the 12 other real special zones keep their real names;
- partnerships pair supported (mountain, border, island) units with supporters of the same province
  where possible, some three-way; commitments in every field; progress updates spread over the last
  eight quarters, mostly verified, some returned, some still waiting; some commitments overdue;
  officers for every unit; activities.

Speed: rows are generated in Python (deterministic: one seeded ``random.Random``) and written with
PostgreSQL ``COPY`` in one transaction. The denormalised commitment totals (``achieved_quantity``,
``achieved_value_vnd``, ``completed_on``) are then computed from the verified updates by one SQL
statement, exactly as ``commitments.services.recompute_achievement`` would have set them had every
update been verified one by one through the service.

Audit: the row-by-row history triggers (pghistory) are skipped for the load with
``pgtrigger.ignore``: each costs about half a millisecond a row (a minute more at national
scale on 2 cores). The "insert" events of the units, users, partnerships, members, activities and
commitments are then written set-based, one statement a table (``backfill_insert_events``), so the
history shown on a partnership page reads an audit trail of realistic size. The 600,000 progress
updates get no event (the partnership history does not show them), nor does the bulk UPDATE deriving the
commitment totals (it would claim a person changed 60,000 rows).

Constraints all hold, checked by PostgreSQL itself: units, users, partnerships and members are
loaded first, then the deferred "one supported unit, at least one supporter" trigger and the other
queued checks run (``SET CONSTRAINTS ALL IMMEDIATE``); the foreign keys of the two big tables
(commitments, with the composite "owner ∈ members", and progress updates) are dropped for the COPY
and added back identically, which validates every row in one join each (PostgreSQL's own advice for
populating a database); the verified-update lock and the check constraints fire as usual. All of it
in one transaction: a failure leaves nothing behind.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pgtrigger
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from pghistory.models import Event
from psycopg import sql

from accounts.models import Role
from commitments.models import Commitment, Field, ProgressUpdate, ReportingPeriod
from commitments.reference_data import load_fields
from communes.models import Commune, Constituent
from communes.reference_data import load_communes, load_constituents
from partnerships.models import Activity, LegalBasis, Membership, Partnership, StatusChange
from partnerships.reference_data import (
    ASSIGNING_LETTER_NUMBER,
    RESOLUTION_NUMBER,
    load_known_partnerships,
    load_legal_bases,
)

from .demo_data import COMMITMENT_TEMPLATES

# --- Sizes ------------------------------------------------------------------------------------------

DANANG = "Đà Nẵng"
DANANG_SUPPORTED = 33  # CV 389/TU: 60 lowland units assigned to 33 mountain, border and island communes
HOANG_SA_CODE = "20333"  # no resident population: never a member of a partnership
SCALE_REF_PREFIX = "scale:"
KNOWN_REF_PREFIX = "known:"
USER_PREFIX = "scale-"
SOURCE = "Dữ liệu mô phỏng để đo hiệu năng (seed_scale), không phải số liệu thật."
ROLE_SOURCE = "dữ liệu mô phỏng (seed_scale)"
# Every generated account has this password: benchmark databases only, never a real one (check_target).
SCALE_PASSWORD = "scale-password-2026"


@dataclass(frozen=True)
class Size:
    """How much to generate. ``units`` and ``partnerships`` are totals, real rows included."""

    units: int
    partnerships: int
    commitments: int
    updates: int
    quarters: int = 8
    activities_per_partnership: int = 8
    officers_per_unit: int = 2
    three_way_share: float = 0.08

    def __post_init__(self):
        if self.units < 94:
            raise ValueError("units: at least the 94 real units of Đà Nẵng")
        if min(self.partnerships, self.commitments, self.updates, self.quarters) < 1:
            raise ValueError("every size must be at least 1")


SCALES = {
    # Đà Nẵng today: the real 94 units, about 60 partnerships since August 2025.
    "city": Size(units=94, partnerships=60, commitments=1_500, updates=6_000, quarters=6, three_way_share=0.05),
    # Every commune-level unit of Vietnam after 1/7/2025 (Nghị quyết 202/2025/QH15: 3,321).
    "national": Size(units=3_321, partnerships=2_000, commitments=60_000, updates=600_000, quarters=8),
}


# Bulk-loaded tables: their per-row audit triggers are skipped during the load. The insert events of
# all but the progress updates are then written in one statement each (backfill_insert_events);
# the 600,000 progress updates get none, and the bulk UPDATE deriving the totals records nothing.
AUDIT_BACKFILLED = [Commune, Constituent, get_user_model(), Partnership, Membership, Activity, Commitment]
AUDIT_TRIGGERS_SKIPPED = [
    *(f"{model._meta.label}:insert_insert" for model in AUDIT_BACKFILLED),
    "commitments.ProgressUpdate:insert_insert",
    "commitments.Commitment:update_update",
]


class SeedRefused(Exception):
    """The database is not one ``seed_scale`` may write into (see ``check_target``)."""


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    commitment_status: dict[str, int] = field(default_factory=dict)
    update_state: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


# --- Names ------------------------------------------------------------------------------------------

# The 33 provinces and cities other than Đà Nẵng after 12/6/2025 (Nghị quyết 202/2025/QH15), with the
# real special zones (đặc khu) of each; the units inside them are invented. Weights: roughly how many units each has.
PROVINCES: list[tuple[str, float, float, tuple[str, ...]]] = [
    # name, relative number of units, share of wards (phường), special zones
    ("Hà Nội", 1.35, 0.40, ()),
    ("Thành phố Hồ Chí Minh", 1.75, 0.67, ("Côn Đảo",)),
    ("Hải Phòng", 1.2, 0.40, ("Cát Hải", "Bạch Long Vĩ")),
    ("Huế", 0.45, 0.48, ()),
    ("Cần Thơ", 1.0, 0.30, ()),
    ("Cao Bằng", 0.6, 0.05, ()),
    ("Điện Biên", 0.5, 0.05, ()),
    ("Lai Châu", 0.4, 0.05, ()),
    ("Sơn La", 0.75, 0.08, ()),
    ("Lạng Sơn", 0.65, 0.06, ()),
    ("Quảng Ninh", 0.55, 0.55, ("Vân Đồn", "Cô Tô")),
    ("Thanh Hóa", 1.6, 0.12, ()),
    ("Nghệ An", 1.3, 0.09, ()),
    ("Hà Tĩnh", 0.7, 0.13, ()),
    ("Tuyên Quang", 1.0, 0.07, ()),
    ("Lào Cai", 1.0, 0.10, ()),
    ("Thái Nguyên", 0.9, 0.16, ()),
    ("Phú Thọ", 1.45, 0.11, ()),
    ("Bắc Ninh", 1.0, 0.33, ()),
    ("Hưng Yên", 1.05, 0.08, ()),
    ("Ninh Bình", 1.3, 0.25, ()),
    ("Quảng Trị", 0.8, 0.10, ("Cồn Cỏ",)),
    ("Quảng Ngãi", 0.95, 0.09, ("Lý Sơn",)),
    ("Gia Lai", 1.35, 0.18, ()),
    ("Khánh Hòa", 0.65, 0.24, ("Trường Sa",)),
    ("Lâm Đồng", 1.25, 0.16, ("Phú Quý",)),
    ("Đắk Lắk", 1.0, 0.15, ()),
    ("Đồng Nai", 0.95, 0.24, ()),
    ("Tây Ninh", 0.95, 0.15, ()),
    ("Vĩnh Long", 1.25, 0.16, ()),
    ("Đồng Tháp", 1.0, 0.19, ()),
    ("Cà Mau", 0.65, 0.14, ()),
    ("An Giang", 0.95, 0.14, ("Phú Quốc", "Kiên Hải", "Thổ Châu")),
]

FIRST = (
    "An Bình Cát Đại Đông Đức Gia Hà Hải Hiệp Hòa Hồng Hưng Hương Kim Lạc Long Lộc Minh Mỹ Nam Nghĩa Ngọc "
    "Phong Phú Phúc Phước Quang Quảng Sơn Tam Tân Tây Thái Thanh Thạnh Thịnh Thuận Thượng Tiên Trung Trường "
    "Tường Vạn Vĩnh Xuân Yên Bắc Cẩm Châu Điện Duy Hạ Hậu Khánh Lam Liên Lương Nhơn Quế Tịnh Triệu Vân Vinh"
).split()
SECOND = (
    "An Bình Châu Cường Dương Điền Định Đông Đức Giang Hà Hải Hiệp Hòa Hội Hưng Khánh Lạc Lâm Lập Linh Lộc "
    "Long Lợi Lương Mỹ Nam Ninh Phong Phú Phúc Phước Quang Sơn Tân Thạch Thành Thạnh Thắng Thịnh Thọ Thới "
    "Thuận Thủy Tiến Trạch Trung Tú Tường Vinh Xuân Yên Khê Hồ Kiều Mai Nguyên Phát Quý Sang Tâm Trà Uyên Văn"
).split()
# Names of the highlands and the north-west, for mountain communes.
HIGHLAND_FIRST = "Ea Ia Đắk Chư Krông Mường Nậm Sìn Pà Bản Mù Phìn Tà Xín Lũng Na Pắc Khau Trà Bờ".split()
HIGHLAND_SECOND = (
    "Pơ Grai Mơ Glei Tơ Sao Chải Lé Khương Nhé Pồ Thàng Mần Cang Hồ Páo Rờ Ngo Bông Kar Tul Sar Pích Lừ "
    "Vàng Cài Hẩu Mòn Xiêng Choáng Lùng Mé Kha Lầu Tung Nưa Rang Bó Y Lấp Púng Giàng"
).split()
THIRD = "Đông Tây Nam Bắc Trung Thượng Hạ".split()

FAMILY_NAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Hà Lương Trương".split()
MIDDLE_NAMES = "Văn Thị Minh Ngọc Thanh Đức Hữu Quốc Thu Hoài Xuân Công Kim Bảo".split()
GIVEN_NAMES = (
    "An Bình Cường Dũng Hà Hải Hạnh Hiền Hoa Hùng Hương Khánh Lan Linh Long Mai Nam Nga Phong Phúc Quân "
    "Sơn Tâm Thảo Trang Tuấn Vy Yến Thắng Đạt Giang Hậu Loan Nhung Oanh Quyên Thủy Tùng Việt"
).split()
HAMLET_WORDS = "thôn bản buôn làng tổ dân phố".split(" ")

NARRATIVES = [
    "Đã tổ chức thực hiện theo kế hoạch, đạt kết quả như báo cáo.",
    "Phối hợp với Ủy ban Mặt trận Tổ quốc xã triển khai, người dân đồng tình hưởng ứng.",
    "Đã bàn giao cho địa phương, có biên bản kèm theo.",
    "Triển khai chậm do mưa lũ kéo dài, đã khắc phục và tiếp tục thực hiện.",
    "Đoàn công tác đã làm việc trực tiếp tại xã, thống nhất nội dung hỗ trợ kỳ tới.",
    "Huy động thêm doanh nghiệp trên địa bàn cùng tham gia hỗ trợ.",
    "Hoàn thành phần việc của kỳ, đang chuẩn bị hồ sơ quyết toán.",
    "Cử cán bộ chuyên môn hỗ trợ trực tiếp tại trụ sở Đảng ủy, UBND xã.",
]
RETURN_REASONS = [
    "Thiếu ảnh minh chứng, đề nghị bổ sung.",
    "Số liệu chưa khớp với biên bản bàn giao, đề nghị kiểm tra lại.",
    "Chưa có xác nhận của đơn vị được hỗ trợ.",
    "Giá trị hỗ trợ chưa tách riêng phần xã hội hóa, đề nghị làm rõ.",
]
ACTIVITY_TITLES = {
    Activity.Kind.SURVEY_TRIP: "Khảo sát nhu cầu thực tế tại {supported}",
    Activity.Kind.CEREMONY: "Lễ ký kết chương trình kết nghĩa",
    Activity.Kind.DELEGATION: "Đoàn công tác trao đổi kinh nghiệm tại {supported}",
    Activity.Kind.HANDOVER: "Trao tặng hàng hóa, học bổng cho người dân {supported}",
    Activity.Kind.SECONDMENT: "Cử cán bộ chuyên môn hỗ trợ {supported}",
    Activity.Kind.TRAINING: "Tập huấn nghiệp vụ cho cán bộ {supported}",
    Activity.Kind.OTHER: "Thăm hỏi, tặng quà gia đình chính sách tại {supported}",
}
TITLE_SUFFIXES = ["", "", " năm {year}", " giai đoạn {year}–{next_year}", " tại {hamlet}", " (đợt {n})"]


class NameMaker:
    """Plausible, unique Vietnamese place names: two syllables, a third when the pairs run out."""

    def __init__(self, rng: random.Random, taken: Iterable[tuple[str, str]] = ()):
        self.rng = rng
        self.used: dict[str, set[str]] = defaultdict(set)
        for name, kind in taken:
            self.used[kind].add(name)

    def make(self, kind: str, highland: bool = False) -> str:
        firsts, seconds = (HIGHLAND_FIRST, HIGHLAND_SECOND) if highland else (FIRST, SECOND)
        for attempt in range(400):
            first, second = self.rng.choice(firsts), self.rng.choice(seconds)
            if first == second:
                continue
            name = f"{first} {second}"
            if attempt > 40:
                name += " " + self.rng.choice(THIRD)
            if name not in self.used[kind]:
                self.used[kind].add(name)
                return name
        raise RuntimeError(f"ran out of names for {kind}")


def person_name(rng: random.Random) -> tuple[str, str]:
    """(first_name, last_name) so that Django's "first last" reads as a Vietnamese full name."""
    return f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)}", rng.choice(GIVEN_NAMES)


# --- The target database --------------------------------------------------------------------------


def foreign_data() -> list[str]:
    """What in the database was not written by ``seed_scale`` or the reference loaders."""
    found = []
    partnerships = Partnership.objects.exclude(external_ref__startswith=SCALE_REF_PREFIX).exclude(
        external_ref__startswith=KNOWN_REF_PREFIX
    )
    if partnerships.exists():
        found.append(f"{partnerships.count()} quan hệ kết nghĩa không do seed_scale tạo")
    commitments = Commitment.objects.filter(partnership__in=partnerships)
    if commitments.exists():
        found.append(f"{commitments.count()} cam kết không do seed_scale tạo")
    users = get_user_model().objects.exclude(username__startswith=USER_PREFIX)
    if users.exists():
        found.append(f"{users.count()} tài khoản người dùng không do seed_scale tạo")
    return found


def is_seeded() -> bool:
    return (
        Partnership.objects.filter(external_ref__startswith=SCALE_REF_PREFIX).exists()
        or get_user_model().objects.filter(username__startswith=USER_PREFIX).exists()
    )


def check_target(*, reset: bool = False, force: bool = False) -> None:
    """Refuse a database holding anything but scale data (unless ``force``), or already seeded (unless ``reset``)."""
    found = foreign_data()
    if found and not force:
        raise SeedRefused(
            "Cơ sở dữ liệu này có dữ liệu không phải dữ liệu mô phỏng ("
            + "; ".join(found)
            + "). Hãy dùng một cơ sở dữ liệu riêng (DATABASE_URL=…/ketnghia_national) hoặc thêm --force."
        )
    if is_seeded() and not reset:
        raise SeedRefused("Cơ sở dữ liệu đã có dữ liệu mô phỏng. Thêm --reset để xóa và tạo lại.")


def wipe() -> None:
    """Empty every table of the portal (and the audit trail, sessions, login records) in one statement."""
    keep = {"django_migrations", "django_content_type", "auth_permission"}
    tables = [t for t in connection.introspection.django_table_names(only_existing=True) if t not in keep]
    quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


# --- Writing ----------------------------------------------------------------------------------------


def copy_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPY dicts keyed by attname into the model's table; missing columns get the field's default."""
    now = timezone.now()
    fields = model._meta.concrete_fields
    defaults = []
    for model_field in fields:
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            defaults.append(now)
        else:
            defaults.append(model_field.get_default())
    names = [f.attname for f in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    count = 0
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row.get(name, default) for name, default in zip(names, defaults, strict=True)])
            count += 1
    return count


def drop_foreign_keys(*model_classes) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of these tables before a bulk load; ``add_foreign_keys`` puts them back.

    PostgreSQL's advice for populating a database: adding a foreign key checks every row with one
    join, where each loaded row would fire a check of its own per key (2.4 million checks for the
    progress updates alone). Both happen inside the load's transaction: should anything fail, the
    keys were never gone; once it commits, every key is in place and every row has been checked.
    """
    tables = [model._meta.db_table for model in model_classes]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # The checks queued so far (members of every partnership included) run now: a table with
        # pending checks cannot be altered. From here on every check in this transaction is immediate.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    return keys


def add_foreign_keys(keys: list[tuple[str, str, str]]) -> int:
    """Add back, identically (name, columns, deferral), the keys ``drop_foreign_keys`` removed."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    return len(keys)


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def reset_sequences(*model_classes) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), model_classes):
            cursor.execute(statement)


# --- Generating -------------------------------------------------------------------------------------


def quarter_bounds(year: int, number: int) -> tuple[datetime.date, datetime.date]:
    return ReportingPeriod.quarter_bounds(year, number, ReportingPeriod.Convention.DECREE_09)


def quarter_of(day: datetime.date) -> tuple[int, int]:
    """(year, quarter) under Nghị định 09/2019: 15/12/2025 already belongs to Q1 of 2026."""
    year = day.year + (day.month == 12 and day.day >= 15)
    for number in range(1, 5):
        start, end = quarter_bounds(year, number)
        if start <= day <= end:
            return year, number
    raise AssertionError(day)


def previous_quarter(year: int, number: int) -> tuple[int, int]:
    return (year, number - 1) if number > 1 else (year - 1, 4)


def spread(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    whole = sum(weights) or 1.0
    raw = [total * w / whole for w in weights]
    parts = [int(x) for x in raw]
    for index in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[index] += 1
    return parts


def cut(total: int, pieces: int, rng: random.Random, step: int = 1) -> list[int]:
    """``total`` cut into ``pieces`` random non-negative multiples of ``step`` that add up to ``total``."""
    weights = [rng.random() + 0.2 for _ in range(pieces)]
    whole = sum(weights)
    parts, running, done = [], 0.0, 0
    for weight in weights:
        running += weight
        reached = min(total, int(total * running / whole) // step * step)  # floor: never past the total
        parts.append(reached - done)
        done = reached
    parts[-1] += total - done
    return parts


@dataclass
class Unit:
    code: str
    name: str
    kind: str
    province: str
    supported: bool


class Generator:
    """One seeded run: every ``make_*`` writes its rows and remembers what later steps need."""

    def __init__(self, size: Size, *, seed: int, today: datetime.date, log: Callable[[str], None]):
        self.size = size
        self.rng = random.Random(seed)
        self.today = today
        self.log = log
        self.result = SeedResult()
        self.units: dict[str, Unit] = {}
        self.officers: dict[str, list[int]] = {}
        self.reviewers: list[int] = []
        self.periods: dict[tuple[int, int], int] = {}
        # partnership id -> (status, signed_on, [(code, role)])
        self.partnerships: dict[int, tuple[str, datetime.date | None, list[tuple[str, str]]]] = {}

    # Steps --------------------------------------------------------------------------------------

    def step(self, name: str, work: Callable[[], int | None]) -> None:
        started = time.perf_counter()
        count = work()
        self.result.timings[name] = round(time.perf_counter() - started, 2)
        if count is not None:
            self.result.counts[name] = count
        self.log(f"  {name}: {count if count is not None else '—'} ({self.result.timings[name]:.1f} s)")

    def run(self) -> SeedResult:
        self.step("dữ liệu tham chiếu", self.load_reference)
        self.step("kỳ báo cáo", self.make_periods)
        # The bulk writes skip the row-by-row audit triggers (see the module docstring).
        with pgtrigger.ignore(*AUDIT_TRIGGERS_SKIPPED):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # sets pgtrigger.ignore for the rest of the transaction (COPY too)
            self.step("đơn vị hành chính", self.make_units)
            self.step("người dùng", self.make_users)
            self.step("quan hệ kết nghĩa", self.make_partnerships)
            self.step("hoạt động", self.make_activities)
            commitments = self.make_commitments()
            first_update = next_id(ProgressUpdate)
            keys: list[tuple[str, str, str]] = []

            def drop_keys() -> int:
                keys.extend(drop_foreign_keys(Commitment, ProgressUpdate))
                return len(keys)

            self.step("kiểm tra ràng buộc đã nạp", drop_keys)
            self.step("cam kết", lambda: copy_rows(Commitment, commitments))
            self.step(
                "báo cáo tiến độ",
                lambda: copy_rows(ProgressUpdate, self.make_updates(commitments, first_id=first_update)),
            )
            self.step("khóa ngoại (kiểm tra toàn bộ)", lambda: add_foreign_keys(keys))
            self.step("tổng hợp kết quả cam kết", derive_achievement)
        self.step("nhật ký (sự kiện thêm mới)", lambda: sum(map(backfill_insert_events, AUDIT_BACKFILLED)))
        reset_sequences(get_user_model(), Constituent, Partnership, Membership, Activity, Commitment, ProgressUpdate)
        self.result.commitment_status = dict(
            Counter(Commitment.objects.with_status(self.today).values_list("status", flat=True))
        )
        self.result.update_state = dict(Counter(ProgressUpdate.objects.values_list("state", flat=True)))
        return self.result

    def load_reference(self) -> int:
        data_dir = settings.REFERENCE_DATA_DIR
        for loader in (
            lambda: load_communes(data_dir),
            lambda: load_constituents(data_dir),
            load_fields,
            load_legal_bases,
            lambda: load_known_partnerships(data_dir),
        ):
            outcome = loader()
            if outcome.problems:
                raise RuntimeError("; ".join(outcome.problems))
        return Commune.objects.count()

    def make_periods(self) -> int:
        """The ``quarters`` quarters up to today's, and the next one (so new reports find an open quarter)."""
        year, number = quarter_of(self.today)
        wanted = [(year, number)]
        for _ in range(self.size.quarters - 1):
            wanted.append(previous_quarter(*wanted[-1]))
        wanted.append((year, number + 1) if number < 4 else (year + 1, 1))
        for year_, number_ in sorted(wanted):
            start, end = quarter_bounds(year_, number_)
            period, _ = ReportingPeriod.objects.get_or_create(
                kind=ReportingPeriod.Kind.QUARTER,
                convention=ReportingPeriod.Convention.DECREE_09,
                year=year_,
                number=number_,
                defaults={"starts_on": start, "ends_on": end},
            )
            self.periods[(year_, number_)] = period.pk
        first = min(wanted)
        self.window_start = quarter_bounds(*first)[0]
        return len(wanted)

    def make_units(self) -> int:
        """Programme roles for the real units, then the invented units of the other provinces."""
        real = list(Commune.objects.order_by("code"))
        supported = [c for c in real if c.programme_role == Commune.ProgrammeRole.SUPPORTED]
        # Mountain and border communes first: the ones the resolution targets (as seed_demo does).
        open_ = sorted(
            (c for c in real if not c.programme_role and c.code != HOANG_SA_CODE),
            key=lambda c: (not c.is_border, not c.is_mountainous, c.kind != Commune.Kind.COMMUNE, c.code),
        )
        to_support = {c.code for c in open_[: max(0, DANANG_SUPPORTED - len(supported))]}
        for commune in open_:
            role = Commune.ProgrammeRole.SUPPORTED if commune.code in to_support else Commune.ProgrammeRole.SUPPORTING
            Commune.objects.filter(code=commune.code).update(programme_role=role, programme_role_source=ROLE_SOURCE)
            commune.programme_role = role
        for commune in real:
            is_supported = commune.programme_role == Commune.ProgrammeRole.SUPPORTED
            self.units[commune.code] = Unit(commune.code, commune.name, commune.kind, DANANG, is_supported)

        extra = self.size.units - len(real)
        if extra <= 0:
            return len(real)
        names = NameMaker(self.rng, [(c.name, c.kind) for c in real])
        districts = NameMaker(self.rng)
        taken = {c.code for c in real}
        codes = sorted(self.rng.sample([f"{n:05d}" for n in range(1, 33_000) if f"{n:05d}" not in taken], extra))
        zones = [(p, z) for p, _w, _s, zs in PROVINCES for z in zs][: min(12, extra // 250)]
        per_province = spread(extra - len(zones), [w for _p, w, _s, _z in PROVINCES])
        communes, constituents = [], []
        constituent_id = next_id(Constituent)
        code_iter = iter(codes)
        for (province, _weight, ward_share, _zones), count in zip(PROVINCES, per_province, strict=True):
            province_zones = [z for p, z in zones if p == province]
            district_names = [districts.make("district") for _ in range(max(1, round(count / 5)))]
            for index in range(count + len(province_zones)):
                if index < len(province_zones):
                    kind, name, district = Commune.Kind.SPECIAL_ZONE, province_zones[index], province_zones[index]
                    supported = True
                else:
                    kind = Commune.Kind.WARD if self.rng.random() < ward_share else Commune.Kind.COMMUNE
                    supported = kind == Commune.Kind.COMMUNE and self.rng.random() < 0.42
                    name = names.make(kind, highland=supported and self.rng.random() < 0.6)
                    district = district_names[index * len(district_names) // (count + len(province_zones))]
                code = next(code_iter)
                old = [
                    (
                        f"{self.rng.choice(['xã', 'xã', 'phường', 'thị trấn'])} {old_name}",
                        f"{self.rng.randrange(1, 33_000):05d}",
                    )
                    for old_name in dict.fromkeys(
                        f"{self.rng.choice(FIRST)} {self.rng.choice(SECOND)}" for _ in range(self.rng.randint(2, 4))
                    )
                ]
                mountainous, border = (True, self.rng.random() < 0.3) if supported else (False, False)
                if self.rng.random() < 0.08:
                    mountainous = None  # the sources do not always say
                communes.append(
                    {
                        "code": code,
                        "name": name,
                        "kind": kind,
                        "former_district": district,
                        "is_mountainous": mountainous,
                        "is_border": None if mountainous is None else border,
                        "programme_role": Commune.ProgrammeRole.SUPPORTED
                        if supported
                        else Commune.ProgrammeRole.SUPPORTING,
                        "programme_role_source": ROLE_SOURCE,
                        "merged_from": "; ".join(o for o, _c in old),
                        "source": SOURCE,
                    }
                )
                for old_name, old_code in old:
                    constituents.append(
                        {
                            "id": constituent_id,
                            "commune_id": code,
                            "old_code": old_code,
                            "old_name": old_name,
                            "old_district": district,
                            "old_province": province,
                            "merge_note": "Sáp nhập",
                        }
                    )
                    constituent_id += 1
                self.units[code] = Unit(code, name, kind, province, supported)
        copy_rows(Commune, communes)
        copy_rows(Constituent, constituents)
        return len(real) + len(communes)

    def make_users(self) -> int:
        """City staff, leadership, an administrator and ``officers_per_unit`` officers in every unit.

        They share one password hash, ``SCALE_PASSWORD`` (hashing thousands with Argon2 would take
        minutes), so that a person can sign in and look around; the bench signs in with ``force_login``.
        """
        User = get_user_model()
        password = make_password(SCALE_PASSWORD)
        rows, user_id = [], next_id(User)

        def add(username: str, role: str, commune: str | None = None) -> int:
            nonlocal user_id
            first, last = person_name(self.rng)
            rows.append(
                {
                    "id": user_id,
                    "username": f"{USER_PREFIX}{username}",
                    "password": password,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{USER_PREFIX}{username}@example.invalid",
                    "role": role,
                    "commune_id": commune,
                    "is_staff": role in {Role.ADMINISTRATOR, Role.CITY_STAFF},
                    "is_superuser": role == Role.ADMINISTRATOR,
                    "is_active": True,
                }
            )
            user_id += 1
            return user_id - 1

        add("admin", Role.ADMINISTRATOR)
        self.reviewers = [add(f"city-{n}", Role.CITY_STAFF) for n in range(1, 6)]
        for n in range(1, 3):
            add(f"leader-{n}", Role.LEADERSHIP)
        for code in self.units:
            self.officers[code] = [
                add(f"officer-{code}-{n}", Role.UNIT_OFFICER, code) for n in range(1, self.size.officers_per_unit + 1)
            ]
        return copy_rows(User, rows)

    def make_partnerships(self) -> int:
        """The known partnerships stay; new ones pair each supported unit with supporters of its province."""
        for partnership in Partnership.objects.prefetch_related("memberships"):
            members = [(m.commune_id, m.role) for m in partnership.memberships.all()]
            self.partnerships[partnership.pk] = (partnership.status, partnership.signed_on, members)
        wanted = self.size.partnerships - len(self.partnerships)
        if wanted <= 0:
            return len(self.partnerships)
        usage = Counter(code for _s, _d, members in self.partnerships.values() for code, _r in members)
        supported = [u for u in self.units.values() if u.supported and u.code != HOANG_SA_CODE]
        supporters = defaultdict(list)
        for unit in self.units.values():
            if not unit.supported and unit.code != HOANG_SA_CODE:
                supporters[unit.province].append(unit.code)
        for codes in supporters.values():
            self.rng.shuffle(codes)
        every_supporter = [code for codes in supporters.values() for code in codes]

        def pick_supporter(province: str, exclude: set[str]) -> str:
            """The least-used supporter of the province, else of the country."""
            for pool in (supporters[province], every_supporter):
                candidates = [c for c in pool if c not in exclude]
                if candidates:
                    best = min(usage[c] for c in candidates)
                    if pool is every_supporter or best == 0:
                        return next(c for c in candidates if usage[c] == best)
            raise RuntimeError("no supporter left")

        statuses = [
            (Partnership.Status.ACTIVE, 72),
            (Partnership.Status.SIGNED, 14),
            (Partnership.Status.SURVEYED, 4),
            (Partnership.Status.ASSIGNED, 3),
            (Partnership.Status.SUSPENDED, 4),
            (Partnership.Status.ENDED, 3),
        ]
        resolution = LegalBasis.objects.get(number=RESOLUTION_NUMBER).pk
        letter = LegalBasis.objects.get(number=ASSIGNING_LETTER_NUMBER).pk
        rows, memberships = [], []
        partnership_id, membership_id = next_id(Partnership), next_id(Membership)
        for index in range(wanted):
            target = min(supported, key=lambda u: (usage[u.code], self.rng.random()))
            members = [(target.code, Membership.Role.SUPPORTED)]
            lead = pick_supporter(target.province, set())
            members.append((lead, Membership.Role.LEAD_SUPPORTER))
            if self.rng.random() < self.size.three_way_share:
                members.append((pick_supporter(target.province, {lead}), Membership.Role.CO_SUPPORTER))
            usage.update(code for code, _r in members)
            status = self.rng.choices([s for s, _w in statuses], [w for _s, w in statuses])[0]
            signed_on = None
            if status not in {Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED}:
                signed_on = self.window_start + datetime.timedelta(days=self.rng.randrange(10, 100))
            supporters_text = " + ".join(self.units[code].name for code, _r in members[1:])
            rows.append(
                {
                    "id": partnership_id,
                    "title": f"Kết nghĩa {supporters_text} – {target.name}",
                    "legal_basis_id": resolution,
                    "assigning_document_id": letter,
                    "status": status,
                    "signed_on": signed_on,
                    "signed_place": f"Trụ sở Đảng ủy {target.name}" if signed_on else "",
                    "term_start": signed_on,
                    "term_end": signed_on + datetime.timedelta(days=5 * 365) if signed_on else None,
                    "summary": "Hỗ trợ toàn diện về xây dựng hệ thống chính trị, kinh tế, văn hóa – xã hội.",
                    "source": SOURCE,
                    "external_ref": f"{SCALE_REF_PREFIX}{index + 1}",
                    "is_demo": True,
                }
            )
            for code, role in members:
                memberships.append(
                    {
                        "id": membership_id,
                        "partnership_id": partnership_id,
                        "commune_id": code,
                        "role": role,
                        "joined_on": signed_on,
                    }
                )
                membership_id += 1
            self.partnerships[partnership_id] = (status, signed_on, members)
            partnership_id += 1
        copy_rows(Partnership, rows)
        copy_rows(Membership, memberships)
        # COPY skips Partnership.save(): the dated status history is written here, as save() would.
        history = []
        for row in rows:
            if row["signed_on"] is not None and row["signed_on"] <= self.today:
                history.append(StatusChange(partnership_id=row["id"], status="signed", effective_on=row["signed_on"]))
            if not history or history[-1].partnership_id != row["id"] or history[-1].status != row["status"]:
                history.append(StatusChange(partnership_id=row["id"], status=row["status"], effective_on=self.today))
        StatusChange.objects.bulk_create(history, batch_size=5000)
        return len(self.partnerships)

    def started(self, partnership_id: int) -> datetime.date | None:
        """When a partnership's work began: its signing (the known ones without a date: mid-September 2025)."""
        status, signed_on, _members = self.partnerships[partnership_id]
        if status in {Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED}:
            return None
        # Never before the first generated quarter: every progress update must fall in a period.
        return max(signed_on or datetime.date(2025, 9, 15), self.window_start)

    def supported_name(self, partnership_id: int) -> str:
        members = self.partnerships[partnership_id][2]
        code = next(code for code, role in members if role == Membership.Role.SUPPORTED)
        unit = self.units[code]
        return f"{Commune.Kind(unit.kind).label.lower()} {unit.name}"

    def make_activities(self) -> int:
        rows, activity_id = [], next_id(Activity)
        kinds = [Activity.Kind.DELEGATION, Activity.Kind.HANDOVER, Activity.Kind.SECONDMENT, Activity.Kind.TRAINING]
        for pid in self.partnerships:
            start = self.started(pid)
            if start is None or start > self.today:
                continue
            members = self.partnerships[pid][2]
            officer = self.officers[next(c for c, r in members if r != Membership.Role.SUPPORTED)][0]
            days = max(1, (self.today - start).days)
            entries = [
                (Activity.Kind.SURVEY_TRIP, start - datetime.timedelta(days=10)),
                (Activity.Kind.CEREMONY, start),
            ]
            count = max(0, self.size.activities_per_partnership + self.rng.randint(-3, 3) - 2)
            entries += [
                (
                    self.rng.choice(kinds + [Activity.Kind.OTHER]),
                    start + datetime.timedelta(days=self.rng.randrange(days)),
                )
                for _ in range(count)
            ]
            for kind, day in entries:
                valued = kind in {Activity.Kind.HANDOVER, Activity.Kind.OTHER}
                rows.append(
                    {
                        "id": activity_id,
                        "partnership_id": pid,
                        "kind": kind,
                        "occurred_on": day,
                        "title": ACTIVITY_TITLES[kind].format(supported=self.supported_name(pid)),
                        "participants": "Đại diện Đảng ủy, HĐND, UBND và Mặt trận Tổ quốc hai địa phương",
                        "participant_count": self.rng.randrange(8, 80),
                        "value_vnd": self.rng.randrange(10, 500) * 1_000_000 if valued else None,
                        "logged_by_id": officer,
                        "is_demo": True,
                    }
                )
                activity_id += 1
        return copy_rows(Activity, rows)

    def make_commitments(self) -> list[dict]:
        fields = list(Field.objects.order_by("order"))
        working = [pid for pid in self.partnerships if self.started(pid) is not None]
        weights = [self.rng.lognormvariate(0, 0.45) for _ in working]
        per_partnership = spread(self.size.commitments, weights)
        rows, commitment_id = [], next_id(Commitment)
        for pid, count in zip(working, per_partnership, strict=True):
            members = self.partnerships[pid][2]
            supporters = [c for c, r in members if r != Membership.Role.SUPPORTED]
            supported = next(c for c, r in members if r == Membership.Role.SUPPORTED)
            start = self.started(pid)
            for n in range(count):
                field_ = self.rng.choice(fields)
                title, form, quantity, unit, value = COMMITMENT_TEMPLATES[field_.code]
                scale = self.rng.choice([0.5, 1, 1, 1.5, 2, 3])
                target_quantity = Decimal(max(1, round(quantity * scale))) if quantity else None
                target_value = int(round(value * scale / 1_000_000)) * 1_000_000 if value else None
                owner = supported if self.rng.random() < 0.12 else self.rng.choice(supporters)
                horizon = Commitment.Horizon.LONG_TERM if self.rng.random() < 0.3 else Commitment.Horizon.IMMEDIATE
                starts_on = start + datetime.timedelta(days=self.rng.randrange(0, 60))
                if self.rng.random() < 0.04:
                    starts_on = self.today + datetime.timedelta(days=self.rng.randrange(20, 200))  # planned
                due_on = starts_on + datetime.timedelta(days=self.rng.choice([90, 120, 180, 270, 365, 540, 730]))
                if horizon == Commitment.Horizon.LONG_TERM and self.rng.random() < 0.1:
                    due_on = None  # "về lâu dài" without a deadline
                suffix = self.rng.choice(TITLE_SUFFIXES).format(
                    year=starts_on.year,
                    next_year=starts_on.year + 2,
                    hamlet=f"{self.rng.choice(HAMLET_WORDS)} {self.rng.choice(SECOND)} {self.rng.randint(1, 9)}",
                    n=n // len(fields) + 1,
                )
                rows.append(
                    {
                        "id": commitment_id,
                        "partnership_id": pid,
                        "field_id": field_.pk,
                        "owner_id": owner,
                        "title": title + suffix,
                        "description": f"{title} cho {self.supported_name(pid)}.",
                        "horizon": horizon,
                        "support_form": form,
                        "target_quantity": target_quantity,
                        "target_unit": unit if target_quantity else "",
                        "target_value_vnd": target_value,
                        "start_on": starts_on,
                        "due_on": due_on,
                        "is_demo": True,
                    }
                )
                commitment_id += 1
        return rows

    def plan(self, commitment: dict) -> tuple[datetime.date, datetime.date, float] | None:
        """(first day, last day, share of the target reported) of a commitment's updates, or None."""
        start, due = commitment["start_on"], commitment["due_on"]
        yesterday = self.today - datetime.timedelta(days=1)
        if start >= yesterday or self.rng.random() < 0.05:
            return None  # not started yet, or a unit that never reported
        due = due or start + datetime.timedelta(days=730)
        draw = self.rng.random()
        if due < self.today:
            if draw < 0.64:  # done on time
                end, share = due - datetime.timedelta(days=self.rng.randrange(0, 30)), 1.0
            elif draw < 0.88:  # done, late
                end, share = due + datetime.timedelta(days=self.rng.randrange(15, 200)), 1.0
            else:  # overdue: still short of the target
                end, share = yesterday - datetime.timedelta(days=self.rng.randrange(0, 60)), self.rng.uniform(0.2, 0.9)
        else:
            elapsed = (self.today - start).days / max(1, (due - start).days)
            if draw < 0.12:  # finished early
                end, share = yesterday - datetime.timedelta(days=self.rng.randrange(0, 90)), 1.0
            else:
                end, share = (
                    yesterday - datetime.timedelta(days=self.rng.randrange(0, 40)),
                    min(0.95, elapsed * self.rng.uniform(0.5, 1.1)),
                )
        end = max(start, min(end, yesterday))
        return start, end, share

    def make_updates(self, commitments: list[dict], *, first_id: int) -> Iterable[dict]:
        """Progress reports: about ``updates`` rows in all, more for longer-running commitments.

        A generator consumed while COPY runs: it must not query the database (hence ``first_id``).
        """
        plans = [(c, self.plan(c)) for c in commitments]
        plans = [(c, p) for c, p in plans if p is not None]
        counts = spread(self.size.updates, [(p[1] - p[0]).days + 7 for _c, p in plans])
        update_id = first_id
        zone = timezone.get_current_timezone()
        now = timezone.now()
        for (commitment, (start, end, share)), count in zip(plans, counts, strict=True):
            count = max(1, count)
            span = (end - start).days
            days = sorted(start + datetime.timedelta(days=self.rng.randint(min(7, span), span)) for _ in range(count))
            days[-1] = end
            quantity, value = commitment["target_quantity"], commitment["target_value_vnd"]
            quantities = cut(int(quantity * Decimal(share)), count, self.rng) if quantity else [None] * count
            values = cut(int(value * share), count, self.rng, step=100_000) if value else [None] * count
            author = self.officers[commitment["owner_id"]][commitment["id"] % self.size.officers_per_unit]
            for day, achieved_quantity, achieved_value in zip(days, quantities, values, strict=True):
                at = datetime.datetime.combine(day, datetime.time(8 + self.rng.randrange(9), self.rng.randrange(60)))
                at = at.replace(tzinfo=zone)
                state, resubmitted = self.review_outcome(day)
                year, number = quarter_of(day)
                reviewed_at = None
                if state != ProgressUpdate.State.SUBMITTED:
                    reviewed_at = min(now, at + datetime.timedelta(days=self.rng.randint(1, 10), hours=2))
                label = f"Quý {number}/{year}"
                yield {
                    "id": update_id,
                    "commitment_id": commitment["id"],
                    "period_id": self.periods[(year, number)],
                    "achieved_quantity": None if achieved_quantity is None else Decimal(achieved_quantity),
                    "achieved_value_vnd": achieved_value,
                    "narrative": f"{label}: {self.rng.choice(NARRATIVES)}",
                    "author_id": author,
                    "submitted_at": at,
                    "state": state,
                    "return_reason": self.rng.choice(RETURN_REASONS)
                    if state == ProgressUpdate.State.RETURNED or resubmitted
                    else "",
                    "reviewed_by_id": self.rng.choice(self.reviewers) if reviewed_at else None,
                    "reviewed_at": reviewed_at,
                    "resubmission_count": int(resubmitted),
                    "is_demo": True,
                }
                update_id += 1

    def review_outcome(self, day: datetime.date) -> tuple[str, bool]:
        """(state, was returned once before) of a report filed on ``day``.

        Recent reports still wait for review or were sent back; older ones were verified, some after
        a return and a correction (a returned report is corrected in place and resubmitted).
        """
        age = (self.today - day).days
        draw = self.rng.random()
        if age < 30:
            state = "submitted" if draw < 0.6 else "verified" if draw < 0.88 else "returned"
        elif age < 100:
            state = "verified" if draw < 0.82 else "returned" if draw < 0.95 else "submitted"
        else:
            state = "verified" if draw < 0.997 else "submitted"  # a few forgotten in the queue
        resubmitted = state != "returned" and self.rng.random() < 0.06
        return state, resubmitted


def event_model(model: type[models.Model]) -> type[models.Model]:
    """The pghistory event model that records ``model``'s rows."""
    return next(
        candidate
        for candidate in apps.get_models()
        if issubclass(candidate, Event)
        and not candidate._meta.abstract
        and not candidate._meta.proxy
        and candidate.pgh_tracked_model is model
    )


def backfill_insert_events(model: type[models.Model]) -> int:
    """Write the "insert" audit event of every row of ``model`` that has none, in one statement.

    What the skipped trigger would have written row by row (without a context: "Hệ thống"), so the
    partnership pages' history reads an audit trail of realistic size.
    """
    events = event_model(model)
    columns = [f.column for f in events._meta.concrete_fields if not f.column.startswith("pgh_")]
    quote = connection.ops.quote_name
    listed = ", ".join(quote(c) for c in columns)
    selected = ", ".join(f"t.{quote(c)}" for c in columns)
    pk = quote(model._meta.pk.column)
    statement = f"""
        INSERT INTO {quote(events._meta.db_table)} (pgh_created_at, pgh_label, pgh_obj_id, {listed})
        SELECT now(), 'insert', t.{pk}, {selected}
          FROM {quote(model._meta.db_table)} t
         WHERE NOT EXISTS (
               SELECT 1 FROM {quote(events._meta.db_table)} e WHERE e.pgh_obj_id = t.{pk} AND e.pgh_label = 'insert'
         )
    """  # nosec B608 # table and column names from _meta (seed command)
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.rowcount


def derive_achievement() -> int:
    """Set every commitment's verified totals and completion day from its verified updates, in one statement.

    The same rule as ``services.recompute_achievement`` applied at each verification in turn:
    totals are sums of verified updates; ``completed_on`` is the (local) submission day of the
    update whose verification first brought every target within reach.
    """
    statement = """
        WITH verified AS (
            SELECT u.commitment_id, u.submitted_at, u.reviewed_at, u.id,
                   sum(coalesce(u.achieved_quantity, 0)) OVER running AS quantity,
                   sum(coalesce(u.achieved_value_vnd, 0)) OVER running AS value_vnd
              FROM commitments_progressupdate u
             WHERE u.state = 'verified'
            WINDOW running AS (PARTITION BY u.commitment_id ORDER BY u.reviewed_at, u.id)
        ),
        totals AS (
            SELECT commitment_id, max(quantity) AS quantity, max(value_vnd) AS value_vnd
              FROM verified GROUP BY commitment_id
        ),
        reached AS (
            SELECT DISTINCT ON (v.commitment_id) v.commitment_id,
                   (v.submitted_at AT TIME ZONE %s)::date AS day
              FROM verified v JOIN commitments_commitment c ON c.id = v.commitment_id
             WHERE (c.target_quantity IS NULL OR v.quantity >= c.target_quantity)
               AND (c.target_value_vnd IS NULL OR v.value_vnd >= c.target_value_vnd)
             ORDER BY v.commitment_id, v.reviewed_at, v.id
        )
        UPDATE commitments_commitment c
           SET achieved_quantity = t.quantity, achieved_value_vnd = t.value_vnd, completed_on = r.day
          FROM totals t LEFT JOIN reached r USING (commitment_id)
         WHERE c.id = t.commitment_id
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, [settings.TIME_ZONE])
        return cursor.rowcount


@transaction.atomic
def seed(
    size: Size,
    *,
    seed: int = 2025,
    today: datetime.date | None = None,
    reset: bool = False,
    force: bool = False,
    log: Callable[[str], None] = lambda line: None,
) -> SeedResult:
    """Check the target, optionally empty it, and write one scale of data in one transaction."""
    check_target(reset=reset, force=force)
    with connection.cursor() as cursor:
        # The load switches to immediate checks half-way (drop_foreign_keys); start from, and go back
        # to, the schema's own mode, in case the caller's transaction goes on (a test's does).
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if reset:
        wipe()
    generator = Generator(size, seed=seed, today=today or timezone.localdate(), log=log)
    result = generator.run()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # whatever is still deferred, checked now
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    result.timings["kiểm tra ràng buộc"] = round(time.perf_counter() - started, 2)
    return result


def analyze() -> None:
    """Fresh planner statistics and visibility maps (index-only scans) once the load has committed.

    VACUUM cannot run inside a transaction (a test's, say): there, statistics only.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
