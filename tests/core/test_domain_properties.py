"""Domain validation as properties (RELIABILITY E5): generated input goes straight to the forms (no
browser, so no client-side check helps) and, bypassing the forms, straight to the database.

1,300 generated cases in all (EXAMPLES); none may leave an invalid row:

* progress: achieved values are never negative nor too large for their column (ProgressForm, then the
  database), and whatever the database accepts as targets and achievements, the progress percent stays
  within 0..100 (the Python property and the SQL the reports use);
* update date: a report is filed in an open quarter that does not end before the day it is made; the
  form has no date or period a client could set, so the day is the server's today;
* memorandum: the term cannot start before the signing date (PartnershipForm, then the database).
"""

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from commitments.forms import ProgressForm
from commitments.models import Commitment, ProgressUpdate, ReportingPeriod
from commitments.services import submit_progress
from partnerships.forms import PartnershipForm
from partnerships.models import Partnership
from tests import factories
from tests.partnerships.member_rows import LEAD, SUPPORTED, member_rows
from tests.signin import sign_in

EXAMPLES = {"progress_form": 400, "percent": 300, "filing_day": 200, "memorandum": 400}
MAX_QUANTITY = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
MAX_BIGINT = 2**63 - 1


def examples(name: str):
    return settings(
        max_examples=EXAMPLES[name], deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
    )


# What people type in a number box, and what a hand-made POST can carry instead.
typed_numbers = st.one_of(
    st.decimals(min_value=-(10**13), max_value=10**13, allow_nan=False, allow_infinity=False, places=2),
    st.decimals(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False, places=4),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from(["", "-0", "0", "-1", "1e3", "-1e3", "NaN", "Infinity", "-Infinity", "1,5", "abc", "١٢", " 7 "]),
)
quantities = st.one_of(st.none(), st.decimals(min_value=-100, max_value=MAX_QUANTITY, places=2, allow_nan=False))
values_vnd = st.one_of(st.none(), st.integers(min_value=-(10**12), max_value=MAX_BIGINT))
days = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2028, 3, 31))
optional_days = st.one_of(st.none(), days)


