"""The load modes' pass criteria (tests/load/criteria.py) judged on made-up measurements."""

import math
from unittest import TestCase

from tests.load import criteria

GUNICORN_LOG = """\
[2026-11-22 10:00:00 +0000] [100] [INFO] Booting worker with pid: 201
[2026-11-22 10:00:05 +0000] [202] [INFO] Autorestarting worker after current request.
[2026-11-22 10:00:05 +0000] [202] [INFO] Worker exiting (pid: 202)
[2026-11-22 10:00:05 +0000] [100] [INFO] Booting worker with pid: 205
"""


class PercentileTests(TestCase):
    def test_nearest_rank(self):
        self.assertEqual(criteria.percentile(list(range(1, 101)), 0.95), 95)
        self.assertEqual(criteria.percentile([10, 20], 0.95), 20)

    def test_no_values_has_no_percentile(self):
        self.assertIsNone(criteria.percentile([], 0.95))


class OverloadStatusesTests(TestCase):
    def test_pages_redirects_and_back_pressure_pass(self):
        self.assertIs(criteria.overload_statuses({"200": 900, "302": 80, "429": 3, "503": 2}).passed, True)

    def test_a_server_error_fails(self):
        result = criteria.overload_statuses({"200": 900, "500": 1})
        self.assertIs(result.passed, False)
        self.assertIn("not allowed: 500: 1", result.measured)

    def test_a_client_error_fails(self):
        self.assertIs(criteria.overload_statuses({"200": 900, "404": 1}).passed, False)

    def test_a_connection_error_fails(self):
        self.assertIs(criteria.overload_statuses({"200": 900, "no answer (ConnectionResetError)": 1}).passed, False)

    def test_no_requests_fail(self):
        self.assertIs(criteria.overload_statuses({}).passed, False)


class ServerErrorsTests(TestCase):
    def test_client_errors_are_not_server_errors(self):
        self.assertIs(criteria.server_errors({"200": 10, "302": 5, "404": 1}).passed, True)

    def test_5xx_or_no_answer_fails(self):
        self.assertIs(criteria.server_errors({"200": 10, "502": 1}).passed, False)
        self.assertIs(criteria.server_errors({"200": 10, "no answer (TimeoutError)": 1}).passed, False)


class WorkerCrashesTests(TestCase):
    def test_log_lines_are_read_by_kind(self):
        events = criteria.worker_events(
            GUNICORN_LOG
            + "[2026-11-22 10:00:09 +0000] [100] [CRITICAL] WORKER TIMEOUT (pid:203)\n"
            + "[2026-11-22 10:00:09 +0000] [100] [ERROR] Worker (pid:204) was sent SIGKILL! Perhaps out of memory?\n"
            + "[2026-11-22 10:00:09 +0000] [100] [INFO] Worker (pid:206) was sent SIGTERM!\n"
        )
        self.assertEqual(events.booted, [201, 205])
        self.assertEqual(events.recycled, [202])
        self.assertEqual(events.timed_out, [203])
        self.assertEqual(events.ended_badly, [204])

    def test_recycling_by_max_requests_is_no_crash(self):
        events = criteria.worker_events(GUNICORN_LOG)
        result = criteria.worker_crashes(events, before={201, 202, 203, 204}, after={201, 203, 204, 205})
        self.assertIs(result.passed, True)
        self.assertIn("1 recycled", result.measured)

    def test_a_worker_gone_without_recycling_is_a_crash(self):
        events = criteria.worker_events("[2026-11-22 10:00:00 +0000] [100] [INFO] Booting worker with pid: 209\n")
        result = criteria.worker_crashes(events, before={201, 202}, after={201, 209})
        self.assertIs(result.passed, False)

    def test_a_timeout_is_a_crash_even_if_the_pids_look_fine(self):
        events = criteria.worker_events("[2026-11-22 10:00:09 +0000] [100] [CRITICAL] WORKER TIMEOUT (pid:201)\n")
        self.assertIs(criteria.worker_crashes(events, before={201}, after={201}).passed, False)


