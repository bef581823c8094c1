"""commitments.health: a partnership's health in SQL, against the rules recomputed row by row."""

import datetime

import pytest
from django.utils import timezone, translation

from commitments.health import Health, add_health, with_health
from partnerships.models import Partnership
from tests import factories
from tests.assertions import count_queries

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def clock_at_today(time_machine):
    """Rows are recorded on TODAY: a status set now takes effect today (StatusChange), so the
    figures as of TODAY see what the tests build."""
    time_machine.move_to(timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12))), tick=False)


def health_of(partnership, today=TODAY):
    return with_health(Partnership.objects.all(), today=today).get(pk=partnership.pk)


def commitments(partnership, *, overdue: int = 0, on_time: int = 0, completed_late: int = 0, future: int = 0):
    """Commitments with deadlines around TODAY: overdue (open, past due), completed, or not yet due."""
    past = TODAY - datetime.timedelta(days=10)
    start = datetime.date(2025, 9, 1)
    for _ in range(overdue):
        factories.commitment(partnership=partnership, start_on=start, due_on=past)
    for _ in range(on_time):
        factories.commitment(partnership=partnership, start_on=start, due_on=past, completed_on=past)
    for _ in range(completed_late):
        factories.commitment(partnership=partnership, start_on=start, due_on=past, completed_on=TODAY)
    for _ in range(future):
        factories.commitment(partnership=partnership, start_on=start, due_on=TODAY + datetime.timedelta(days=90))


def recent_activity(partnership, days_ago: int = 5):
    factories.activity(partnership=partnership, occurred_on=TODAY - datetime.timedelta(days=days_ago))


