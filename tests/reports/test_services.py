"""Report services: enqueue on commit, claim (a duplicate delivery does nothing), re-queue, finalise, periods."""

import contextlib
import datetime
import hashlib
from unittest import mock

import psycopg
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import TestCase, override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Role
from commitments.models import Commitment, ProgressUpdate, ReportingPeriod
from commitments.services import submit_progress, verify_progress
from reports.figures import load_rows
from reports.models import NumberRegister, PeriodSnapshot, Reminder, Report
from reports.services import (
    LOCK_BASE,
    WORKBOOK_LOCK_BASE,
    close_period,
    draft_city_report_after_cutoff,
    finalise_report,
    regenerate_report,
    report_rows,
    request_report,
    requeue_stalled_reports,
    run_report,
    run_workbook,
    send_report_reminders,
)
from tests import factories
from tests.reports.pdftools import text_of
from tests.reports.programme import Programme, at

PUBLISH = "reports.services.render_report_task.apply_async"
PUBLISH_WORKBOOK = "reports.services.build_workbook_task.apply_async"


@contextlib.contextmanager
def lock_held_by_another_worker(report_id: int, base: int = LOCK_BASE):
    """A second database session holding the report's advisory lock, as a live worker does."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [base + report_id])
        yield


class RequestReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        cls.period = factories.period(2025, 4)

    def test_enqueues_once_after_commit(self):
        with mock.patch(PUBLISH) as publish, self.captureOnCommitCallbacks(execute=True) as callbacks:
            report = request_report(period=self.period, kind=Report.Kind.CITY, requested_by=self.world.city)
            publish.assert_not_called()  # not before the commit
        self.assertEqual(len(callbacks), 1)
        publish.assert_called_once()
        self.assertEqual(publish.call_args.kwargs["args"], [report.pk])
        self.assertEqual((report.status, report.version, report.requested_by), ("queued", 1, self.world.city))

    def test_a_rolled_back_request_publishes_nothing(self):
        with mock.patch(PUBLISH) as publish, self.captureOnCommitCallbacks(execute=True) as callbacks:
            with contextlib.suppress(RuntimeError), transaction.atomic():
                request_report(period=self.period, kind=Report.Kind.CITY, requested_by=self.world.city)
                raise RuntimeError
        self.assertEqual(callbacks, [])
        publish.assert_not_called()
        self.assertFalse(Report.objects.exists())

    def test_broker_down_keeps_the_row_queued_and_says_so(self):
        with mock.patch(PUBLISH, side_effect=BrokerError("Connection refused")):
            with self.captureOnCommitCallbacks(execute=True):
                report = request_report(period=self.period, kind=Report.Kind.CITY, requested_by=self.world.city)
        self.assertIs(report.enqueue_failed, True)
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.QUEUED)

    def test_only_city_staff_may_ask(self):
        for user in (self.world.leader, self.world.officer):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                request_report(period=self.period, kind=Report.Kind.CITY, requested_by=user)

    def test_a_period_code_creates_the_period(self):
        report = request_report(period="2025-H2", kind=Report.Kind.CITY, requested_by=self.world.city)
        self.assertEqual(report.period.kind, ReportingPeriod.Kind.HALF_YEAR)
        self.assertEqual(report.period.starts_on, datetime.date(2025, 6, 15))

    def test_a_double_click_returns_the_waiting_draft_and_later_requests_are_new_versions(self):
        first = request_report(period=self.period, kind=Report.Kind.CITY, requested_by=self.world.city)
        again = request_report(period=self.period, kind=Report.Kind.CITY, requested_by=self.world.city)
        self.assertEqual(first.pk, again.pk)
        Report.objects.filter(pk=first.pk).update(status=Report.Status.DONE)
        second = regenerate_report(report=first, requested_by=self.world.city)
        self.assertEqual(second.version, 2)

    def test_scope_must_match_the_kind(self):
        with self.assertRaises(ValidationError):
            request_report(period=self.period, kind=Report.Kind.PARTNERSHIP, requested_by=self.world.city)


class RunReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def queued(self, **values) -> Report:
        values = {
            "period": self.programme.q4,
            "kind": Report.Kind.PARTNERSHIP,
            "partnership": self.programme.world.partnership,
        } | values
        return Report.objects.create(**values)

    def test_renders_stores_and_finishes(self):
        report = self.queued()
        run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertEqual((report.status, report.progress, report.attempts), (Report.Status.DONE, 100, 1))
        content = report.pdf.read()
        self.assertEqual(report.sha256, hashlib.sha256(content).hexdigest())
        self.assertEqual(report.size_bytes, len(content))
        self.assertGreaterEqual(report.page_count, 2)
        self.assertEqual((report.xlsx.name, report.xlsx_status), ("", Report.WorkbookStatus.PENDING))
        run_workbook(report_id=report.pk)
        report.refresh_from_db()
        self.assertTrue(report.xlsx.name.endswith(".xlsx"))
        self.assertIsNotNone(report.data)
        self.assertIsNone(report.claim_token)
        self.assertLessEqual(report.started_at, report.finished_at)

    def test_a_second_delivery_after_the_first_does_nothing(self):
        report = self.queued()
        run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertIsNone(run_report(report_id=report.pk))
        again = Report.objects.get(pk=report.pk)
        self.assertEqual((again.pdf.name, again.sha256, again.attempts), (report.pdf.name, report.sha256, 1))

    def test_a_delivery_while_another_worker_renders_does_nothing(self):
        report = self.queued()
        with lock_held_by_another_worker(report.pk):
            self.assertIsNone(run_report(report_id=report.pk))
        report.refresh_from_db()
        self.assertEqual((report.status, report.attempts, report.pdf.name), (Report.Status.QUEUED, 0, ""))

    def test_a_report_left_running_by_a_dead_worker_is_taken_over(self):
        report = self.queued(status=Report.Status.RUNNING, attempts=1, heartbeat_at=timezone.now())
        run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertEqual((report.status, report.attempts), (Report.Status.DONE, 2))

    @override_settings(REPORT_MAX_ATTEMPTS=3)
    def test_no_fourth_attempt(self):
        report = self.queued(status=Report.Status.RUNNING, attempts=3)
        self.assertIsNone(run_report(report_id=report.pk))
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.FAILED)
        self.assertIn("3 lần", report.error_message)

    @override_settings(REPORT_MAX_TABLE_ROWS=1)
    def test_too_large_a_report_fails_with_a_vietnamese_message(self):
        report = self.queued()
        run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.FAILED)
        self.assertIn("vượt giới hạn", report.error_message)
        self.assertEqual(report.pdf.name, "")

    def test_a_rendering_error_fails_the_report_with_a_message(self):
        report = self.queued(data={"broken": True})
        run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.FAILED)
        self.assertIn("lỗi hệ thống", report.error_message)

    def test_a_database_error_propagates_for_the_task_to_retry(self):
        report = self.queued()
        with mock.patch("reports.services.report_rows", side_effect=DatabaseError("server closed the connection")):
            with self.assertRaises(DatabaseError):
                run_report(report_id=report.pk)
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.RUNNING)  # taken over by the retry or the re-queue job


class WorkbookFollowUpTests(TestCase):
    """The PDF is stored and the report done first; the Excel workbook is a follow-up task of its own."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def rendered(self) -> Report:
        report = Report.objects.create(
            period=self.programme.q4, kind=Report.Kind.PARTNERSHIP, partnership=self.programme.world.partnership
        )
        with mock.patch(PUBLISH_WORKBOOK) as publish, self.captureOnCommitCallbacks(execute=True):
            with mock.patch("reports.spreadsheet.build_workbook") as build:
                run_report(report_id=report.pk)
            build.assert_not_called()  # not on the way to the PDF
        publish.assert_called_once()
        self.assertEqual(publish.call_args.kwargs["args"], [report.pk])
        return Report.objects.get(pk=report.pk)

    def test_the_pdf_is_ready_before_the_workbook(self):
        report = self.rendered()
        self.assertEqual(report.status, Report.Status.DONE)
        self.assertTrue(report.pdf.read().startswith(b"%PDF-"))
        self.assertEqual((report.xlsx.name, report.xlsx_status), ("", Report.WorkbookStatus.PENDING))

    def test_the_follow_up_stores_the_workbook_once(self):
        report = self.rendered()
        done = run_workbook(report_id=report.pk)
        self.assertEqual(done.xlsx_status, Report.WorkbookStatus.DONE)
        content = done.xlsx.read()
        self.assertTrue(content.startswith(b"PK"))
        self.assertEqual(done.xlsx_sha256, hashlib.sha256(content).hexdigest())
        # A second delivery of the message changes nothing.
        self.assertIsNone(run_workbook(report_id=report.pk))
        again = Report.objects.get(pk=report.pk)
        self.assertEqual((again.xlsx.name, again.xlsx_attempts, again.sha256), (done.xlsx.name, 1, report.sha256))

    def test_a_delivery_while_another_worker_builds_it_does_nothing(self):
        report = self.rendered()
        with lock_held_by_another_worker(report.pk, base=WORKBOOK_LOCK_BASE):
            self.assertIsNone(run_workbook(report_id=report.pk))
        report.refresh_from_db()
        self.assertEqual((report.xlsx_status, report.xlsx_attempts), (Report.WorkbookStatus.PENDING, 0))

    def test_a_failing_workbook_leaves_the_pdf_and_says_so(self):
        report = self.rendered()
        with mock.patch("reports.spreadsheet.build_workbook", side_effect=ValueError("boom")):
            failed = run_workbook(report_id=report.pk)
        self.assertEqual(failed.xlsx_status, Report.WorkbookStatus.FAILED)
        self.assertEqual((failed.status, failed.sha256), (Report.Status.DONE, report.sha256))

    def test_a_finalised_report_gets_its_workbook_and_then_cannot_change(self):
        report = self.rendered()
        run_workbook(report_id=report.pk)
        final = finalise_report(
            report=report, finalised_by=self.programme.world.city, next_tasks="x", signer_title="x", signer_name="y"
        )
        with mock.patch(PUBLISH_WORKBOOK), self.captureOnCommitCallbacks(execute=True):
            run_report(report_id=final.pk)
        final.refresh_from_db()
        self.assertEqual((final.xlsx.name, final.xlsx_status), ("", Report.WorkbookStatus.PENDING))
        with self.assertRaises(DatabaseError), transaction.atomic():  # the workbook may come, nothing else
            Report.objects.filter(pk=final.pk).update(next_tasks="sửa", xlsx_attempts=1)
        stored = run_workbook(report_id=final.pk)
        self.assertEqual(stored.xlsx_status, Report.WorkbookStatus.DONE)
        with self.assertRaises(DatabaseError), transaction.atomic():
            Report.objects.filter(pk=final.pk).update(xlsx_status=Report.WorkbookStatus.PENDING)

    def test_a_lost_workbook_message_is_sent_again(self):
        report = self.rendered()
        later = report.finished_at + datetime.timedelta(minutes=10)
        with mock.patch(PUBLISH_WORKBOOK) as publish, self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(requeue_stalled_reports(now=later), [report.pk])
            with lock_held_by_another_worker(report.pk, base=WORKBOOK_LOCK_BASE):
                self.assertEqual(requeue_stalled_reports(now=later), [])
        publish.assert_called_once()


class RequeueTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.period = factories.period(2025, 4)

    def setUp(self):
        self.now = timezone.now()

    def report(self, **values) -> Report:
        return Report.objects.create(period=self.period, kind=Report.Kind.CITY, **values)

    def test_lost_messages_and_dead_workers_are_requeued(self):
        old = self.now - datetime.timedelta(minutes=5)
        lost = self.report(queued_at=old)
        fresh = self.report(queued_at=self.now, version=2)
        dead = self.report(status=Report.Status.RUNNING, attempts=1, heartbeat_at=old, version=3)
        alive = self.report(status=Report.Status.RUNNING, attempts=1, heartbeat_at=self.now, version=4)
        with mock.patch(PUBLISH) as publish, self.captureOnCommitCallbacks(execute=True):
            requeued = requeue_stalled_reports(now=self.now)
        self.assertEqual(sorted(requeued), sorted([lost.pk, dead.pk]))
        self.assertEqual(sorted(call.kwargs["args"][0] for call in publish.call_args_list), sorted(requeued))
        dead.refresh_from_db()
        self.assertEqual((dead.status, dead.attempts), (Report.Status.QUEUED, 1))
        fresh.refresh_from_db()
        alive.refresh_from_db()
        self.assertEqual((fresh.status, alive.status), (Report.Status.QUEUED, Report.Status.RUNNING))

    def test_a_slow_but_live_worker_keeps_its_report(self):
        slow = self.report(
            status=Report.Status.RUNNING, attempts=1, heartbeat_at=self.now - datetime.timedelta(minutes=5)
        )
        with lock_held_by_another_worker(slow.pk), mock.patch(PUBLISH):
            self.assertEqual(requeue_stalled_reports(now=self.now), [])
        slow.refresh_from_db()
        self.assertEqual(slow.status, Report.Status.RUNNING)

    def test_after_three_attempts_the_report_fails_with_a_message(self):
        tired = self.report(
            status=Report.Status.RUNNING, attempts=3, heartbeat_at=self.now - datetime.timedelta(minutes=5)
        )
        with mock.patch(PUBLISH) as publish:
            requeue_stalled_reports(now=self.now)
        publish.assert_not_called()
        tired.refresh_from_db()
        self.assertEqual(tired.status, Report.Status.FAILED)
        self.assertIn("Không tạo được báo cáo sau 3 lần thử", tired.error_message)


class FinaliseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.city = cls.programme.world.city

    def done_draft(self, **values) -> Report:
        values = {
            "period": self.programme.q4,
            "kind": Report.Kind.PARTNERSHIP,
            "partnership": self.programme.world.partnership,
        } | values
        report = Report.objects.create(**values)
        run_report(report_id=report.pk)
        return Report.objects.get(pk=report.pk)

    def finalise(self, report: Report, **values) -> Report:
        values = {
            "next_tasks": "Hoàn thành căn nhà thứ hai.",
            "signer_title": "PHÓ BÍ THƯ",
            "signer_name": "Nguyễn Văn A",
        } | values
        return finalise_report(report=report, finalised_by=self.city, **values)

    def test_numbers_follow_the_register_and_the_final_document_is_rendered(self):
        draft = self.done_draft()
        draft_text = text_of(draft.pdf.read())
        self.assertIn("DỰ THẢO", draft_text)
        with mock.patch(PUBLISH) as publish, self.captureOnCommitCallbacks(execute=True):
            final = self.finalise(draft)
        publish.assert_called_once()
        self.assertEqual((final.number, final.term, final.status), (1, "2025-2030", Report.Status.QUEUED))
        run_report(report_id=final.pk)
        final.refresh_from_db()
        text = text_of(final.pdf.read())
        self.assertIn("Số 01-BC/TU", text)
        self.assertNotIn("DỰ THẢO", text)
        self.assertIn("Nguyễn Văn A", text)
        self.assertIn("Hoàn thành căn nhà thứ hai.", text)
        self.assertEqual(final.data, draft.data)  # the figures that were approved are the ones signed

        second = self.finalise(self.done_draft(version=2))
        self.assertEqual(second.number, 2)

    def test_numbering_restarts_in_a_new_term(self):
        self.assertEqual(self.finalise(self.done_draft()).number, 1)
        with override_settings(REPORT_COMMITTEE_TERM="2030-2035"):
            self.assertEqual(self.finalise(self.done_draft(version=2)).number, 1)
        self.assertEqual(
            dict(NumberRegister.objects.values_list("term", "last_number")), {"2025-2030": 1, "2030-2035": 1}
        )

    def test_a_finalised_report_cannot_change(self):
        final = self.finalise(self.done_draft())
        run_report(report_id=final.pk)
        with self.assertRaises(DatabaseError), transaction.atomic():
            Report.objects.filter(pk=final.pk).update(next_tasks="sửa")
        with self.assertRaises(ValidationError):
            self.finalise(Report.objects.get(pk=final.pk))

    def test_tasks_for_the_next_period_are_required(self):
        with self.assertRaises(ValidationError) as raised:
            self.finalise(self.done_draft(), next_tasks="  ")
        self.assertIn("next_tasks", raised.exception.message_dict)

    def test_only_a_finished_draft_can_be_finalised(self):
        queued = Report.objects.create(period=self.programme.q4, kind=Report.Kind.CITY)
        with self.assertRaises(ValidationError):
            self.finalise(queued)

    def test_leadership_cannot_finalise(self):
        with self.assertRaises(PermissionDenied):
            finalise_report(
                report=self.done_draft(),
                finalised_by=self.programme.world.leader,
                next_tasks="x",
                signer_title="x",
                signer_name="x",
            )


class ClosePeriodTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def test_closing_freezes_the_figures_that_reports_read(self):
        q4 = self.programme.q4
        live = report_rows(q4)
        snapshot = close_period(period=q4, closed_by=self.programme.world.city, today=datetime.date(2025, 12, 20))
        self.assertEqual(snapshot.data, live)
        q4.refresh_from_db()
        self.assertTrue(q4.is_closed)
        # Work recorded after the cut-off (the pending Q4 update verified late) moves no figure of Q4…
        verify_progress(update=self.programme.pending, reviewer=self.programme.world.city)
        self.assertEqual(load_rows(period=q4), live)
        # …a correction of the record does move the live rows, never the closed period's.
        Commitment.objects.filter(pk=self.programme.house.pk).update(target_value_vnd=200_000_000)
        self.assertNotEqual(load_rows(period=q4), live)
        self.assertEqual(report_rows(q4), live)

    def test_a_report_rendered_again_later_is_identical(self):
        q4 = self.programme.q4
        close_period(period=q4, closed_by=self.programme.world.city, today=datetime.date(2025, 12, 20))
        first = Report.objects.create(
            period=q4, kind=Report.Kind.PARTNERSHIP, partnership=self.programme.world.partnership
        )
        run_report(report_id=first.pk)
        verify_progress(update=self.programme.pending, reviewer=self.programme.world.city)
        factories.activity(partnership=self.programme.world.partnership, occurred_on=datetime.date(2025, 11, 30))
        again = Report.objects.create(
            period=q4, kind=Report.Kind.PARTNERSHIP, partnership=self.programme.world.partnership, version=2
        )
        run_report(report_id=again.pk)
        first.refresh_from_db()
        again.refresh_from_db()
        self.assertEqual(again.sha256, first.sha256)

    def test_the_snapshot_is_frozen_in_the_database(self):
        snapshot = close_period(period=self.programme.q4, closed_by=None, today=datetime.date(2025, 12, 20))
        with self.assertRaises(DatabaseError), transaction.atomic():
            PeriodSnapshot.objects.filter(pk=snapshot.pk).update(data={})

    def test_late_updates_count_in_the_next_quarter(self):
        close_period(period=self.programme.q4, closed_by=None, today=datetime.date(2025, 12, 20))
        late = submit_progress(
            commitment=self.programme.house,
            author=self.programme.world.officer,
            narrative="Báo cáo muộn",
            achieved_quantity=1,
            at=at(datetime.date(2025, 12, 10)),
        )
        self.assertEqual((late.period.year, late.period.number), (2026, 1))

    def test_a_period_closes_once_and_only_after_its_cut_off(self):
        with self.assertRaises(ValidationError):
            close_period(period=self.programme.q4, closed_by=None, today=datetime.date(2025, 12, 14))
        close_period(period=self.programme.q4, closed_by=None, today=datetime.date(2025, 12, 15))
        with self.assertRaises(ValidationError):
            close_period(period=self.programme.q4, closed_by=None, today=datetime.date(2025, 12, 16))

    def test_only_city_staff_close_periods(self):
        with self.assertRaises(PermissionDenied):
            close_period(
                period=self.programme.q4, closed_by=self.programme.world.leader, today=datetime.date(2026, 1, 5)
            )


class ScheduleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        for user, email in ((world.officer, "hoacuong@example.vn"), (world.outsider_officer, "sontra@example.vn")):
            user.email = email
            user.save(update_fields=["email"])
        factories.user(Role.UNIT_OFFICER, commune=world.outsider, email="sontra2@example.vn")

    def test_a_draft_city_report_after_each_cut_off_once(self):
        with mock.patch(PUBLISH):
            report = draft_city_report_after_cutoff(today=datetime.date(2025, 12, 16))
            self.assertEqual((report.kind, report.period, report.requested_by), ("city", self.programme.q4, None))
            self.assertIsNone(draft_city_report_after_cutoff(today=datetime.date(2025, 12, 17)))
        # The quarter that has just begun exists, so that progress can be filed against it.
        self.assertTrue(ReportingPeriod.objects.filter(kind="quarter", year=2026, number=1).exists())

    def test_reminders_go_only_to_units_that_owe_an_update_and_only_once(self):
        sent = send_report_reminders(today=datetime.date(2025, 12, 10))
        self.assertEqual(sent, 1)
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(sorted(mail.outbox[0].to), ["sontra2@example.vn", "sontra@example.vn"])
        self.assertIn("Khám bệnh, cấp thuốc miễn phí", mail.outbox[0].body)
        self.assertEqual(send_report_reminders(today=datetime.date(2025, 12, 11)), 0)
        self.assertEqual(Reminder.objects.count(), 1)

    def test_no_reminder_outside_the_days_before_the_cut_off(self):
        self.assertEqual(send_report_reminders(today=datetime.date(2025, 11, 1)), 0)
        self.assertEqual(mail.outbox, [])

    def test_a_unit_that_reported_gets_no_reminder(self):
        for commitment in (self.programme.clinic, self.programme.world.other_commitment):
            update = submit_progress(
                commitment=commitment,
                author=self.programme.world.outsider_officer,
                narrative="Đã thực hiện một phần",
                achieved_quantity=1,
                at=at(datetime.date(2025, 12, 1)),
            )
            self.assertEqual(update.state, ProgressUpdate.State.SUBMITTED)  # reported, even if not yet verified
        send_report_reminders(today=datetime.date(2025, 12, 10))
        recipients = {address for message in mail.outbox for address in message.to}
        self.assertNotIn("sontra@example.vn", recipients)
