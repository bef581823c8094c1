"""The programme's figures in one place: the dashboard and every report read the same numbers.

Two steps keep them identical wherever they are shown:

1. ``load_rows`` reads plain rows (units, partnerships, members, commitments, activities) with a
   fixed handful of annotated queries. The rows are JSON-safe; a closed period stores them frozen
   in ``PeriodSnapshot`` and a report of that period reads the snapshot instead of the database.
2. ``CityFigures.build(rows, scope)`` aggregates the rows for a scope (the whole city, a former
   district, mountainous or border units, one partnership, one unit) without touching the database.
"""

from __future__ import annotations

import datetime
import json
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from commitments.health import Health, with_health
from commitments.models import Commitment, CommitmentAdjustment, Field, ProgressUpdate, ReportingPeriod
from communes.models import Commune, Constituent, UnitCategory
from partnerships.models import Activity, Membership, Partnership, with_pairing

from . import conf
from .periods import quarter_periods_within

# 2: commitments carry their ``progress`` and units their ``category`` as of the day, from SQL.
ROWS_VERSION = 2
ROLE_ORDER = {Membership.Role.LEAD_SUPPORTER: 0, Membership.Role.CO_SUPPORTER: 1, Membership.Role.SUPPORTED: 2}
COMPLETED = {Commitment.Status.COMPLETED_ON_TIME, Commitment.Status.COMPLETED_LATE}


# --- Loading -----------------------------------------------------------------------------------


def _sum_of(updates, column: str, output_field):
    summed = updates.order_by().values("commitment").annotate(total=Sum(column)).values("total")
    return Coalesce(Subquery(summed, output_field=output_field), 0, output_field=output_field)


