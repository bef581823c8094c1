"""The dashboard's figures, aggregated in SQL and cached until the next committed write.

``reports.figures`` builds every line of the programme (the printed reports need them all); the
dashboard shows a few hundred numbers, so it asks PostgreSQL for those numbers only: a fixed handful
of grouped queries whatever the number of rows. Both read the same rules, written once in the apps'
querysets (commitment status and progress, a partnership's status on a day and its health, a unit's
pairing), for the same day: tests/reports/test_agreement.py checks they agree.

Caching (Django's cache framework, the "dashboard" alias: Redis in production): the key is (database
epoch, change counter, language, day, scope). The counter is bumped at COMMIT by triggers on every
table the figures read (reports/migrations/0004_change_counter.py), so a write through any path, in any
process, makes the next request compute afresh; the day is in the key because "overdue" depends on
it. What reads units and partnerships only (the map, coverage, recent activities, the districts) is
cached under a second counter, "pairing", over those tables alone (0005_pairing_counter.py): the
progress reports officers send all day leave it in place. A cache that fails is a miss
(core/cache.py), never fatal. The page's rendered fragments are cached by ``{% cache %}`` in
templates/reports/dashboard.html under the counter of what each one shows.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import caches
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone
from django.utils.translation import get_language, gettext

from commitments.health import Health, with_health
from commitments.models import Commitment, ProgressUpdate
from communes.maps import load_boundaries
from communes.models import Commune, UnitCategory
from core.cache import PAIRING_COUNTER  # units, partnerships, members, statuses, activities: what PairingSummary reads
from partnerships.models import Activity, Membership, Partnership, member_on, with_pairing

from .figures import COMPLETED, ROLE_ORDER, Coverage, MapUnitFigure, Scope, Tally, sort_key

CACHE_ALIAS = "dashboard"
# Entries of an old counter are never read again and must go: Redis is also the Celery broker and
# runs without eviction, so the cache's size is bounded by time (writes in 15 minutes × filters used).
CACHE_SECONDS = 15 * 60
COUNTER = "dashboard"  # every table the figures read
OVERDUE_SHOWN = 8
ACTIVITIES_SHOWN = 8


@dataclass(frozen=True)
class FieldSummary:
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

    @property
    def completed(self) -> int:
        return self.completed_on_time + self.completed_late


@dataclass(frozen=True)
class OverdueLine:
    id: int
    title: str
    partnership_id: int
    partnership_name: str
    owner_name: str
    due_on: datetime.date
    days_overdue: int
    progress_percent: int


@dataclass(frozen=True)
class ActivityLine:
    partnership_id: int
    partnership_name: str
    title: str
    occurred_on: datetime.date
    kind_label: str
    value_vnd: int | None


@dataclass(frozen=True)
class PairingSummary:
    """The dashboard's figures read from units and partnerships only, never commitments or progress:
    cached under the pairing counter (``cached_summary``)."""

    units: list[MapUnitFigure]
    coverage: Coverage
    activities: list[ActivityLine]


@dataclass(frozen=True)
class DashboardSummary:
    """What the dashboard shows for one scope and day; plain values, so it pickles into any cache."""

    scope: Scope
    as_of: datetime.date
    units: list[MapUnitFigure]  # the units the map draws, coloured by pairing
    coverage: Coverage
    partnerships_by_status: list[Tally]
    partnerships_by_health: list[Tally]
    partnership_total: int
    partnership_active: int
    commitments_by_status: list[Tally]
    commitment_total: int
    fields: list[FieldSummary]
    overdue: list[OverdueLine]  # the oldest OVERDUE_SHOWN
    target_value_vnd: int
    achieved_value_vnd: int
    progress_percent: int
    awaiting_verification: int
    activities: list[ActivityLine] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(t.count for t in self.commitments_by_status if t.key == Commitment.Status.OVERDUE)

    @property
    def completed(self) -> int:
        return sum(t.count for t in self.commitments_by_status if t.key in COMPLETED)


# --- Scope as SQL ------------------------------------------------------------------------------------


def _unit_filter(scope: Scope, prefix: str = "") -> Q:
    """The units ``Scope.admits``, as a Q over Commune (or over a relation to it with ``prefix``)."""
    q = Q()
    if scope.former_district:
        q &= Q(**{f"{prefix}former_district": scope.former_district})
    if scope.mountainous is not None:
        q &= Q(**{f"{prefix}is_mountainous": scope.mountainous})
    if scope.border is not None:
        q &= Q(**{f"{prefix}is_border": scope.border})
    return q


def _partnerships(scope: Scope, today: datetime.date):
    """The partnerships in scope: all, or those with a member unit in scope on ``today`` (as CityFigures
    selects)."""
    partnerships = Partnership.objects.order_by()
    if not scope.has_unit_filter:
        return partnerships
    members = Membership.objects.on(today).filter(_unit_filter(scope, "commune__"), partnership=OuterRef("pk"))
    return partnerships.filter(Exists(members))


def _commitments(scope: Scope, today: datetime.date):
    commitments = Commitment.objects.order_by()
    if not scope.has_unit_filter:
        return commitments
    members = Membership.objects.on(today).filter(_unit_filter(scope, "commune__"), partnership=OuterRef("partnership"))
    return commitments.filter(Exists(members))


# --- Computing ---------------------------------------------------------------------------------------


def district_names() -> list[str]:
    """Former districts of the units, for the filter form (Vietnamese order, accents ignored)."""
    names = Commune.objects.exclude(former_district="").order_by().values_list("former_district", flat=True)
    # The name itself breaks ties ("Hà Hưng", "Hạ Hưng"): without it their order followed the set's,
    # which changes from one process to the next.
    return sorted(set(names.distinct()), key=lambda name: (sort_key(name), name))


def load_pairing(scope: Scope, today: datetime.date) -> PairingSummary:
    """The figures of ``load_summary`` that read units and partnerships only. Three queries."""
    return PairingSummary(
        units=_map_units(scope, today), coverage=_coverage(scope, today), activities=_recent_activities(today)
    )


def load_summary(
    scope: Scope | None = None, *, today: datetime.date | None = None, pairing: PairingSummary | None = None
) -> DashboardSummary:
    """The dashboard's figures for ``scope`` as of ``today``, for users who see everything.

    Grouped queries over the programme's rules as the apps write them (commitment status and progress,
    partnership status on the day and health, unit pairing): nothing is computed here row by row.
    Eight queries whatever the number of rows; five when ``pairing`` (``load_pairing`` for the same
    scope and day) is given.
    """
    scope = scope or Scope()
    today = today or timezone.localdate()
    pairing = pairing or load_pairing(scope, today)
    statements = _statements(scope, today, timezone.localdate(), get_language(), timezone.get_current_timezone_name())
    by_status, by_health = Counter(), Counter()
    for row in statements.health.all():
        by_status[row["status_on"]] += row["n"]
        by_health[row["health"]] += row["n"]
    fields, commitment_status, totals = _field_figures(statements.fields.all())
    return DashboardSummary(
        scope=scope,
        as_of=today,
        units=pairing.units,
        coverage=pairing.coverage,
        partnerships_by_status=[Tally(key, str(label), by_status[key]) for key, label in Partnership.Status.choices],
        partnerships_by_health=[Tally(key, str(label), by_health[key]) for key, label in Health.choices],
        partnership_total=sum(by_status.values()),
        partnership_active=sum(by_status[s] for s in Partnership.ACTIVE_STATUSES),
        commitments_by_status=[
            Tally(key, str(label), commitment_status[key]) for key, label in Commitment.Status.choices
        ],
        commitment_total=sum(commitment_status.values()),
        fields=fields,
        overdue=_oldest_overdue(statements.overdue.all(), today),
        target_value_vnd=totals["target"],
        achieved_value_vnd=totals["achieved"],
        progress_percent=round(totals["percent"] / totals["count"]) if totals["count"] else 0,
        awaiting_verification=ProgressUpdate.objects.awaiting_review_on(today).count(),
        activities=pairing.activities,
    )


class _Statements(NamedTuple):
    health: QuerySet  # partnerships by status on the day and health
    fields: QuerySet  # commitments by field and status, with their sums
    overdue: QuerySet  # the oldest overdue commitments (see _oldest_overdue)


@functools.lru_cache(maxsize=64)
def _statements(
    scope: Scope, today: datetime.date, current_day: datetime.date, language: str, time_zone: str
) -> _Statements:
    """``load_summary``'s grouped statements for ``scope`` on ``today``: querysets never evaluated here
    (the caller runs a copy of each, ``.all()``), so no row is kept and every write is read at once.

    Building them (every rule resolved into each statement) cost more than compiling and running them,
    and they depend only on what keys the cache: the scope, the day, the current day (``with_progress``
    reads today's progress from the totals kept on the row, a past day's from the reports), the language
    (the health reasons) and the time zone (local days), as ``commitments.health._health_by_key`` does.
    """
    partnerships = _partnerships(scope, today).existing_on(today)
    commitments = _commitments(scope, today).filter(partnership__in=partnerships.values("pk"))
    overdue = commitments.overdue(today)
    cutoff = Subquery(overdue.order_by("due_on").values("due_on")[OVERDUE_SHOWN - 1 : OVERDUE_SHOWN])
    return _Statements(
        health=with_health(partnerships, today).values("status_on", "health").annotate(n=Count("pk")).order_by(),
        fields=(
            commitments.with_status(today)
            .values("field_id", "field__code", "field__name", "field__order", "status")
            .annotate(
                n=Count("pk"),
                target=Coalesce(Sum("target_value_vnd"), 0),
                achieved=Coalesce(Sum("verified_value_vnd"), 0),
                percent=Coalesce(Sum("progress"), 0),
            )
            .order_by("field__order", "field__name", "field_id")
        ),
        # Every commitment due no later than the OVERDUE_SHOWN-th oldest (ties on that day included).
        overdue=(
            overdue.filter(due_on__lte=Coalesce(cutoff, Value(today)))
            .with_progress(today)
            .annotate(
                members=_members_json(today), owner_name=F("owner__name"), partnership_title=F("partnership__title")
            )
            .values("id", "title", "partnership_id", "partnership_title", "owner_name", "due_on", "progress", "members")
        ),
    )


def _field_figures(rows):
    """Per field, from ``_statements().fields``: counts per status, value sums and the sum of progress
    percents (for the mean)."""
    by_field: dict[int, dict] = {}
    commitment_status, totals = Counter(), Counter()
    for row in rows:
        figures = by_field.setdefault(
            row["field_id"],
            {
                "id": row["field_id"],
                "code": row["field__code"],
                "name": row["field__name"],
                "commitments": 0,
                "target_value_vnd": 0,
                "achieved_value_vnd": 0,
                "percent": 0,
            },
        )
        count = row["n"]
        figures[row["status"]] = count
        figures["commitments"] += count
        figures["target_value_vnd"] += row["target"]
        figures["achieved_value_vnd"] += row["achieved"]
        figures["percent"] += row["percent"]
        commitment_status[row["status"]] += count
        totals.update(target=row["target"], achieved=row["achieved"], percent=row["percent"], count=count)
    fields = []
    for figures in by_field.values():
        percent = figures.pop("percent")
        fields.append(FieldSummary(**figures, progress_percent=round(percent / figures["commitments"])))
    return fields, commitment_status, totals


def _coverage(scope: Scope, today: datetime.date) -> Coverage:
    rows = (
        with_pairing(Commune.objects.filter(_unit_filter(scope)), today)
        .order_by()
        .values("category", "programme_role")
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in rows:
        category = row["category"]
        if category == UnitCategory.UNPAIRED:
            key = "supporting" if row["programme_role"] == Commune.ProgrammeRole.SUPPORTING else "unknown"
            category = f"unpaired_{key}"
        counts[category] += row["n"]
    return Coverage(
        supported_paired=counts[UnitCategory.SUPPORTED_PAIRED],
        supported_unpaired=counts[UnitCategory.SUPPORTED_UNPAIRED],
        supporting_paired=counts[UnitCategory.SUPPORTING_PAIRED],
        supporting_unpaired=counts["unpaired_supporting"],
        unknown_unpaired=counts["unpaired_unknown"],
        total=sum(counts.values()),
    )


def _map_units(scope: Scope, today: datetime.date) -> list[MapUnitFigure]:
    """The units the map can draw (those with a boundary), each with its colour and its partners."""
    drawn = list(load_boundaries(settings.BOUNDARIES_GEOJSON))
    partners = ArraySubquery(
        Membership.objects.on(today)
        .filter(
            member_on(today, "partnership__memberships__"),
            partnership__in=Partnership.objects.active_on(today).values("pk"),
            partnership__memberships__commune=OuterRef("pk"),
        )
        .exclude(commune=OuterRef("pk"))
        .values("commune__name")
    )
    in_scope = _unit_filter(scope) if scope.has_unit_filter else Q(pk__in=drawn)
    units = (
        with_pairing(Commune.objects.filter(code__in=drawn), today)
        .annotate(partner_names=partners, in_scope=ExpressionWrapper(in_scope, output_field=BooleanField()))
        .order_by("code")
        .values("code", "name", "kind", "category", "partner_names", "in_scope")
    )
    kinds = dict(Commune.Kind.choices)
    return [
        MapUnitFigure(
            code=unit["code"],
            name=unit["name"],
            kind_label=str(kinds.get(unit["kind"], "")),
            category=unit["category"] if unit["in_scope"] else UnitCategory.OUTSIDE,
            partners=", ".join(sorted(set(unit["partner_names"]))),
        )
        for unit in units
    ]


def _member_names(members: list[dict], title: str, pk: int) -> str:
    """figures._Builder.partnership_name: "lead, co – supported", or the title, or the supporters."""
    members = sorted(members, key=lambda m: ROLE_ORDER.get(m["role"], 9))  # stable: name order kept
    supported = [m["name"] for m in members if m["role"] == Membership.Role.SUPPORTED]
    supporters = [m["name"] for m in members if m["role"] != Membership.Role.SUPPORTED]
    if not supported:
        return title or ", ".join(supporters)
    return f"{', '.join(supporters)} – {supported[0]}" if supporters else supported[0]


def _members_json(today: datetime.date):
    return ArraySubquery(
        Membership.objects.on(today)
        .filter(partnership=OuterRef("partnership"))
        .order_by("commune__name")
        .values(json=JSONObject(role="role", name="commune__name"))
    )


def _oldest_overdue(rows, today: datetime.date) -> list[OverdueLine]:
    """The oldest overdue commitments, ordered as CityFigures.overdue (due day, partnership name, id).

    The database picks every commitment due no later than the OVERDUE_SHOWN-th oldest
    (``_statements().overdue``), Python orders them by the accent-insensitive partnership name.
    """
    lines = [
        OverdueLine(
            id=row["id"],
            title=row["title"],
            partnership_id=row["partnership_id"],
            partnership_name=_member_names(row["members"], row["partnership_title"], row["partnership_id"]),
            owner_name=row["owner_name"],
            due_on=row["due_on"],
            days_overdue=(today - row["due_on"]).days,
            progress_percent=row["progress"],
        )
        for row in rows
    ]
    lines.sort(key=lambda line: (line.due_on, sort_key(line.partnership_name), line.id))
    return lines[:OVERDUE_SHOWN]


def _recent_activities(today: datetime.date) -> list[ActivityLine]:
    """The latest activities held by ``today``, as figures.recent_activities lists them, with their
    partnership's name."""
    members = ArraySubquery(
        Membership.objects.on(today)
        .filter(partnership=OuterRef("partnership"))
        .order_by("role", "commune__name")  # Membership's default order, as display_name() reads it
        .values(json=JSONObject(role="role", name="commune__name"))
    )
    rows = (
        Activity.objects.filter(occurred_on__lte=today)
        .annotate(members=members, partnership_title=F("partnership__title"))
        .order_by("-occurred_on", "-pk")
        .values("partnership_id", "partnership_title", "title", "occurred_on", "kind", "value_vnd", "members")[
            :ACTIVITIES_SHOWN
        ]
    )
    kinds = dict(Activity.Kind.choices)
    lines = []
    for row in rows:
        supported = next((m["name"] for m in row["members"] if m["role"] == Membership.Role.SUPPORTED), None)
        supporters = ", ".join(m["name"] for m in row["members"] if m["role"] != Membership.Role.SUPPORTED)
        if supported is None:
            name = row["partnership_title"] or supporters or gettext("Quan hệ kết nghĩa chưa có thành viên")
        else:
            name = f"{supporters} – {supported}" if supporters else supported
        lines.append(
            ActivityLine(
                partnership_id=row["partnership_id"],
                partnership_name=name,
                title=row["title"],
                occurred_on=row["occurred_on"],
                kind_label=str(kinds.get(row["kind"], row["kind"])),
                value_vnd=row["value_vnd"],
            )
        )
    return lines