class TestWithHealth:
    def test_recent_activity_and_nothing_overdue_is_green(self):
        partnership = factories.partnership()
        commitments(partnership, on_time=2, future=1)
        recent_activity(partnership)

        row = health_of(partnership)

        assert row.health == Health.GREEN
        assert row.health_reason == "Đúng tiến độ"

    def test_three_of_five_due_commitments_overdue_is_red_with_counts(self):
        partnership = factories.partnership()
        commitments(partnership, overdue=3, on_time=1, completed_late=1, future=4)
        recent_activity(partnership)

        row = health_of(partnership)

        assert (row.due_commitment_count, row.overdue_commitment_count) == (5, 3)
        assert row.health == Health.RED
        assert row.health_reason == "3/5 cam kết đến hạn bị quá hạn"

    def test_exactly_thirty_percent_overdue_is_red(self):
        partnership = factories.partnership()
        commitments(partnership, overdue=3, on_time=7)
        recent_activity(partnership)

        assert health_of(partnership).health == Health.RED

    def test_one_overdue_below_thirty_percent_is_amber(self):
        partnership = factories.partnership()
        commitments(partnership, overdue=1, on_time=3)
        recent_activity(partnership)

        row = health_of(partnership)

        assert row.health == Health.AMBER
        assert row.health_reason == "1/4 cam kết đến hạn bị quá hạn"

    def test_completed_late_is_not_overdue(self):
        partnership = factories.partnership()
        commitments(partnership, completed_late=2)
        recent_activity(partnership)

        assert health_of(partnership).health == Health.GREEN

    def test_no_update_or_activity_for_120_days_is_red(self):
        partnership = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))
        recent_activity(partnership, days_ago=130)

        row = health_of(partnership)

        assert row.quiet_days == 130
        assert row.health == Health.RED
        assert row.health_reason == "Không có cập nhật tiến độ hay hoạt động trong 130 ngày"

    def test_quiet_for_60_days_is_amber(self):
        partnership = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))
        recent_activity(partnership, days_ago=60)

        row = health_of(partnership)

        assert row.health == Health.AMBER
        assert row.health_reason == "Không có cập nhật tiến độ hay hoạt động trong 60 ngày"

    def test_quiet_for_59_days_is_green(self):
        partnership = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))
        recent_activity(partnership, days_ago=59)

        assert health_of(partnership).health == Health.GREEN

    def test_a_recent_progress_update_counts_as_news(self):
        world = factories.World.build()
        Partnership.objects.filter(pk=world.partnership.pk).update(signed_on=TODAY - datetime.timedelta(days=300))
        submitted = timezone.make_aware(datetime.datetime.combine(TODAY - datetime.timedelta(days=3), datetime.time(9)))
        factories.progress(commitment=world.commitment, author=world.officer, submitted_at=submitted)

        row = health_of(world.partnership)

        assert row.last_activity_on == TODAY - datetime.timedelta(days=3)
        assert row.health == Health.GREEN

    def test_without_any_news_quiet_time_counts_from_signing(self):
        recent = factories.partnership(signed_on=TODAY - datetime.timedelta(days=100))
        old = factories.partnership(signed_on=TODAY - datetime.timedelta(days=150))

        assert health_of(recent).health == Health.AMBER
        assert health_of(recent).quiet_days == 100
        assert health_of(old).health == Health.RED

    @pytest.mark.parametrize("days", [0, 1, 88])
    def test_not_rated_until_signed_for_a_full_reporting_period(self, days):
        """Issue 19: a partnership signed a minute ago is not "Chậm – … trong 460 ngày"."""
        partnership = factories.partnership(signed_on=TODAY - datetime.timedelta(days=days))
        commitments(partnership, overdue=1)

        row = health_of(partnership)

        assert row.health == Health.NONE
        assert row.health_reason == "Ký kết chưa đủ một kỳ báo cáo, chưa đánh giá"

    def test_rated_once_signed_a_full_quarter_before(self):
        partnership = factories.partnership(signed_on=datetime.date(2025, 12, 1))
        recent_activity(partnership)

        assert health_of(partnership).health == Health.GREEN

    def test_health_on_a_past_day_ignores_later_news_and_later_statuses(self):
        partnership = factories.partnership(signed_on=datetime.date(2025, 6, 1))
        commitments(partnership, overdue=1)  # due 19/02/2026
        recent_activity(partnership, days_ago=2)
        partnership.status = Partnership.Status.ENDED
        partnership.save()
        day = datetime.date(2026, 1, 31)

        row = health_of(partnership, today=day)

        assert (row.status_on, row.overdue_commitment_count) == (Partnership.Status.SIGNED, 0)
        assert row.health == Health.RED  # nothing since the signing, 244 days before
        assert row.quiet_days == (day - datetime.date(2025, 6, 1)).days
        assert health_of(partnership).health == Health.NONE  # ended today

    def test_overdue_share_wins_over_quietness_in_the_reason(self):
        partnership = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))
        commitments(partnership, overdue=1)

        row = health_of(partnership)

        assert row.health == Health.RED
        assert row.health_reason == "1/1 cam kết đến hạn bị quá hạn"

    @pytest.mark.parametrize("status", [Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED])
    def test_unsigned_partnership_is_not_assessed(self, status):
        partnership = factories.partnership(status=status, signed_on=None)
        commitments(partnership, overdue=2)

        row = health_of(partnership)

        assert row.health == Health.NONE
        assert row.health_reason == "Chưa ký kết, chưa đánh giá"

    def test_ended_partnership_is_not_assessed(self):
        partnership = factories.partnership(status=Partnership.Status.ENDED)

        row = health_of(partnership)

        assert row.health == Health.NONE
        assert row.health_reason == "Đã kết thúc, không đánh giá"

    def test_health_is_one_query_whatever_the_number_of_rows(self):
        for _ in range(3):
            partnership = factories.partnership()
            commitments(partnership, overdue=1, future=1)
            recent_activity(partnership)

        with count_queries() as queries:
            rows = list(with_health(Partnership.objects.all(), today=TODAY))

        assert len(queries) == 1
        assert {row.health for row in rows} == {Health.RED}

    def test_each_figure_is_written_once_for_the_health_and_once_for_the_reason(self):
        """The rule is one SQL function of the figures, so the statement holds each figure's subquery
        once per column asked for, not once per use in the rule (8 subqueries: status and signing
        day, due and overdue counts, and the 4 behind the last activity)."""
        rows = with_health(Partnership.objects.all(), today=TODAY)

        assert str(rows.values("health").query).count("SELECT") == 1 + 8
        assert str(rows.values("health", "health_reason").query).count("SELECT") == 1 + 2 * 8

    def test_add_health_calls_the_rule_once_for_both_outputs(self):
        """A page shows the health and its reason: one call of the rule, each figure's subquery once."""
        partnership = factories.partnership()
        commitments(partnership, overdue=1)

        with count_queries() as queries:
            add_health([partnership], today=TODAY)

        (query,) = queries.captured_queries
        assert query["sql"].count("commitments_partnership_health") == 1
        assert query["sql"].count("SELECT") == 1 + 8
        assert (partnership.health, partnership.health_reason) == (Health.RED, "1/1 cam kết đến hạn bị quá hạn")

    def test_add_health_answers_each_page_for_its_own_rows_day_and_language(self):
        """add_health() keeps its statement from one call to the next (per day, language and time zone):
        a later page, day or language must not get an earlier one's rows or texts."""
        red = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))
        commitments(red, overdue=1)
        quiet = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))

        add_health([red], today=TODAY)
        add_health([quiet], today=TODAY)
        earlier = add_health([Partnership.objects.get(pk=quiet.pk)], today=TODAY - datetime.timedelta(days=150))
        with translation.override("en"):
            english = add_health([Partnership.objects.get(pk=red.pk)], today=TODAY)

        assert (red.health, red.health_reason) == (Health.RED, "1/1 cam kết đến hạn bị quá hạn")
        assert (quiet.health, quiet.health_reason) == (
            Health.RED,
            "Không có cập nhật tiến độ hay hoạt động trong 200 ngày",
        )
        assert earlier[0].health == Health.NONE  # signed 50 days before that day: too early to rate
        assert english[0].health_reason == "1/1 commitments due are overdue"

    def test_filtering_and_counting_by_health_works(self):
        green = factories.partnership()
        recent_activity(green)
        red = factories.partnership()
        commitments(red, overdue=1)
        recent_activity(red)

        healthy = with_health(Partnership.objects.all(), today=TODAY).filter(health=Health.GREEN)

        assert list(healthy.values_list("pk", flat=True)) == [green.pk]

    def test_defaults_to_today(self):
        partnership = factories.partnership(signed_on=timezone.localdate() - datetime.timedelta(days=100))
        recent_activity(partnership)

        assert with_health(Partnership.objects.all()).get(pk=partnership.pk).health == Health.GREEN