def load_rows(*, user=None, period: ReportingPeriod | None = None, as_of: datetime.date | None = None) -> dict:
    """Plain, JSON-safe rows of the programme as of a day, with the flows of ``period`` if given.

    Everything is read as it stood on ``as_of`` (default: the period's cut-off, or today): the
    partnerships recorded by then with their status that day, each commitment's status and progress
    that day (``CommitmentQuerySet.with_status``), each unit's pairing that day
    (``partnerships.models.with_pairing``), the activities held by then. ``user`` scopes the rows through
    ``visible_to``; ``None`` is the system (workers, snapshots). Eight queries whatever the number of rows.
    """
    today = timezone.localdate()
    as_of = as_of or (min(period.ends_on, today) if period else today)
    if user is None:
        partnerships = Partnership.objects.all()
        contents = Partnership.objects.all()
        commitments = Commitment.objects.all()
        activities = Activity.objects.all()
        updates = ProgressUpdate.objects.all()
    else:
        partnerships = Partnership.objects.visible_to(user)
        contents = Partnership.objects.contents_visible_to(user)
        commitments = Commitment.objects.visible_to(user)
        activities = Activity.objects.visible_to(user)
        updates = ProgressUpdate.objects.visible_to(user)
    partnerships = partnerships.existing_on(as_of)
    commitments = commitments.filter(partnership__in=partnerships.values("pk"))

    quantity = DecimalField(max_digits=16, decimal_places=2)
    money = IntegerField()
    if period is not None:
        quarters = quarter_periods_within(period).values("pk")
        in_period = ProgressUpdate.objects.filter(commitment=OuterRef("pk"), period__in=quarters)
        verified_in_period = in_period.verified_by(as_of)
        flows = {
            "period_quantity": _sum_of(verified_in_period, "achieved_quantity", quantity),
            "period_value_vnd": _sum_of(verified_in_period, "achieved_value_vnd", money),
            "reported_in_period": Exists(in_period.reported_by(as_of)),
        }
        activity_days = Q(occurred_on__gte=period.starts_on, occurred_on__lte=min(period.ends_on, as_of))
    else:
        flows = {}
        activity_days = Q(occurred_on__lte=as_of)

    commitment_rows = list(
        commitments.with_status(today=as_of)
        .annotate(**flows)
        .order_by("partnership_id", "field__order", "pk")
        .values(
            "id",
            "partnership_id",
            "field_id",
            "owner_id",
            "title",
            "horizon",
            "support_form",
            "target_quantity",
            "target_unit",
            "target_value_vnd",
            "start_on",
            "due_on",
            "status",
            "progress",
            *flows,
            "verified_quantity",
            "verified_value_vnd",
            completed_by_then=Case(When(completed_on__lte=as_of, then=F("completed_on"))),
        )
    )

    rows = {
        "version": ROWS_VERSION,
        "as_of": as_of,
        "period": None
        if period is None
        else {
            "id": period.pk,
            "label": period.label,
            "kind": period.kind,
            "year": period.year,
            "number": period.number,
            "convention": period.convention,
            "starts_on": period.starts_on,
            "ends_on": period.ends_on,
        },
        "units": list(
            with_pairing(Commune.objects.all(), as_of)
            .order_by("code")
            # The province is where the unit's merged old units were (units carry no province column).
            .annotate(
                province=Subquery(
                    Constituent.objects.filter(commune=OuterRef("pk"))
                    .order_by("old_province")
                    .values("old_province")[:1]
                )
            )
            .values(
                "code",
                "name",
                "kind",
                "former_district",
                "is_mountainous",
                "is_border",
                "programme_role",
                "province",
                "category",
            )
        ),
        "fields": list(Field.objects.order_by("order", "name").values("id", "code", "name")),
        "partnerships": list(
            with_health(partnerships, today=as_of)
            .annotate(has_contents=Exists(contents.filter(pk=OuterRef("pk"))))
            .order_by("pk")
            .values(
                "id",
                "title",
                "health",
                "health_reason",
                "has_contents",
                "status_on",
                signed_by_then=Case(When(signed_as_of__isnull=False, then=F("signed_on"))),
            )
        ),
        "members": list(
            Membership.objects.on(as_of)
            .filter(partnership__in=partnerships.values("pk"))
            .order_by("partnership_id", "commune__name")
            .values("partnership_id", "commune_id", "role")
        ),
        "commitments": commitment_rows,
        "activities": list(
            activities.filter(activity_days, partnership__in=partnerships.values("pk"))
            .order_by("partnership_id", "kind")
            .values("partnership_id", "kind")
            .annotate(
                count=Count("pk"),
                value_vnd=Coalesce(Sum("value_vnd"), 0),
                participants=Coalesce(Sum("participant_count"), 0),
            )
        ),
        "awaiting_verification": updates.awaiting_review_on(as_of).count(),
    }
    # Their status and signing date on the day, under the names the rows have always used.
    for row in rows["partnerships"]:
        row["status"], row["signed_on"] = row.pop("status_on"), row.pop("signed_by_then")
    # An approved change of target is printed with the target ("chỉ tiêu điều chỉnh từ 10 xuống 4 …"):
    # the latest one decided by the day, so a later adjustment does not rewrite an earlier report.
    target_notes = {}
    adjustments = (
        CommitmentAdjustment.objects.filter(
            commitment__in=[row["id"] for row in commitment_rows],
            state=CommitmentAdjustment.State.APPROVED,
            decided_at__date__lte=as_of,
        )
        .select_related("commitment")
        .order_by("commitment_id", "decided_at", "pk")
    )
    for adjustment in adjustments:
        target_notes[adjustment.commitment_id] = adjustment.target_note() or target_notes.get(
            adjustment.commitment_id, ""
        )
    for row in commitment_rows:
        row["target_note"] = target_notes.get(row["id"], "")
        row["completed_on"] = row.pop("completed_by_then")
        row["cumulative_quantity"] = row.pop("verified_quantity")
        row["cumulative_value_vnd"] = row.pop("verified_value_vnd")
    # One round trip through JSON: live figures and snapshot figures then go through the same code.
    return json.loads(json.dumps(rows, cls=DjangoJSONEncoder))


