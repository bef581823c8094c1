"""The benchmark data generator (seed_scale) at a toy size: counts, invariants, names, refusal."""

import datetime
import unicodedata
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, OuterRef
from django.test import TestCase
from django.utils import timezone

from accounts.models import Role
from commitments.models import Commitment, ProgressUpdate, ReportingPeriod
from communes.models import Commune, Constituent
from demo import scale_data
from partnerships.models import Activity, Membership, Partnership
from tests import factories

TODAY = datetime.date(2026, 11, 21)
TOY = scale_data.Size(
    units=400,  # 306 invented units: enough for a special zone (one per 250)
    partnerships=80,
    commitments=600,
    updates=3_000,
    quarters=8,
    activities_per_partnership=4,
    officers_per_unit=1,
    three_way_share=0.2,
)
VIETNAMESE_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")


def has_diacritics(text: str) -> bool:
    return any(ch in VIETNAMESE_LETTERS or unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", text))


class SeededTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.result = scale_data.seed(TOY, seed=7, today=TODAY)

    def test_writes_the_requested_counts(self):
        self.assertEqual(Commune.objects.count(), TOY.units)
        self.assertEqual(Partnership.objects.count(), TOY.partnerships)
        self.assertEqual(Commitment.objects.count(), TOY.commitments)
        # Every commitment with a plan gets at least one update, so the total may pass the target a little.
        self.assertGreaterEqual(ProgressUpdate.objects.count(), TOY.updates)
        self.assertLessEqual(ProgressUpdate.objects.count(), TOY.updates + TOY.commitments)
        officers = get_user_model().objects.filter(role=Role.UNIT_OFFICER)
        self.assertEqual(officers.count(), TOY.units * TOY.officers_per_unit)
        self.assertFalse(Commune.objects.annotate(n=Count("officers")).filter(n=0).exists())
        self.assertTrue(Activity.objects.exists())
        self.assertEqual(self.result.counts["cam kết"], TOY.commitments)

    def test_keeps_the_real_units_and_known_partnerships(self):
        self.assertEqual(Commune.objects.get(code="20257").name, "Hòa Cường")
        self.assertTrue(Partnership.objects.filter(external_ref__startswith="known:").exists())
        self.assertEqual(Commune.objects.filter(source=scale_data.SOURCE).count(), TOY.units - 94)

    def test_invented_units_are_plausible_vietnamese(self):
        invented = Commune.objects.filter(source=scale_data.SOURCE)
        names = list(invented.values_list("name", flat=True))
        self.assertGreater(sum(map(has_diacritics, names)) / len(names), 0.8)
        self.assertTrue(all(code.isdigit() and len(code) == 5 for code in invented.values_list("code", flat=True)))
        kinds = Counter(invented.values_list("kind", flat=True))
        self.assertGreater(kinds[Commune.Kind.WARD], 0)
        self.assertGreater(kinds[Commune.Kind.COMMUNE], kinds[Commune.Kind.WARD])
        self.assertEqual(kinds[Commune.Kind.SPECIAL_ZONE], 1)
        self.assertTrue(invented.exclude(former_district="").exists())
        provinces = set(Constituent.objects.filter(commune__in=invented).values_list("old_province", flat=True))
        self.assertGreater(len(provinces), 20)
        self.assertTrue(has_diacritics(Commitment.objects.order_by("pk").first().title))

    def test_every_partnership_is_valid_and_some_are_three_way(self):
        # The deferred trigger and the composite key "owner ∈ members", checked now rather than at commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        roles = defaultdict(Counter)
        for partnership_id, role in Membership.objects.values_list("partnership_id", "role"):
            roles[partnership_id][role] += 1
        self.assertTrue(all(r[Membership.Role.SUPPORTED] == 1 and sum(r.values()) >= 2 for r in roles.values()))
        self.assertTrue(any(sum(r.values()) == 3 for r in roles.values()))
        outside = Commitment.objects.exclude(
            owner_id__in=Membership.objects.filter(partnership=OuterRef("partnership")).values("commune_id")
        )
        self.assertFalse(outside.exists())

    def test_updates_span_the_quarters_in_realistic_states(self):
        states = Counter(ProgressUpdate.objects.values_list("state", flat=True))
        total = sum(states.values())
        self.assertGreater(states[ProgressUpdate.State.VERIFIED] / total, 0.75)
        self.assertGreater(states[ProgressUpdate.State.SUBMITTED], 0)
        self.assertGreater(states[ProgressUpdate.State.RETURNED], 0)
        self.assertFalse(ProgressUpdate.objects.filter(state="returned", return_reason="").exists())
        self.assertGreaterEqual(ProgressUpdate.objects.values("period").distinct().count(), TOY.quarters - 1)
        self.assertFalse(ProgressUpdate.objects.filter(submitted_at__date__gt=TODAY).exists())
        for update in ProgressUpdate.objects.select_related("period")[:200]:
            day = timezone.localdate(update.submitted_at)
            self.assertTrue(update.period.starts_on <= day <= update.period.ends_on, update.pk)
        statuses = Counter(Commitment.objects.with_status(TODAY).values_list("status", flat=True))
        for status in Commitment.Status:
            self.assertGreater(statuses[status], 0, status)
        self.assertLess(statuses[Commitment.Status.OVERDUE], statuses[Commitment.Status.COMPLETED_ON_TIME])

    def test_totals_are_what_verifying_through_the_service_would_give(self):
        checked = 0
        for commitment in Commitment.objects.order_by("pk")[:150]:
            verified = commitment.updates.filter(state=ProgressUpdate.State.VERIFIED).order_by("reviewed_at", "pk")
            quantity, value, completed_on = Decimal(0), 0, None
            for update in verified:
                quantity += update.achieved_quantity or 0
                value += update.achieved_value_vnd or 0
                reached = (commitment.target_quantity is None or quantity >= commitment.target_quantity) and (
                    commitment.target_value_vnd is None or value >= commitment.target_value_vnd
                )
                if completed_on is None and reached:
                    completed_on = timezone.localdate(update.submitted_at)
            self.assertEqual(commitment.achieved_quantity, quantity, commitment.pk)
            self.assertEqual(commitment.achieved_value_vnd, value, commitment.pk)
            self.assertEqual(commitment.completed_on, completed_on, commitment.pk)
            checked += completed_on is not None
        self.assertGreater(checked, 0)

    def test_verified_updates_stay_locked(self):
        update = ProgressUpdate.objects.filter(state=ProgressUpdate.State.VERIFIED).first()
        with self.assertRaisesMessage(Exception, "verified_progress_is_locked"):
            ProgressUpdate.objects.filter(pk=update.pk).update(narrative="sửa")

    def test_the_generated_rows_have_insert_events_but_no_flood_of_updates(self):
        events = scale_data.event_model(Commitment).objects
        self.assertEqual(events.filter(pgh_label="insert").count(), TOY.commitments)
        self.assertFalse(events.filter(pgh_label="update").exists())

    def test_new_rows_get_fresh_ids_after_the_load(self):
        commitment = Commitment.objects.order_by("pk").first()
        officer = get_user_model().objects.filter(commune_id=commitment.owner_id).first()
        update = ProgressUpdate.objects.create(
            commitment=commitment,
            period=ReportingPeriod.objects.order_by("-starts_on").first(),
            narrative="Báo cáo mới",
            author=officer,
        )
        self.assertGreater(update.pk, ProgressUpdate.objects.exclude(pk=update.pk).order_by("-pk").first().pk)

    def test_a_second_run_is_refused(self):
        with self.assertRaises(scale_data.SeedRefused):
            scale_data.seed(TOY, seed=7, today=TODAY)


class RefusalTests(TestCase):
    def test_refuses_a_database_with_other_data(self):
        factories.World.build()
        with self.assertRaisesMessage(scale_data.SeedRefused, "không phải dữ liệu mô phỏng"):
            scale_data.seed(TOY, today=TODAY)
        self.assertFalse(Partnership.objects.filter(external_ref__startswith=scale_data.SCALE_REF_PREFIX).exists())

    def test_reset_empties_and_seeds_again_identically(self):
        small = scale_data.Size(units=100, partnerships=20, commitments=60, updates=200, quarters=3)
        scale_data.seed(small, seed=3, today=TODAY)
        first = list(Commune.objects.order_by("code").values_list("code", "name"))
        titles = list(Commitment.objects.order_by("pk").values_list("title", flat=True))
        scale_data.seed(small, seed=3, today=TODAY, reset=True)
        self.assertEqual(list(Commune.objects.order_by("code").values_list("code", "name")), first)
        self.assertEqual(list(Commitment.objects.order_by("pk").values_list("title", flat=True)), titles)
        self.assertEqual(Partnership.objects.order_by("pk").first().pk, 1)  # identities restarted

    def test_the_command_takes_size_overrides_and_refuses_a_second_run(self):
        arguments = ["--scale", "city", "--partnerships", "20", "--commitments", "40", "--updates", "80"]
        out = StringIO()
        call_command("seed_scale", *arguments, "--quarters", "2", "--today", "2026-11-21", stdout=out)
        self.assertIn("Xong", out.getvalue())
        self.assertEqual(Commitment.objects.count(), 40)
        quarters = set(ReportingPeriod.objects.values_list("year", "number"))
        self.assertLessEqual({(2026, 3), (2026, 4), (2027, 1)}, quarters)  # two quarters and the next one
        with self.assertRaisesMessage(CommandError, "--reset"):
            call_command("seed_scale", *arguments, stdout=StringIO())
