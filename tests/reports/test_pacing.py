"""Report work waits for spare CPU (reports/pacing.py): the counters, the rule, and where the services wait."""

import tempfile
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase, TestCase, override_settings

from reports import pacing
from reports.models import Report
from reports.services import run_report, run_workbook
from tests.reports.programme import Programme

STAT = """cpu  100 5 50 800 20 0 5 0 0 0
cpu0 50 2 25 400 10 0 2 0 0 0
cpu1 50 3 25 400 10 0 3 0 0 0
intr 12345
ctxt 6789
"""


class Machine:
    """A fake /proc/stat on 2 CPUs and a fake clock: each sample the machine keeps ``busy`` CPUs working."""

    def __init__(self, busy_per_sample: list[float], cpus: int = 2):
        self.busy_per_sample = list(busy_per_sample)
        self.cpus = cpus
        self.idle = self.total = 0
        self.now = 0.0
        self.samples = 0

    def read(self):
        return pacing.CpuTimes(idle=self.idle, total=self.total, cpus=self.cpus)

    def sleep(self, seconds: float) -> None:
        busy = self.busy_per_sample[min(self.samples, len(self.busy_per_sample) - 1)]
        ticks = round(seconds * 100 * self.cpus)
        self.total += ticks
        self.idle += round(ticks * (self.cpus - busy) / self.cpus)
        self.now += seconds
        self.samples += 1

    def clock(self) -> float:
        return self.now

    def wait(self, **kwargs) -> float:
        return pacing.wait_for_spare_cpu(read=self.read, sleep=self.sleep, clock=self.clock, **kwargs)


class CountersTests(SimpleTestCase):
    def test_reads_idle_and_total_ticks_and_counts_the_cpus(self):
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "stat"
        path.write_text(STAT)
        times = pacing.read_cpu_times(str(path))
        self.assertEqual(times, pacing.CpuTimes(idle=820, total=980, cpus=2))

    def test_no_proc_stat_means_no_reading(self):
        self.assertIsNone(pacing.read_cpu_times("/nonexistent/stat"))

    def test_idle_cpus_between_two_readings(self):
        before = pacing.CpuTimes(idle=1000, total=2000, cpus=2)
        after = pacing.CpuTimes(idle=1030, total=2040, cpus=2)  # 30 of 40 ticks idle on 2 CPUs
        self.assertAlmostEqual(pacing.idle_cpus(before, after), 1.5)
        self.assertEqual(pacing.idle_cpus(after, after), 2.0)  # no tick in between: not busy


class WaitTests(SimpleTestCase):
    def test_a_quiet_machine_starts_after_one_sample(self):
        machine = Machine([0.2])
        waited = machine.wait(spare_cpus=0.75, max_wait=120)
        self.assertEqual(machine.samples, 1)
        self.assertAlmostEqual(waited, pacing.SAMPLE_SECONDS)

    def test_a_busy_machine_holds_the_work_until_cpu_is_spare(self):
        machine = Machine([2.0] * 10 + [0.5])  # the web keeps both CPUs busy for 10 samples
        waited = machine.wait(spare_cpus=0.75, max_wait=120)
        self.assertEqual(machine.samples, 11)
        self.assertAlmostEqual(waited, 11 * pacing.SAMPLE_SECONDS)

    def test_just_below_the_spare_share_still_waits(self):
        machine = Machine([1.3, 1.3, 1.0])  # 0.7 idle is not 0.75; 1.0 idle is
        machine.wait(spare_cpus=0.75, max_wait=120)
        self.assertEqual(machine.samples, 3)

    def test_never_waits_longer_than_the_limit(self):
        machine = Machine([2.0])  # busy for ever
        waited = machine.wait(spare_cpus=0.75, max_wait=5)
        self.assertGreaterEqual(waited, 5)
        self.assertLess(waited, 5 + pacing.SAMPLE_SECONDS * 1.5)

    def test_a_limit_of_zero_turns_the_wait_off(self):
        machine = Machine([2.0])
        self.assertEqual(machine.wait(spare_cpus=0.75, max_wait=0), 0.0)
        self.assertEqual(machine.samples, 0)

    def test_without_counters_nothing_waits(self):
        sleep = mock.Mock()
        self.assertEqual(pacing.wait_for_spare_cpu(spare_cpus=1, max_wait=60, read=lambda: None, sleep=sleep), 0.0)
        sleep.assert_not_called()

    @override_settings(REPORT_SPARE_CPUS=1.5, REPORT_SPARE_CPU_WAIT_SECONDS=30)
    def test_the_settings_are_the_defaults(self):
        machine = Machine([0.6, 0.4])  # 1.4 idle, then 1.6
        machine.wait()
        self.assertEqual(machine.samples, 2)
        busy = Machine([2.0])
        self.assertGreaterEqual(busy.wait(), 30)

    def test_the_test_settings_turn_it_off(self):
        machine = Machine([2.0])
        self.assertEqual(machine.wait(), 0.0)


class ServicesWaitTests(TestCase):
    """The report waits after it is claimed (its heartbeat keeps it), the workbook before it is built."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()

    def queued(self) -> Report:
        return Report.objects.create(
            period=self.programme.q4, kind=Report.Kind.PARTNERSHIP, partnership=self.programme.world.partnership
        )

    def test_a_report_waits_once_claimed_then_renders(self):
        report = self.queued()
        seen = []

        def wait(**kwargs):
            seen.append(Report.objects.get(pk=report.pk).status)
            return 0.0

        with mock.patch("reports.pacing.wait_for_spare_cpu", side_effect=wait) as waited:
            run_report(report_id=report.pk)
        waited.assert_called_once_with()
        self.assertEqual(seen, [Report.Status.RUNNING])
        self.assertEqual(Report.objects.get(pk=report.pk).status, Report.Status.DONE)

    @override_settings(REPORT_SPARE_CPU_WAIT_SECONDS=120, REPORT_WORKBOOK_TIMEOUT_SECONDS=120)
    def test_the_workbook_waits_at_most_half_its_resend_time(self):
        report = self.queued()
        with mock.patch("reports.pacing.wait_for_spare_cpu", return_value=0.0):
            run_report(report_id=report.pk)
        with mock.patch("reports.pacing.wait_for_spare_cpu", return_value=0.0) as waited:
            run_workbook(report_id=report.pk)
        waited.assert_called_once_with(max_wait=60)
        self.assertEqual(Report.objects.get(pk=report.pk).xlsx_status, Report.WorkbookStatus.DONE)