# --- Aggregating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which part of the programme the figures cover; empty means the whole city."""

    former_district: str = ""
    mountainous: bool | None = None
    border: bool | None = None
    partnership_id: int | None = None
    commune_code: str = ""

    @property
    def has_unit_filter(self) -> bool:
        return bool(self.former_district) or self.mountainous is not None or self.border is not None

    def admits(self, unit: dict) -> bool:
        if self.former_district and unit["former_district"] != self.former_district:
            return False
        if self.mountainous is not None and unit["is_mountainous"] is not self.mountainous:
            return False
        if self.border is not None and unit["is_border"] is not self.border:
            return False
        return True


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Coverage:
    supported_paired: int
    supported_unpaired: int
    supporting_paired: int
    supporting_unpaired: int
    unknown_unpaired: int  # units whose programme role is not known and that are in no active partnership
    total: int

    @property
    def unpaired(self) -> int:
        return self.supporting_unpaired + self.unknown_unpaired


@dataclass(frozen=True)
class MapUnitFigure:
    code: str
    name: str
    kind_label: str
    category: str
    partners: str  # names of the units it is paired with, for the tooltip


@dataclass
class CommitmentLine:
    id: int
    title: str
    province: str
    field_id: int
    target_unit: str
    target_quantity: Decimal | None
    target_value_vnd: int | None
    achieved_quantity: Decimal
    achieved_value_vnd: int
    period_quantity: Decimal | None
    period_value_vnd: int | None
    partnership_id: int
    partnership_name: str
    owner_code: str
    owner_name: str
    field_name: str
    status: str
    status_label: str
    due_on: datetime.date | None
    progress_percent: int
    days_overdue: int
    target_text: str
    achieved_text: str
    period_text: str
    reported_in_period: bool


@dataclass
class FieldFigures:
    id: int
    code: str
    name: str
    commitments: int = 0
    completed_on_time: int = 0
    completed_late: int = 0
    in_progress: int = 0
    overdue: int = 0
    not_started: int = 0
    progress_percent: int = 0
    target_value_vnd: int = 0
    achieved_value_vnd: int = 0
    period_value_vnd: int = 0
    reported: int = 0
    partnerships: int = 0
    period_quantities: list[tuple[Decimal, str]] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return self.completed_on_time + self.completed_late


@dataclass
class PartnershipFigures:
    id: int
    name: str
    title: str
    status: str
    status_label: str
    signed_on: datetime.date | None
    health: str
    health_label: str
    health_reason: str
    supported_name: str
    supporter_names: list[str]
    commitments: int = 0
    completed: int = 0
    overdue: int = 0
    progress_percent: int = 0
    target_value_vnd: int = 0
    achieved_value_vnd: int = 0
    period_value_vnd: int = 0
    activities: int = 0
    delegations: int = 0
    activity_value_vnd: int = 0


@dataclass
class ProvinceFigures:
    """One province's share of a large (national) scope: what the summarised report prints per province."""

    name: str
    units: int = 0
    partnerships: int = 0
    stalled: int = 0
    not_reported_units: int = 0
    commitments: int = 0
    completed: int = 0
    overdue: int = 0
    progress_percent: int = 0
    achieved_value_vnd: int = 0


@dataclass(frozen=True)
class UnitLine:
    code: str
    name: str
    titles: tuple[str, ...]  # its commitments without an update in the period

    @property
    def count(self) -> int:
        return len(self.titles)


@dataclass(frozen=True)
class ActivityTotals:
    count: int
    delegations: int
    value_vnd: int
    participants: int
    by_kind: list[Tally]