def brute_force_health(partnership: Partnership, today: datetime.date) -> dict:
    """with_health()'s figures recomputed row by row in Python, straight from the rules."""
    rows = list(partnership.commitments.all())
    due = [c for c in rows if c.due_on is not None and c.due_on < today]
    overdue = [c for c in due if c.completed_on is None or c.completed_on > today]
    days = [timezone.localdate(u.submitted_at) for c in rows for u in c.updates.all()]
    days += [a.occurred_on for a in partnership.activities.all()]
    days = [day for day in days if day <= today] + ([partnership.signed_on] if partnership.signed_on else [])
    last = max(days) if days else timezone.localdate(partnership.created_at)
    quiet = (today - last).days
    overdue_reason = f"{len(overdue)}/{len(due)} cam kết đến hạn bị quá hạn"
    quiet_reason = f"Không có cập nhật tiến độ hay hoạt động trong {quiet} ngày"
    if partnership.status == Partnership.Status.ENDED:
        health, reason = Health.NONE, "Đã kết thúc, không đánh giá"
    elif partnership.status in (Partnership.Status.ASSIGNED, Partnership.Status.SURVEYED):
        health, reason = Health.NONE, "Chưa ký kết, chưa đánh giá"
    elif partnership.signed_on > today - datetime.timedelta(days=90):  # TODAY - 3 months: 1/12/2025
        health, reason = Health.NONE, "Ký kết chưa đủ một kỳ báo cáo, chưa đánh giá"
    elif overdue and len(overdue) >= len(due) * 0.3:
        health, reason = Health.RED, overdue_reason
    elif quiet >= 120:
        health, reason = Health.RED, quiet_reason
    elif overdue:
        health, reason = Health.AMBER, overdue_reason
    elif quiet >= 60:
        health, reason = Health.AMBER, quiet_reason
    else:
        health, reason = Health.GREEN, "Đúng tiến độ"
    return {
        "due_commitment_count": len(due),
        "overdue_commitment_count": len(overdue),
        "last_activity_on": last,
        "quiet_days": quiet,
        "health": health,
        "health_reason": reason,
    }