def refused_by_database(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def as_number(text) -> Decimal | None:
    try:
        number = Decimal(str(text).strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


class ProgressProperties(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()

    @examples("progress_form")
    @given(quantity=typed_numbers, value=typed_numbers)
    def test_the_form_keeps_only_storable_non_negative_results(self, quantity, value):
        data = {"achieved_quantity": str(quantity), "achieved_value_vnd": str(value), "narrative": "Đã bàn giao"}
        form = ProgressForm(data, commitment=self.world.commitment)
        typed = [as_number(quantity), as_number(value)]
        if any(number is not None and number < 0 for number in typed):
            self.assertFalse(form.is_valid())
        if not form.is_valid():
            return
        kept_quantity, kept_value = form.cleaned_data["achieved_quantity"], form.cleaned_data["achieved_value_vnd"]
        self.assertTrue(kept_quantity is not None or kept_value is not None)
        self.assertTrue(kept_quantity is None or 0 <= kept_quantity <= MAX_QUANTITY)
        self.assertTrue(kept_value is None or 0 <= kept_value <= MAX_BIGINT)
        # What the form accepts, the database stores as it is.
        with transaction.atomic():
            row = factories.progress(
                commitment=self.world.commitment,
                author=self.world.officer,
                period=self.world.current_period,
                achieved_quantity=kept_quantity,
                achieved_value_vnd=kept_value,
            )
            row.refresh_from_db()
            self.assertEqual((row.achieved_quantity, row.achieved_value_vnd), (kept_quantity, kept_value))
            transaction.set_rollback(True)

    @examples("percent")
    @given(
        target_quantity=quantities,
        target_value=values_vnd,
        achieved_quantity=st.decimals(min_value=-100, max_value=MAX_QUANTITY, places=2, allow_nan=False),
        achieved_value=st.integers(min_value=-(10**12), max_value=MAX_BIGINT),
    )
    def test_the_database_keeps_targets_positive_and_progress_within_0_and_100(
        self, target_quantity, target_value, achieved_quantity, achieved_value
    ):
        valid = (
            (target_quantity is not None or target_value is not None)
            and (target_quantity is None or target_quantity > 0)
            and (target_value is None or target_value > 0)
            and achieved_quantity >= 0
            and achieved_value >= 0
        )
        values = {
            "partnership": self.world.partnership,
            "owner": self.world.supporter,
            "field": self.world.commitment.field,
            "title": "Cam kết sinh ra",
            "support_form": Commitment.SupportForm.CASH,
            "target_quantity": target_quantity,
            "target_unit": "suất",
            "target_value_vnd": target_value,
            "start_on": datetime.date(2025, 9, 1),
            "achieved_quantity": achieved_quantity,
            "achieved_value_vnd": achieved_value,
        }
        if not valid:
            self.assertTrue(refused_by_database(lambda: Commitment.objects.create(**values)), values)
            return
        with transaction.atomic():
            commitment = Commitment.objects.create(**values)
            # Progress counts verified reports (CommitmentQuerySet.with_progress), however large.
            ProgressUpdate.objects.create(
                commitment=commitment,
                author=self.world.officer,
                period=self.world.current_period,
                narrative="Kết quả sinh ra",
                achieved_quantity=achieved_quantity,
                achieved_value_vnd=achieved_value,
                state=ProgressUpdate.State.VERIFIED,
                reviewed_by=self.world.city,
                reviewed_at=timezone.now(),
            )
            self.assertTrue(0 <= commitment.progress_percent <= 100, values)
            transaction.set_rollback(True)


class FilingDayProperties(TestCase):
    """Decree-09 quarters from Q1 2024 to Q1 2028 (15/12/2023 – 14/03/2028), three of them closed."""

    CLOSED = {(2025, 4), (2026, 2), (2026, 3)}

    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        for year in range(2024, 2029):
            for number in range(1, 5) if year < 2028 else [1]:
                period = factories.period(year=year, number=number)
                if (year, number) in cls.CLOSED:
                    period.closed_at = timezone.now()
                    period.save(update_fields=["closed_at"])
        cls.last_end = ReportingPeriod.objects.quarters().order_by("-ends_on").first().ends_on

    @examples("filing_day")
    @given(day=days, hour=st.integers(min_value=0, max_value=23))
    def test_a_report_counts_in_an_open_quarter_that_has_not_ended_before_it(self, day, hour):
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))
        with transaction.atomic():
            try:
                update = submit_progress(
                    commitment=self.world.commitment, author=self.world.officer, narrative="Đã làm", at=at
                )
            except ValidationError:
                self.assertGreater(day, self.last_end)  # refused only when no quarter is left
                self.assertFalse(ProgressUpdate.objects.filter(submitted_at=at).exists())
                return
            period = update.period
            self.assertEqual(period.kind, ReportingPeriod.Kind.QUARTER)
            self.assertFalse(period.is_closed)
            self.assertEqual(timezone.localdate(update.submitted_at), day)
            self.assertLessEqual(day, period.ends_on)
            containing = ReportingPeriod.objects.quarters().containing(day).get()
            if containing.is_closed:
                self.assertGreater(period.starts_on, day)  # a closed quarter sends it to the next open one
            else:
                self.assertEqual(period, containing)
            transaction.set_rollback(True)

    def test_a_posted_date_or_period_is_ignored(self):
        """The form has neither: a hand-made POST that adds them files the report today, in today's quarter."""
        sign_in(self.client, self.world.officer)
        closed = ReportingPeriod.objects.filter(closed_at__isnull=False).first()
        response = self.client.post(
            reverse("commitments:progress_create", args=[self.world.commitment.pk]),
            {
                "achieved_quantity": "1",
                "achieved_value_vnd": "",
                "narrative": "Đã bàn giao",
                "client_token": str(uuid.uuid4()),
                "submitted_at": "2099-01-01 08:00",
                "period": closed.pk,
                "state": "verified",
            },
        )
        self.assertEqual(response.status_code, 302)
        update = ProgressUpdate.objects.get(commitment=self.world.commitment)
        today = timezone.localdate()
        self.assertEqual(timezone.localdate(update.submitted_at), today)
        self.assertEqual(update.period, ReportingPeriod.objects.quarters().containing(today).get())
        self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)


class MemorandumProperties(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.basis = factories.legal_basis()

    @examples("memorandum")
    @given(
        status=st.sampled_from(Partnership.Status.values),
        signed_on=optional_days,
        term_start=optional_days,
        term_end=optional_days,
    )
    def test_a_term_never_starts_before_the_memorandum_is_signed(self, status, signed_on, term_start, term_end):
        data = {
            "title": "",
            "status": status,
            "legal_basis": self.basis.pk,
            "assigning_document": "",
            "signed_on": signed_on.isoformat() if signed_on else "",
            "signed_place": "",
            "term_start": term_start.isoformat() if term_start else "",
            "term_end": term_end.isoformat() if term_end else "",
            "summary": "",
            "source": "",
            **member_rows((self.world.supported, SUPPORTED), (self.world.outsider, LEAD)),
        }
        form = PartnershipForm(data)
        effective_before_signing = bool(signed_on and term_start and term_start < signed_on)
        if form.is_valid():
            self.assertFalse(effective_before_signing)
            self.assertFalse(term_start and term_end and term_end < term_start)
        elif effective_before_signing and status not in ("assigned", "surveyed"):  # else signed_on is refused first
            self.assertIn("effective_before_signing", [error.code for error in form.errors.as_data()["term_start"]])
        # The same dates written past the form.
        row = {"legal_basis": self.basis, "status": status, "term_start": term_start, "term_end": term_end}
        row["signed_on"] = signed_on if status not in ("assigned", "surveyed") else None
        rule_broken = bool(row["signed_on"] and term_start and term_start < row["signed_on"]) or bool(
            term_start and term_end and term_end < term_start
        )
        self.assertEqual(refused_by_database(lambda: Partnership.objects.create(**row)), rule_broken, row)