@dataclass
class CityFigures:
    """Every figure of the dashboard and the reports, for one scope, as of one day."""

    scope: Scope
    as_of: datetime.date
    period: dict | None
    units: list[MapUnitFigure]
    coverage: Coverage
    partnerships_by_status: list[Tally]
    partnership_total: int
    partnership_active: int
    commitments_by_status: list[Tally]
    commitment_total: int
    fields: list[FieldFigures]
    partnerships: list[PartnershipFigures]
    commitments: list[CommitmentLine]
    overdue: list[CommitmentLine]
    stalled: list[PartnershipFigures]
    not_reported: list[UnitLine]
    target_value_vnd: int
    achieved_value_vnd: int
    period_value_vnd: int
    progress_percent: int
    activities: ActivityTotals
    awaiting_verification: int
    districts: list[str]
    provinces: list[ProvinceFigures] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(t.count for t in self.commitments_by_status if t.key in COMPLETED)

    @property
    def overdue_count(self) -> int:
        return sum(t.count for t in self.commitments_by_status if t.key == Commitment.Status.OVERDUE)

    @property
    def period_starts_on(self) -> datetime.date | None:
        return _date(self.period["starts_on"]) if self.period else None

    @property
    def period_ends_on(self) -> datetime.date | None:
        return _date(self.period["ends_on"]) if self.period else None

    def oldest_overdue_by_province(self, per_province: int) -> list[tuple[str, list[CommitmentLine]]]:
        """The ``per_province`` longest-overdue commitments of each province (provinces in name order)."""
        grouped: dict[str, list[CommitmentLine]] = defaultdict(list)
        for line in self.overdue:  # already oldest first
            if len(grouped[line.province]) < per_province:
                grouped[line.province].append(line)
        return sorted(grouped.items(), key=lambda item: sort_key(item[0]))

    @classmethod
    def build(cls, rows: dict, scope: Scope | None = None) -> CityFigures:
        return _Builder(rows, scope or Scope()).build()


def sort_key(text: str) -> str:
    """Vietnamese-friendly ordering key: "Đại Lộc" sorts with the D's, accents ignored."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value) -> Decimal:
    return Decimal(value) if value not in (None, "") else Decimal(0)


def _decimal_or_none(value) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def _upgraded(rows: dict) -> dict:
    """Rows frozen before version 2 (a snapshot of a period closed earlier), given the two values that
    version 2 reads from SQL, derived from the frozen rows as that version's code derived them."""
    if rows.get("version", 1) >= 2:
        return rows
    rows = {**rows, "commitments": [dict(c) for c in rows["commitments"]], "units": [dict(u) for u in rows["units"]]}
    for commitment in rows["commitments"]:
        target_quantity = _decimal(commitment["target_quantity"])
        if target_quantity:
            ratio = _decimal(commitment["cumulative_quantity"]) / target_quantity
        elif commitment["target_value_vnd"]:
            ratio = Decimal(commitment["cumulative_value_vnd"] or 0) / Decimal(commitment["target_value_vnd"])
        else:
            ratio = Decimal(0)
        commitment["progress"] = round(max(Decimal(0), min(ratio, Decimal(1))) * 100)
    active = {p["id"] for p in rows["partnerships"] if p["status"] in Partnership.ACTIVE_STATUSES}
    roles: dict[str, str] = {}
    for member in rows["members"]:
        if member["partnership_id"] in active and roles.get(member["commune_id"]) != UnitCategory.SUPPORTED_PAIRED:
            supported = member["role"] == Membership.Role.SUPPORTED
            roles[member["commune_id"]] = UnitCategory.SUPPORTED_PAIRED if supported else UnitCategory.SUPPORTING_PAIRED
    for unit in rows["units"]:
        supported = unit["programme_role"] == Commune.ProgrammeRole.SUPPORTED
        unpaired = UnitCategory.SUPPORTED_UNPAIRED if supported else UnitCategory.UNPAIRED
        unit["category"] = roles.get(unit["code"], unpaired)
    return rows


