"""Reporting-period arithmetic: every quarter under both conventions, year change, leap years, labels."""

import datetime

import pytest
from django.test import TestCase, override_settings

from commitments.models import ReportingPeriod
from reports.periods import (
    ensure_period,
    parse_period_label,
    period_bounds,
    period_code,
    quarter_containing,
    quarter_periods_within,
    vietnamese_long_date,
)

D = datetime.date
DECREE = ReportingPeriod.Convention.DECREE_09
CALENDAR = ReportingPeriod.Convention.CALENDAR
Q, H, Y = ReportingPeriod.Kind.QUARTER, ReportingPeriod.Kind.HALF_YEAR, ReportingPeriod.Kind.YEAR


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (1, D(2024, 12, 15), D(2025, 3, 14)),  # Q1 starts in the previous year
        (2, D(2025, 3, 15), D(2025, 6, 14)),
        (3, D(2025, 6, 15), D(2025, 9, 14)),
        (4, D(2025, 9, 15), D(2025, 12, 14)),
    ],
)
def test_decree_09_quarters(quarter, start, end):
    assert period_bounds(Q, 2025, quarter, DECREE) == (start, end)


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (1, D(2025, 1, 1), D(2025, 3, 31)),
        (2, D(2025, 4, 1), D(2025, 6, 30)),
        (3, D(2025, 7, 1), D(2025, 9, 30)),
        (4, D(2025, 10, 1), D(2025, 12, 31)),
    ],
)
def test_calendar_quarters(quarter, start, end):
    assert period_bounds(Q, 2025, quarter, CALENDAR) == (start, end)


@pytest.mark.parametrize("convention", [DECREE, CALENDAR])
def test_quarters_tile_the_year_without_gap_or_overlap(convention):
    for year in (2024, 2025, 2026, 2028):
        bounds = [period_bounds(Q, year, q, convention) for q in range(1, 5)]
        for (_, end), (start, _) in zip(bounds, bounds[1:], strict=False):
            assert start == end + datetime.timedelta(days=1)
        next_year_first = period_bounds(Q, year + 1, 1, convention)[0]
        assert next_year_first == bounds[-1][1] + datetime.timedelta(days=1)


def test_leap_year_first_quarter_includes_29_february():
    start, end = period_bounds(Q, 2028, 1, DECREE)
    assert (start, end) == (D(2027, 12, 15), D(2028, 3, 14))
    assert (end - start).days + 1 == 91  # 90 in a common year
    assert (period_bounds(Q, 2027, 1, DECREE)[1] - period_bounds(Q, 2027, 1, DECREE)[0]).days + 1 == 90
    assert quarter_containing(D(2028, 2, 29), DECREE) == (2028, 1)
    assert period_bounds(Q, 2028, 1, CALENDAR) == (D(2028, 1, 1), D(2028, 3, 31))
    assert quarter_containing(D(2028, 2, 29), CALENDAR) == (2028, 1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 12, 14), (2025, 4)),
        (D(2025, 12, 15), (2026, 1)),  # the year changes at the cut-off, not on 1 January
        (D(2025, 12, 31), (2026, 1)),
        (D(2026, 1, 1), (2026, 1)),
        (D(2026, 3, 14), (2026, 1)),
        (D(2026, 3, 15), (2026, 2)),
        (D(2026, 6, 14), (2026, 2)),
        (D(2026, 6, 15), (2026, 3)),
        (D(2026, 9, 15), (2026, 4)),
    ],
)
def test_quarter_containing_under_decree_09(day, expected):
    assert quarter_containing(day, DECREE) == expected


@pytest.mark.parametrize("convention", [DECREE, CALENDAR])
def test_every_day_of_a_quarter_maps_back_to_it(convention):
    for quarter in range(1, 5):
        start, end = period_bounds(Q, 2026, quarter, convention)
        day = start
        while day <= end:
            assert quarter_containing(day, convention) == (2026, quarter), day
            day += datetime.timedelta(days=1)


@pytest.mark.parametrize("convention", [DECREE, CALENDAR])
def test_half_years_and_years_add_up_their_quarters(convention):
    q = {n: period_bounds(Q, 2026, n, convention) for n in range(1, 5)}
    assert period_bounds(H, 2026, 1, convention) == (q[1][0], q[2][1])
    assert period_bounds(H, 2026, 2, convention) == (q[3][0], q[4][1])
    assert period_bounds(Y, 2026, 1, convention) == (q[1][0], q[4][1])


def test_decree_09_year_runs_from_15_december():
    assert period_bounds(Y, 2026, 1, DECREE) == (D(2025, 12, 15), D(2026, 12, 14))


@pytest.mark.parametrize(
    ("label", "parsed"),
    [("2025-Q3", (Q, 2025, 3)), ("2025-q1", (Q, 2025, 1)), ("2026-H2", (H, 2026, 2)), ("2025", (Y, 2025, 1))],
)
def test_period_labels(label, parsed):
    assert parse_period_label(label) == parsed


@pytest.mark.parametrize("label", ["2025-Q5", "25-Q1", "2025-H3", "Q3", ""])
def test_invalid_period_labels_are_refused(label):
    with pytest.raises(ValueError):
        parse_period_label(label)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (D(2026, 1, 15), "ngày 15 tháng 01 năm 2026"),
        (D(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
        (D(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
        (D(2025, 12, 20), "ngày 20 tháng 12 năm 2025"),
    ],
)
def test_vietnamese_long_date_pads_days_and_the_first_two_months(day, text):
    assert vietnamese_long_date(day) == text


class EnsurePeriodTests(TestCase):
    def test_creates_the_row_with_its_bounds_once(self):
        first = ensure_period(kind=Q, year=2026, number=1, convention=DECREE)
        again = ensure_period(kind=Q, year=2026, number=1, convention=DECREE)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual((first.starts_on, first.ends_on), (D(2025, 12, 15), D(2026, 3, 14)))
        self.assertEqual(period_code(first), "2026-Q1")

    @override_settings(REPORTING_CONVENTION="calendar")
    def test_the_configured_convention_is_the_default(self):
        period = ensure_period(kind=Q, year=2026, number=1)
        self.assertEqual(period.convention, CALENDAR)
        self.assertEqual(period.starts_on, D(2026, 1, 1))

    def test_a_half_year_is_made_of_its_quarter_rows(self):
        quarters = [ensure_period(kind=Q, year=2026, number=n, convention=DECREE) for n in range(1, 5)]
        half = ensure_period(kind=H, year=2026, number=2, convention=DECREE)
        self.assertEqual(set(quarter_periods_within(half)), set(quarters[2:]))
        year = ensure_period(kind=Y, year=2026, number=1, convention=DECREE)
        self.assertEqual(set(quarter_periods_within(year)), set(quarters))
