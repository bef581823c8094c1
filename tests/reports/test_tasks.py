"""The Celery shims: thin, id in, service called, audit context set; the web process never loads WeasyPrint."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import TestCase

from reports.models import Report
from reports.tasks import render_report_task, requeue_stalled_reports_task
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


class TaskTests(TestCase):
    def test_the_render_task_runs_the_service_in_an_audit_context(self):
        world = factories.World.build()
        report = Report.objects.create(
            period=factories.period(2025, 4), kind=Report.Kind.PARTNERSHIP, partnership=world.partnership
        )
        render_report_task.apply(args=[report.pk]).get()
        report.refresh_from_db()
        self.assertEqual(report.status, Report.Status.DONE)
        event = report.events.order_by("pgh_id").last()
        self.assertEqual(event.pgh_context.metadata["task"], "reports.render_report")

    def test_the_requeue_task_returns_the_ids_it_sent_again(self):
        self.assertEqual(requeue_stalled_reports_task.apply().get(), [])


def test_the_web_process_never_imports_weasyprint():
    """Every view, URL, service and task module loads without WeasyPrint (RELIABILITY I7)."""
    code = (
        "import sys, django; django.setup();"
        "from django.urls import get_resolver; get_resolver().url_patterns;"
        "import reports.views, reports.services, reports.tasks, reports.figures, reports.charts, reports.forms;"
        "print('weasyprint' in sys.modules)"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
