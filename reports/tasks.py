"""Celery entry points: each takes ids only and calls a service; the work happens in reports.services."""

import pghistory
from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def render_report_task(report_id: int) -> None:
    """Render one report; a duplicate delivery finds it claimed or done and does nothing."""
    from reports.services import run_report  # services import this module: break the cycle here

    with pghistory.context(task="reports.render_report", report=report_id):
        run_report(report_id=report_id)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def build_workbook_task(report_id: int) -> None:
    """After the PDF: the report's Excel workbook; a duplicate delivery finds it made and does nothing."""
    from reports.services import run_workbook

    with pghistory.context(task="reports.build_workbook", report=report_id):
        run_workbook(report_id=report_id)


@shared_task
def requeue_stalled_reports_task() -> list[int]:
    """Beat, every minute: re-send lost messages, take back reports whose worker died."""
    from reports.services import requeue_stalled_reports

    with pghistory.context(task="reports.requeue_stalled_reports"):
        return requeue_stalled_reports()


@shared_task
def draft_city_report_task() -> int | None:
    """Beat, daily: the draft city report of the quarter that has just been cut off."""
    from reports.services import draft_city_report_after_cutoff

    with pghistory.context(task="reports.draft_city_report"):
        report = draft_city_report_after_cutoff()
    return report.pk if report else None


@shared_task
def send_report_reminders_task() -> int:
    """Beat, daily: before the cut-off, remind the units that still owe a progress update."""
    from reports.services import send_report_reminders

    with pghistory.context(task="reports.send_report_reminders"):
        return send_report_reminders()