def province_of(unit: dict | None) -> str:
    """The unit's province today: provinces merged in 2025 (Quảng Nam into Đà Nẵng) count as the new one."""
    home = conf.get("REPORT_HOME_PROVINCE")
    if unit is None or not unit.get("province"):
        return home
    province = unit["province"]
    return home if province in conf.get("REPORT_MERGED_PROVINCES") else province


def _mean(values: list[int]) -> int:
    return round(sum(values) / len(values)) if values else 0


def format_quantity(value) -> str:
    """2 → "2", 2.5 → "2,5", 1500 → "1.500" (Vietnamese separators)."""
    quantity = _decimal(value).normalize()
    whole, _sep, fraction = f"{quantity:,f}".partition(".")
    return whole.replace(",", ".") + ("," + fraction if fraction else "")


def format_vnd(value) -> str:
    return f"{int(value or 0):,}".replace(",", ".") + " đ"


def _with_note(text: str, note: str) -> str:
    return f"{text} ({note})" if note and text else (text or note)


def _amount_text(commitment: dict, quantity, value) -> str:
    """ "2 căn nhà; 160.000.000 đ" for the measures the commitment has a target in."""
    parts = []
    if commitment["target_quantity"] not in (None, ""):
        parts.append(f"{format_quantity(quantity)} {commitment['target_unit']}".rstrip())
    if commitment["target_value_vnd"]:
        parts.append(format_vnd(value))
    return "; ".join(parts)


