"""Reporting-period arithmetic: quarters under a convention, and half-years and years built from them.

``ReportingPeriod`` itself lives in ``commitments`` (progress is filed against it); this module only
computes bounds and creates the rows the reports need.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from commitments.models import ReportingPeriod

from . import conf

Kind = ReportingPeriod.Kind
Convention = ReportingPeriod.Convention

_LABEL_RE = re.compile(r"^\s*(?P<year>\d{4})(?:-(?P<part>Q[1-4]|H[12]|Y))?\s*$", re.IGNORECASE)


def default_convention() -> str:
    convention = conf.get("REPORTING_CONVENTION")
    if convention not in Convention.values:
        raise ValueError(f"REPORTING_CONVENTION must be one of {Convention.values}, not {convention!r}")
    return convention


def quarters_of(kind: str, number: int) -> list[int]:
    """The quarters a period is made of: Q3 → [3], H2 → [3, 4], the year → [1, 2, 3, 4]."""
    if kind == Kind.QUARTER:
        return [number]
    if kind == Kind.HALF_YEAR:
        return [2 * number - 1, 2 * number]
    return [1, 2, 3, 4]


def period_bounds(kind: str, year: int, number: int, convention: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a period's data: a half-year or a year runs from its first quarter to its last."""
    quarters = quarters_of(kind, number)
    start, _end = ReportingPeriod.quarter_bounds(year, quarters[0], convention)
    _start, end = ReportingPeriod.quarter_bounds(year, quarters[-1], convention)
    return start, end


def quarter_containing(day: datetime.date, convention: str) -> tuple[int, int]:
    """(year, quarter) whose data ``day`` belongs to: under Decree 09, 15/12/2025 is in Q1 of 2026."""
    if convention == Convention.CALENDAR:
        return day.year, (day.month - 1) // 3 + 1
    month = day.month + (day.day >= 15)
    if month == 13:
        return day.year + 1, 1
    return day.year, (month - 1) // 3 + 1


def parse_period_label(label: str) -> tuple[str, int, int]:
    """ "2025-Q3" → (quarter, 2025, 3); "2025-H1" → (half_year, 2025, 1); "2025" or "2025-Y" → (year, 2025, 1)."""
    match = _LABEL_RE.match(label or "")
    if not match:
        raise ValueError(_("Kỳ báo cáo phải có dạng 2025-Q3, 2025-H1 hoặc 2025."))
    year, part = int(match["year"]), (match["part"] or "Y").upper()
    if part == "Y":
        return Kind.YEAR, year, 1
    return (Kind.QUARTER if part[0] == "Q" else Kind.HALF_YEAR), year, int(part[1])


def period_code(period: ReportingPeriod) -> str:
    """The inverse of parse_period_label."""
    if period.kind == Kind.QUARTER:
        return f"{period.year}-Q{period.number}"
    if period.kind == Kind.HALF_YEAR:
        return f"{period.year}-H{period.number}"
    return str(period.year)


def ensure_period(*, kind: str, year: int, number: int, convention: str | None = None) -> ReportingPeriod:
    """The period row, created with its computed bounds if it does not exist yet."""
    convention = convention or default_convention()
    if number not in range(1, {Kind.QUARTER: 4, Kind.HALF_YEAR: 2, Kind.YEAR: 1}[kind] + 1):
        raise ValidationError(_("Số kỳ không hợp lệ với loại kỳ."))
    start, end = period_bounds(kind, year, number, convention)
    period, _created = ReportingPeriod.objects.get_or_create(
        kind=kind,
        convention=convention,
        year=year,
        number=number,
        defaults={"starts_on": start, "ends_on": end},
    )
    return period


def ensure_period_from_label(label: str, convention: str | None = None) -> ReportingPeriod:
    kind, year, number = parse_period_label(label)
    return ensure_period(kind=kind, year=year, number=number, convention=convention)


def quarter_periods_within(period: ReportingPeriod):
    """The quarter rows a period adds up (itself, for a quarter): progress is filed against quarters."""
    if period.kind == Kind.QUARTER:
        return ReportingPeriod.objects.filter(pk=period.pk)
    return ReportingPeriod.objects.filter(
        kind=Kind.QUARTER,
        convention=period.convention,
        starts_on__gte=period.starts_on,
        ends_on__lte=period.ends_on,
    )


def vietnamese_long_date(day: datetime.date) -> str:
    """ "ngày 15 tháng 01 năm 2026": a leading zero for days below 10 and for months 1 and 2 (HD 36)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def lower_first(text: str) -> str:
    """ "Quý III năm 2025" → "quý III năm 2025", for use inside a sentence (the numeral stays upper case)."""
    return text[:1].lower() + text[1:]