# --- Caching -----------------------------------------------------------------------------------------


class Versions(NamedTuple):
    """The change counters the dashboard's caches are keyed on, each "epoch:n", or None without one."""

    figures: str | None  # the "dashboard" counter: every table the figures read
    pairing: str | None  # the "pairing" counter: units and partnerships only


def current_versions() -> Versions:
    """Both counters, in one indexed read."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, epoch, value FROM core_change_counter WHERE name IN (%s, %s)", [COUNTER, PAIRING_COUNTER]
        )
        found = {name: f"{epoch.hex}:{value}" for name, epoch, value in cursor.fetchall()}
    return Versions(figures=found.get(COUNTER), pairing=found.get(PAIRING_COUNTER))


def scope_key(scope: Scope) -> str:
    """The scope as a short string, for cache keys."""
    flag = {None: "-", True: "1", False: "0"}
    return f"{flag[scope.mountainous]}{flag[scope.border]}{scope.former_district}"


def get_or_compute(version: str | None, name: str, compute):
    """``compute()``, stored in the dashboard cache under ``name`` and the change counter ``version``.

    A committed write moves the counter, so the next request asks for a new key and computes afresh;
    old entries expire after CACHE_SECONDS. Without a counter (None) nothing is cached. The cache
    answers a miss while Redis is unreachable (core.cache.FailOpenRedisCache): the figures are then
    computed directly. Values are shared between requests: read them only.
    """
    if version is None:
        return compute()
    return caches[CACHE_ALIAS].get_or_set(f"dashboard:{version}:{name}", compute, CACHE_SECONDS)


def cached_district_names(version: str | None) -> list[str]:
    """``district_names``, cached under ``version``: the pairing counter's, which moves with the units."""
    return get_or_compute(version, "districts", district_names)


def cached_summary(versions: Versions, scope: Scope, *, today: datetime.date | None = None) -> DashboardSummary:
    """``load_summary`` for ``scope`` as of ``today``, cached under the versions read *before* computing.

    The figures may then be newer than the version they are stored under (a write committed in
    between), never older: such a write bumps the counter, and the next request computes afresh. The
    key holds the day ("overdue" depends on it, so it changes at midnight) and the language (the
    figures carry translated labels). The part read from units and partnerships only is cached under
    the pairing counter: when progress alone has changed, it is reused.
    """
    today = today or timezone.localdate()
    scope_digest = hashlib.blake2b(scope_key(scope).encode(), digest_size=8).hexdigest()  # a safe key: no spaces
    key = f"{get_language()}:{today.isoformat()}:{scope_digest}"

    def compute() -> DashboardSummary:
        pairing = get_or_compute(versions.pairing, f"pairing:{key}", lambda: load_pairing(scope, today))
        return load_summary(scope, today=today, pairing=pairing)

    return get_or_compute(versions.figures, f"summary:{key}", compute)