class TestWithHealthAgainstBruteForce:
    """Every annotation of with_health(), for partnerships of each colour, equals a row-by-row computation."""

    def build(self):
        officer = factories.user()
        days_ago = lambda n: TODAY - datetime.timedelta(days=n)  # noqa: E731

        def reported(partnership, days: int):
            commitment = factories.commitment(
                partnership=partnership, start_on=days_ago(400), due_on=days_ago(5), completed_on=days_ago(days)
            )
            # 06:30 in Đà Nẵng is the previous day in UTC: the day must be taken in local time.
            moment = timezone.make_aware(datetime.datetime.combine(days_ago(days), datetime.time(6, 30)))
            factories.progress(commitment=commitment, author=officer, submitted_at=moment)

        green = factories.partnership(signed_on=days_ago(300))
        commitments(green, on_time=3, completed_late=1, future=2)
        reported(green, 2)
        amber_overdue = factories.partnership(signed_on=days_ago(300))
        commitments(amber_overdue, overdue=1, on_time=4)
        recent_activity(amber_overdue, days_ago=10)
        amber_quiet = factories.partnership(signed_on=days_ago(300))
        commitments(amber_quiet, on_time=2)
        reported(amber_quiet, 75)
        recent_activity(amber_quiet, days_ago=90)
        red_share = factories.partnership(signed_on=days_ago(300))
        commitments(red_share, overdue=2, on_time=3, future=5)
        reported(red_share, 1)
        red_quiet = factories.partnership(signed_on=days_ago(300))
        recent_activity(red_quiet, days_ago=121)
        red_never_heard = factories.partnership(signed_on=days_ago(130))
        unsigned = factories.partnership(status=Partnership.Status.SURVEYED, signed_on=None)
        commitments(unsigned, overdue=3)
        ended = factories.partnership(status=Partnership.Status.ENDED)
        commitments(ended, overdue=1)
        return [green, amber_overdue, amber_quiet, red_share, red_quiet, red_never_heard, unsigned, ended]

    def test_every_annotation_matches(self):
        built = self.build()
        expected = {p.pk: brute_force_health(p, TODAY) for p in Partnership.objects.all()}
        names = list(next(iter(expected.values())))

        actual = {row["pk"]: row for row in with_health(Partnership.objects.all(), today=TODAY).values("pk", *names)}

        assert {pk: {n: row[n] for n in names} for pk, row in actual.items()} == expected
        assert {expected[p.pk]["health"] for p in built} == set(Health)
        assert [expected[p.pk]["health"] for p in built[:3]] == ["green", "amber", "amber"]

    def test_add_health_sets_the_same_health_on_fetched_rows_in_one_query(self, django_assert_num_queries):
        self.build()
        expected = {p.pk: brute_force_health(p, TODAY) for p in Partnership.objects.all()}
        fetched = list(Partnership.objects.order_by("pk"))

        with django_assert_num_queries(1):
            returned = add_health(iter(fetched), today=TODAY)

        assert returned == fetched
        assert {p.pk: (p.health, p.health_reason) for p in fetched} == {
            pk: (row["health"], row["health_reason"]) for pk, row in expected.items()
        }
        with django_assert_num_queries(0):
            assert add_health([]) == []

    def test_matches_in_english_too(self):
        partnership = factories.partnership(signed_on=TODAY - datetime.timedelta(days=200))
        commitments(partnership, overdue=1, on_time=1)

        with translation.override("en"):
            row = with_health(Partnership.objects.all(), today=TODAY).get(pk=partnership.pk)

        assert row.health_reason == "1/2 commitments due are overdue"