class _Builder:
    def __init__(self, rows: dict, scope: Scope):
        rows = _upgraded(rows)
        self.rows = rows
        self.scope = scope
        self.as_of = _date(rows["as_of"])
        self.has_period = rows["period"] is not None
        self.units = {unit["code"]: unit for unit in rows["units"]}
        self.partnership_rows = {p["id"]: p for p in rows["partnerships"]}
        self.members = defaultdict(list)
        for member in sorted(rows["members"], key=lambda m: ROLE_ORDER.get(m["role"], 9)):
            self.members[member["partnership_id"]].append(member)
        self.field_rows = rows["fields"]

    def unit_name(self, code: str) -> str:
        unit = self.units.get(code)
        return unit["name"] if unit else code

    def partnership_name(self, partnership_id: int) -> str:
        members = self.members.get(partnership_id, [])
        supported = [self.unit_name(m["commune_id"]) for m in members if m["role"] == Membership.Role.SUPPORTED]
        supporters = [self.unit_name(m["commune_id"]) for m in members if m["role"] != Membership.Role.SUPPORTED]
        if not supported:
            return self.partnership_rows[partnership_id]["title"] or ", ".join(supporters)
        return f"{', '.join(supporters)} – {supported[0]}" if supporters else supported[0]

    def selected(self) -> tuple[set[str], set[int]]:
        """The units and partnerships in scope."""
        scope = self.scope
        if scope.partnership_id is not None:
            ids = {scope.partnership_id} & set(self.partnership_rows)
            codes = {m["commune_id"] for pid in ids for m in self.members[pid]}
            return codes, ids
        if scope.commune_code:
            ids = {
                pid
                for pid, members in self.members.items()
                if any(m["commune_id"] == scope.commune_code for m in members)
            }
            return ({scope.commune_code} & set(self.units)), ids & set(self.partnership_rows)
        codes = {code for code, unit in self.units.items() if scope.admits(unit)}
        if not scope.has_unit_filter:
            return codes, set(self.partnership_rows)
        ids = {pid for pid, members in self.members.items() if any(m["commune_id"] in codes for m in members)}
        return codes, ids & set(self.partnership_rows)

    def build(self) -> CityFigures:
        codes, partnership_ids = self.selected()
        active_ids = {pid for pid, p in self.partnership_rows.items() if p["status"] in Partnership.ACTIVE_STATUSES}
        # The map's tooltip: the units each unit is paired with (its category comes from the rows).
        partners: dict[str, set[str]] = defaultdict(set)
        for pid in active_ids:
            members = self.members[pid]
            for member in members:
                code = member["commune_id"]
                partners[code].update(self.unit_name(m["commune_id"]) for m in members if m["commune_id"] != code)
        kinds = dict(Commune.Kind.choices)
        map_units, categories = [], Counter()
        for code, unit in self.units.items():
            category = unit["category"]
            if code in codes:
                if category == UnitCategory.UNPAIRED:
                    key = "supporting" if unit["programme_role"] == Commune.ProgrammeRole.SUPPORTING else "unknown"
                    categories[f"unpaired_{key}"] += 1
                else:
                    categories[category] += 1
            elif self.scope.has_unit_filter:
                category = UnitCategory.OUTSIDE
            map_units.append(
                MapUnitFigure(
                    code=code,
                    name=unit["name"],
                    kind_label=str(kinds.get(unit["kind"], "")),
                    category=category,
                    partners=", ".join(sorted(partners.get(code, ()))),
                )
            )
        coverage = Coverage(
            supported_paired=categories[UnitCategory.SUPPORTED_PAIRED],
            supported_unpaired=categories[UnitCategory.SUPPORTED_UNPAIRED],
            supporting_paired=categories[UnitCategory.SUPPORTING_PAIRED],
            supporting_unpaired=categories["unpaired_supporting"],
            unknown_unpaired=categories["unpaired_unknown"],
            total=len(codes),
        )

        status_labels = dict(Partnership.Status.choices)
        health_labels = dict(Health.choices)
        partnerships: dict[int, PartnershipFigures] = {}
        for pid in sorted(partnership_ids, key=lambda pid: sort_key(self.partnership_name(pid))):
            row = self.partnership_rows[pid]
            members = self.members[pid]
            partnerships[pid] = PartnershipFigures(
                id=pid,
                name=self.partnership_name(pid),
                title=row["title"],
                status=row["status"],
                status_label=str(status_labels.get(row["status"], row["status"])),
                signed_on=_date(row["signed_on"]),
                health=row["health"],
                health_label=str(health_labels.get(row["health"], "")),
                health_reason=row["health_reason"] or "",
                supported_name=next(
                    (self.unit_name(m["commune_id"]) for m in members if m["role"] == Membership.Role.SUPPORTED), ""
                ),
                supporter_names=[
                    self.unit_name(m["commune_id"]) for m in members if m["role"] != Membership.Role.SUPPORTED
                ],
            )
        by_status = Counter(p.status for p in partnerships.values())
        # A partnership belongs to the province of the unit it supports.
        partnership_province = {
            pid: province_of(
                self.units.get(
                    next(
                        (m["commune_id"] for m in self.members[pid] if m["role"] == Membership.Role.SUPPORTED),
                        next((m["commune_id"] for m in self.members[pid]), ""),
                    )
                )
            )
            for pid in partnerships
        }

        field_names = {f["id"]: f for f in self.field_rows}
        fields = {f["id"]: FieldFigures(id=f["id"], code=f["code"], name=f["name"]) for f in self.field_rows}
        field_percents: dict[int, list[int]] = defaultdict(list)
        field_partnerships: dict[int, set[int]] = defaultdict(set)
        field_quantities: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        partnership_percents: dict[int, list[int]] = defaultdict(list)
        commitment_status = Counter()
        commitment_labels = dict(Commitment.Status.choices)
        lines, percents = [], []
        waiting: dict[str, list[str]] = defaultdict(list)
        period_ends_on = _date(self.rows["period"]["ends_on"]) if self.has_period else None
        totals = Counter()
        for commitment in self.rows["commitments"]:
            pid = commitment["partnership_id"]
            if pid not in partnerships:
                continue
            status = commitment["status"]
            percent = commitment["progress"]
            commitment_status[status] += 1
            percents.append(percent)
            partnership = partnerships[pid]
            partnership.commitments += 1
            partnership.completed += status in COMPLETED
            partnership.overdue += status == Commitment.Status.OVERDUE
            partnership.target_value_vnd += commitment["target_value_vnd"] or 0
            partnership.achieved_value_vnd += commitment["cumulative_value_vnd"] or 0
            partnership.period_value_vnd += commitment.get("period_value_vnd") or 0
            partnership_percents[pid].append(percent)
            figures = fields[commitment["field_id"]]
            figures.commitments += 1
            setattr(figures, status, getattr(figures, status) + 1)
            figures.target_value_vnd += commitment["target_value_vnd"] or 0
            figures.achieved_value_vnd += commitment["cumulative_value_vnd"] or 0
            figures.period_value_vnd += commitment.get("period_value_vnd") or 0
            figures.reported += bool(commitment.get("reported_in_period"))
            field_percents[figures.id].append(percent)
            field_partnerships[figures.id].add(pid)
            quantity = _decimal(commitment.get("period_quantity"))
            if quantity and commitment["target_unit"]:
                field_quantities[figures.id][commitment["target_unit"]] += quantity
            totals["target"] += commitment["target_value_vnd"] or 0
            totals["achieved"] += commitment["cumulative_value_vnd"] or 0
            totals["period"] += commitment.get("period_value_vnd") or 0
            due_on = _date(commitment["due_on"])
            lines.append(
                CommitmentLine(
                    id=commitment["id"],
                    title=commitment["title"],
                    field_id=commitment["field_id"],
                    target_unit=commitment["target_unit"],
                    target_quantity=_decimal_or_none(commitment["target_quantity"]),
                    target_value_vnd=commitment["target_value_vnd"],
                    achieved_quantity=_decimal(commitment["cumulative_quantity"]),
                    achieved_value_vnd=commitment["cumulative_value_vnd"] or 0,
                    period_quantity=_decimal_or_none(commitment.get("period_quantity")) if self.has_period else None,
                    period_value_vnd=(commitment.get("period_value_vnd") or 0) if self.has_period else None,
                    partnership_id=pid,
                    partnership_name=partnership.name,
                    province=partnership_province[pid],
                    owner_code=commitment["owner_id"],
                    owner_name=self.unit_name(commitment["owner_id"]),
                    field_name=field_names[commitment["field_id"]]["name"],
                    status=status,
                    status_label=str(commitment_labels[status]),
                    due_on=due_on,
                    progress_percent=percent,
                    days_overdue=(self.as_of - due_on).days if status == Commitment.Status.OVERDUE else 0,
                    target_text=_with_note(
                        _amount_text(commitment, commitment["target_quantity"], commitment["target_value_vnd"]),
                        commitment.get("target_note", ""),  # snapshots frozen before adjustments have none
                    ),
                    achieved_text=_amount_text(
                        commitment, commitment["cumulative_quantity"], commitment["cumulative_value_vnd"]
                    ),
                    period_text=_amount_text(
                        commitment, commitment.get("period_quantity"), commitment.get("period_value_vnd")
                    )
                    if self.has_period
                    else "",
                    reported_in_period=bool(commitment.get("reported_in_period")),
                )
            )
            # A unit owes an update for every started, unfinished commitment of an active partnership.
            if (
                self.has_period
                and status not in COMPLETED
                and partnership.status in Partnership.ACTIVE_STATUSES
                and _date(commitment["start_on"]) <= period_ends_on
                and not commitment.get("reported_in_period")
            ):
                waiting[commitment["owner_id"]].append(commitment["title"])

        for pid, values in partnership_percents.items():
            partnerships[pid].progress_percent = _mean(values)
        for fid, figures in fields.items():
            figures.progress_percent = _mean(field_percents[fid])
            figures.partnerships = len(field_partnerships[fid])
            figures.period_quantities = sorted(
                ((quantity, unit) for unit, quantity in field_quantities[fid].items()), key=lambda q: q[1]
            )

        activity_totals, by_kind = Counter(), Counter()
        for activity in self.rows["activities"]:
            pid = activity["partnership_id"]
            if pid not in partnerships:
                continue
            partnership = partnerships[pid]
            partnership.activities += activity["count"]
            partnership.activity_value_vnd += activity["value_vnd"]
            is_delegation = activity["kind"] == Activity.Kind.DELEGATION
            partnership.delegations += activity["count"] if is_delegation else 0
            activity_totals["count"] += activity["count"]
            activity_totals["delegations"] += activity["count"] if is_delegation else 0
            activity_totals["value"] += activity["value_vnd"]
            activity_totals["participants"] += activity["participants"]
            by_kind[activity["kind"]] += activity["count"]

        ordered = list(partnerships.values())
        provinces = self.province_figures(codes, ordered, partnership_province, lines, partnership_percents, waiting)
        return CityFigures(
            scope=self.scope,
            as_of=self.as_of,
            period=self.rows["period"],
            units=map_units,
            coverage=coverage,
            partnerships_by_status=[
                Tally(key, str(label), by_status[key]) for key, label in Partnership.Status.choices
            ],
            partnership_total=len(ordered),
            partnership_active=sum(by_status[s] for s in Partnership.ACTIVE_STATUSES),
            commitments_by_status=[
                Tally(key, str(label), commitment_status[key]) for key, label in Commitment.Status.choices
            ],
            commitment_total=sum(commitment_status.values()),
            fields=[f for f in fields.values() if f.commitments],
            partnerships=ordered,
            commitments=lines,
            overdue=sorted(
                (line for line in lines if line.status == Commitment.Status.OVERDUE),
                key=lambda line: (line.due_on or self.as_of, sort_key(line.partnership_name), line.id),
            ),
            stalled=[p for p in ordered if p.health == Health.RED],
            not_reported=sorted(
                (UnitLine(code, self.unit_name(code), tuple(titles)) for code, titles in waiting.items()),
                key=lambda line: (sort_key(line.name), line.code),
            ),
            target_value_vnd=totals["target"],
            achieved_value_vnd=totals["achieved"],
            period_value_vnd=totals["period"],
            progress_percent=_mean(percents),
            activities=ActivityTotals(
                count=activity_totals["count"],
                delegations=activity_totals["delegations"],
                value_vnd=activity_totals["value"],
                participants=activity_totals["participants"],
                by_kind=[Tally(key, str(label), by_kind[key]) for key, label in Activity.Kind.choices if by_kind[key]],
            ),
            awaiting_verification=self.rows["awaiting_verification"],
            districts=district_names(self.rows),
            provinces=provinces,
        )

    def province_figures(self, codes, partnerships, partnership_province, lines, partnership_percents, waiting):
        provinces: dict[str, ProvinceFigures] = {}

        def of(name: str) -> ProvinceFigures:
            return provinces.setdefault(name, ProvinceFigures(name=name))

        for code in codes:
            of(province_of(self.units[code])).units += 1
        for code in waiting:
            of(province_of(self.units.get(code))).not_reported_units += 1
        percents: dict[str, list[int]] = defaultdict(list)
        for partnership in partnerships:
            figures = of(partnership_province[partnership.id])
            figures.partnerships += 1
            figures.stalled += partnership.health == Health.RED
            figures.achieved_value_vnd += partnership.achieved_value_vnd
            percents[figures.name].extend(partnership_percents.get(partnership.id, []))
        for line in lines:
            figures = of(line.province)
            figures.commitments += 1
            figures.completed += line.status in COMPLETED
            figures.overdue += line.status == Commitment.Status.OVERDUE
        for name, values in percents.items():
            provinces[name].progress_percent = _mean(values)
        return sorted(provinces.values(), key=lambda p: sort_key(p.name))


def district_names(rows: dict) -> list[str]:
    """The former districts of the units, for the dashboard filter (no query: read from the rows)."""
    names = {unit["former_district"] for unit in rows["units"] if unit["former_district"]}
    return sorted(names, key=lambda name: (sort_key(name), name))  # the name breaks ties (see summary)