class AuditedWritesTests(TestCase):
    def test_one_row_and_one_event_each_passes(self):
        result = criteria.audited_writes(["a", "b"], {"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 1, "c": 1})
        self.assertIs(result.passed, True)
        self.assertIn("1 stored without an answer", result.measured)

    def test_an_acknowledged_write_missing_is_lost(self):
        self.assertIs(criteria.audited_writes(["a", "b"], {"a": 1}, {"a": 1}).passed, False)

    def test_a_row_without_its_audit_event_fails(self):
        self.assertIs(criteria.audited_writes(["a"], {"a": 1}, {}).passed, False)

    def test_a_duplicated_event_fails(self):
        self.assertIs(criteria.audited_writes(["a"], {"a": 1}, {"a": 2}).passed, False)

    def test_a_duplicate_of_an_unacknowledged_write_fails(self):
        self.assertIs(criteria.audited_writes(["a"], {"a": 1, "b": 2}, {"a": 1, "b": 2}).passed, False)


class RecoveryTests(TestCase):
    def test_slow_first_window_then_fast_passes(self):
        samples = [(0.5, 2000.0), (1.0, 1500.0)] + [(t / 10, 40.0) for t in range(50, 150)]
        result = criteria.recovery(samples, budget_ms=300)
        self.assertIs(result.passed, True)
        self.assertIn("from 10 s on", result.measured)

    def test_still_slow_in_the_last_window_fails(self):
        samples = [(t / 10, 40.0) for t in range(0, 100)] + [(t / 10, 900.0) for t in range(100, 150)]
        self.assertIs(criteria.recovery(samples, budget_ms=300).passed, False)

    def test_failed_probes_in_the_last_window_fail(self):
        samples = [(t / 10, 40.0) for t in range(0, 140)] + [(14.1, math.inf)] * 10
        self.assertIs(criteria.recovery(samples, budget_ms=300).passed, False)

    def test_a_window_without_samples_is_not_recovered(self):
        self.assertIs(criteria.recovery([(1.0, 40.0)], budget_ms=300).passed, False)


class ReportBurstTests(TestCase):
    def report(self, **fields):
        return {"status": "done", "pdf": "reports/x.pdf", "file_exists": True, "checksum_matches": True, **fields}

    def test_thirty_requests_within_a_minute(self):
        self.assertIs(criteria.reports_requested(30, [100.0 + i * 2 for i in range(30)], 60, 0).passed, True)
        self.assertIs(criteria.reports_requested(30, [100.0 + i * 3 for i in range(30)], 60, 0).passed, False)
        self.assertIs(criteria.reports_requested(30, [100.0] * 29, 60, 1).passed, False)

    def test_all_done(self):
        self.assertIs(criteria.reports_done(30, {"done": 30}, 120.0, 600).passed, True)
        self.assertIs(criteria.reports_done(30, {"done": 29, "failed": 1}, None, 600).passed, False)

    def test_one_file_each(self):
        reports = [self.report(pdf=f"reports/{n}.pdf") for n in range(3)]
        self.assertIs(criteria.one_file_each(reports, 3).passed, True)
        self.assertIs(criteria.one_file_each(reports, 4).passed, False)  # a second rendering's file left over
        reports[0]["checksum_matches"] = False
        self.assertIs(criteria.one_file_each(reports, 3).passed, False)

    def test_two_reports_sharing_one_file_fail(self):
        self.assertIs(criteria.one_file_each([self.report(), self.report()], 1).passed, False)

    def test_quotas(self):
        self.assertIs(criteria.quotas_respected({"a": 3, "b": 3}, 30, 12, 100, 0).passed, True)
        self.assertIs(criteria.quotas_respected({"a": 31}, 30, 12, 100, 0).passed, False)
        self.assertIs(criteria.quotas_respected({"a": 3}, 30, 101, 100, 0).passed, False)

    def test_get_p95_counts_only_the_window(self):
        samples = [(50.0, 5000.0)] + [(100.0 + i, 80.0) for i in range(100)] + [(400.0, 5000.0)]
        result = criteria.get_p95_while_rendering(samples, 100.0, 199.0, 300)
        self.assertIs(result.passed, True)
        self.assertIn("80 ms over 100 GETs", result.measured)


class SoakTests(TestCase):
    def test_rss_growth_under_the_limit_passes(self):
        self.assertIs(criteria.rss_growth({1: 100, 2: 100}, {1: 105, 2: 109}, 0.10).passed, True)

    def test_rss_growth_over_the_limit_fails(self):
        self.assertIs(criteria.rss_growth({1: 100, 2: 100}, {1: 100, 2: 121}, 0.10).passed, False)

    def test_a_recycled_worker_counts_with_its_last_sample(self):
        # Worker 2 was replaced by 3; its last sample before it went still says how much it grew.
        self.assertIs(criteria.rss_growth({1: 100, 2: 100}, {1: 100, 2: 130, 3: 50}, 0.10).passed, False)

    def test_no_baseline_fails(self):
        self.assertIs(criteria.rss_growth({}, {}, 0.10).passed, False)

    def test_database_connections(self):
        self.assertIs(criteria.database_connections([3, 6, 8], 8, "").passed, True)
        self.assertIs(criteria.database_connections([3, 9], 8, "").passed, False)

    def test_a_queue_that_wobbles_does_not_grow(self):
        self.assertIs(criteria.queue_does_not_grow([0, 2, 1, 0, 1, 0, 2, 1]).passed, True)

    def test_a_queue_that_climbs_grows(self):
        self.assertIs(criteria.queue_does_not_grow([0, 1, 2, 3, 5, 8, 12, 20]).passed, False)


class SummaryTableTests(TestCase):
    def test_says_which_criteria_failed(self):
        table = criteria.summary_table(
            "K0", [criteria.Criterion("a", "1", "1", True), criteria.Criterion("b", "2", "0", False)]
        )
        self.assertIn("FAILED: 1 of 2 criteria (b)", table)
        self.assertIs(criteria.all_passed([criteria.Criterion("a", "1", "1", True)]), True)
        self.assertIs(criteria.all_passed([]), False)
