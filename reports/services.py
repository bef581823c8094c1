"""Report workflows: request, render in a worker, finalise with a number, re-queue the lost, close periods.

The ``Report`` row is the source of truth. A worker *claims* it (``select_for_update`` plus a
PostgreSQL advisory lock held for the whole rendering, so a second delivery of the same message
does nothing while the first runs, and a worker that died releases it with its connection), renders,
stores the files and finishes only if its claim token is still current. WeasyPrint is imported
lazily, inside the rendering step: the web process never loads it (except in eager dev mode).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import socket
import threading
import uuid
from functools import partial

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Role
from accounts.permissions import can
from commitments.models import ReportingPeriod

from . import conf
from .figures import CityFigures, Scope, load_rows
from .models import NumberRegister, PeriodSnapshot, Reminder, Report, ReportNarrative, SignedCopy
from .periods import default_convention, ensure_period, ensure_period_from_label, lower_first, quarter_containing
from .quotas import check_report_quota
from .tasks import build_workbook_task, render_report_task

logger = logging.getLogger(__name__)

# Advisory-lock keys for reports: a fixed base plus the report id (one bigint key space); the
# workbook follow-up of a report has its own key, so it never waits for, nor blocks, a rendering.
LOCK_BASE = 0x5245_0000_0000_0000
WORKBOOK_LOCK_BASE = 0x5258_0000_0000_0000

TIMEOUT_MESSAGE = gettext_noop(
    "Báo cáo mất quá nhiều thời gian để tạo nên đã bị dừng. Vui lòng thu hẹp phạm vi hoặc liên hệ quản trị."
)
ATTEMPTS_MESSAGE = gettext_noop(
    "Không tạo được báo cáo sau %(attempts)s lần thử. Vui lòng tạo lại hoặc liên hệ quản trị."
)
GENERIC_MESSAGE = gettext_noop(
    "Không tạo được báo cáo do lỗi hệ thống. Vui lòng tạo lại; nếu vẫn lỗi, hãy liên hệ quản trị."
)
TOO_LARGE_MESSAGE = gettext_noop(
    "Báo cáo có %(rows)s dòng bảng biểu, vượt giới hạn %(limit)s dòng. Vui lòng chọn phạm vi hẹp hơn."
)


class ReportTooLarge(Exception):
    pass


class _LostClaim(Exception):
    """Another worker took the report over (this one was presumed dead): drop this rendering."""


# --- Requesting -----------------------------------------------------------------------------------


def _require_city_staff(user) -> None:
    """``None`` is the system itself (beat, commands); people must be city staff or administrators."""
    if user is not None and not can(user, "manage_reports"):
        raise PermissionDenied


def _enqueue(report: Report) -> None:
    """Publish the render message; with the broker down the row just waits for the re-queue job."""
    report.enqueue_failed = False
    try:
        render_report_task.apply_async(
            args=[report.pk],
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5},
        )
    except BrokerError:
        report.enqueue_failed = True
        logger.warning("Broker unavailable: report %s stays queued until the re-queue job sends it", report.pk)


@transaction.atomic
def request_report(
    *,
    period: ReportingPeriod | str,
    kind: str,
    requested_by,
    partnership=None,
    commune=None,
    next_tasks: str = "",
    signer_title: str | None = None,
    signer_name: str | None = None,
    enqueue: bool = True,
) -> Report:
    """Queue a new draft version of a report; it is rendered by a worker once this transaction commits.

    A second request while an identical draft is still waiting returns that draft instead.
    ``enqueue=False`` leaves the sending to the caller (``generate_report --sync`` renders in-process).
    """
    _require_city_staff(requested_by)
    check_report_quota(requested_by)  # RELIABILITY K6: counted under a lock held until commit
    if isinstance(period, str):
        period = ensure_period_from_label(period)  # "2025-Q3": created with its bounds if needed
    # Serialises requests for one period, so versions are numbered without gaps or clashes.
    ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    same = Report.objects.filter(period=period, kind=kind, partnership=partnership, commune=commune)
    pending = same.unfinished().filter(finalised_at__isnull=True, next_tasks=next_tasks).first()
    if pending is not None:
        pending.enqueue_failed = False
        return pending
    layout = conf.layout()
    report = Report(
        period=period,
        kind=kind,
        partnership=partnership,
        commune=commune,
        version=(same.aggregate(latest=Max("version"))["latest"] or 0) + 1,
        next_tasks=next_tasks,
        signer_title=layout.signer_title if signer_title is None else signer_title,
        signer_name=layout.signer_name if signer_name is None else signer_name,
        requested_by=requested_by,
    )
    report.full_clean(exclude=["pdf", "xlsx"])
    report.save()
    report.enqueue_failed = False
    if enqueue:
        transaction.on_commit(partial(_enqueue, report))
    return report


def regenerate_report(*, report: Report, requested_by) -> Report:
    """A new draft version with the same parameters (and the current figures).

    Text that a person wrote for the previous version comes along (nothing typed is lost); the
    portal's own draft does not, so the new version's draft is written from the new figures.
    """
    new = request_report(
        period=report.period,
        kind=report.kind,
        partnership=report.partnership,
        commune=report.commune,
        next_tasks=report.next_tasks,
        signer_title=report.signer_title,
        signer_name=report.signer_name,
        requested_by=requested_by,
    )
    edited = report.narratives.filter(saved_by__isnull=False).first()
    if edited is not None and new.pk != report.pk and not new.narratives.exists():
        ReportNarrative.objects.create(report=new, sections=edited.sections, saved_by=edited.saved_by)
    return new


@transaction.atomic
def finalise_report(*, report: Report, finalised_by, next_tasks: str, signer_title: str, signer_name: str) -> Report:
    """Give a finished draft its number from the register and queue the final rendering.

    The final document is rendered from the figures the draft showed, so what was approved is
    what is signed. Once that rendering is done the row can no longer change (a database trigger).
    """
    _require_city_staff(finalised_by)
    report = Report.objects.select_for_update().defer("data").get(pk=report.pk)
    if report.is_final:
        raise ValidationError(_("Báo cáo này đã được ban hành."), code="already_final")
    if report.status != Report.Status.DONE:
        raise ValidationError(_("Chỉ ban hành được báo cáo đã tạo xong."), code="not_done")
    if not next_tasks.strip():
        raise ValidationError(
            {"next_tasks": _("Vui lòng nhập nhiệm vụ trọng tâm kỳ tới trước khi ban hành.")}, code="required"
        )
    term = conf.get("REPORT_COMMITTEE_TERM")
    NumberRegister.objects.get_or_create(document_type=report.document_type, term=term)
    register = NumberRegister.objects.select_for_update().get(document_type=report.document_type, term=term)
    register.last_number += 1
    register.save(update_fields=["last_number"])
    now = timezone.now()
    report.number = register.last_number
    report.term = term
    report.finalised_at = now
    report.finalised_by = finalised_by
    report.next_tasks = next_tasks.strip()
    latest = report.narratives.first()
    if latest is not None and latest.sections.get("next_tasks", "") != report.next_tasks:
        # The tasks typed when finalising are part of the text that is frozen.
        ReportNarrative.objects.create(
            report=report, sections=latest.sections | {"next_tasks": report.next_tasks}, saved_by=finalised_by
        )
    report.signer_title = signer_title.strip()
    report.signer_name = signer_name.strip()
    report.status = Report.Status.QUEUED
    report.progress = 0
    report.attempts = 0
    report.claim_token = None
    report.queued_at = now
    report.error_message = ""
    report.save()
    transaction.on_commit(partial(_enqueue, report))
    return report


# --- Rendering (workers) ---------------------------------------------------------------------------


def _lock_key(report_id: int) -> int:
    return LOCK_BASE + report_id


def _try_lock(report_id: int, base: int = LOCK_BASE) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [base + report_id])
        return cursor.fetchone()[0]


def _unlock(report_id: int, base: int = LOCK_BASE) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [base + report_id])
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("Could not release the advisory lock of report %s", report_id)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(report_id: int) -> Report | None:
    """Take the report for this worker, or None when it is done, failed, or being rendered elsewhere."""
    with transaction.atomic():
        report = Report.objects.select_for_update(skip_locked=True).defer("data").filter(pk=report_id).first()
        if report is None or report.status not in (Report.Status.QUEUED, Report.Status.RUNNING):
            return None
        # Held by a live worker's session until it finishes; a dead worker's lock went with its connection.
        if not _try_lock(report.pk):
            return None
        try:
            max_attempts = conf.get("REPORT_MAX_ATTEMPTS")
            if report.attempts >= max_attempts:
                _mark_failed(report, _(ATTEMPTS_MESSAGE) % {"attempts": report.attempts})
                _unlock(report.pk)
                return None
            now = timezone.now()
            report.status = Report.Status.RUNNING
            report.attempts += 1
            report.claim_token = uuid.uuid4()
            report.worker = _worker_name()
            report.started_at = now
            report.heartbeat_at = now
            report.finished_at = None
            report.progress = 5
            report.error_message = ""
            report.save(
                update_fields=[
                    "status",
                    "attempts",
                    "claim_token",
                    "worker",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                    "progress",
                    "error_message",
                ]
            )
        except BaseException:
            _unlock(report.pk)
            raise
    return report


def _mark_failed(report: Report, message: str) -> None:
    report.status = Report.Status.FAILED
    report.error_message = message
    report.finished_at = timezone.now()
    report.claim_token = None
    report.save(update_fields=["status", "error_message", "finished_at", "claim_token"])


def _update_claimed(report: Report, **fields) -> None:
    """Write progress for the current claim only; losing the claim stops this rendering."""
    updated = Report.objects.filter(pk=report.pk, claim_token=report.claim_token, status=Report.Status.RUNNING).update(
        heartbeat_at=timezone.now(), **fields
    )
    if not updated:
        raise _LostClaim


class _Heartbeat:
    """A background thread that stamps ``heartbeat_at`` while a report renders (its own DB connection)."""

    def __init__(self, report: Report):
        self.report_id, self.token = report.pk, report.claim_token
        self.interval = conf.get("REPORT_HEARTBEAT_SECONDS")
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"report-{report.pk}-heartbeat", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                Report.objects.filter(pk=self.report_id, claim_token=self.token, status=Report.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except DatabaseError:
            logger.warning("Heartbeat of report %s failed", self.report_id, exc_info=True)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join(timeout=5)


def report_rows(period: ReportingPeriod) -> dict:
    """The frozen rows of a closed period, or the live rows of an open one."""
    snapshot = PeriodSnapshot.objects.filter(period=period).first()
    if snapshot is not None:
        return snapshot.data
    return load_rows(period=period)


def report_scope(report: Report) -> Scope:
    if report.kind == Report.Kind.PARTNERSHIP:
        return Scope(partnership_id=report.partnership_id)
    if report.kind == Report.Kind.UNIT:
        return Scope(commune_code=report.commune_id)
    return Scope()


def run_report(*, report_id: int) -> Report | None:
    """Claim, render and store one report; a no-op for a report that is finished or rendering elsewhere."""
    report = _claim(report_id)
    if report is None:
        return None
    try:
        with _Heartbeat(report):
            return _render_and_store(report)
    except _LostClaim:
        logger.warning("Report %s was taken over by another worker; this rendering is dropped", report.pk)
        return None
    except ReportTooLarge as error:
        _mark_failed(report, str(error))
    except SoftTimeLimitExceeded:
        _mark_failed(report, _(TIMEOUT_MESSAGE))
    except DatabaseError:
        raise  # the task retries; the row stays running and is taken over once this session is gone
    except Exception:
        logger.exception("Report %s failed to render", report.pk)
        _mark_failed(report, _(GENERIC_MESSAGE))
    finally:
        _unlock(report.pk)
    return report


def _render_and_store(report: Report) -> Report:
    """Figures → HTML → PDF, stored and the report done; the Excel workbook follows (its own task)."""
    from . import documents, pdf  # WeasyPrint loads here, in the worker only

    report = Report.objects.with_related().get(pk=report.pk)  # its stored rows too, when finalising
    processes = conf.get("REPORT_RENDER_PROCESSES")
    # The document is rendered in parts by this process's renderer processes (kept warm between
    # reports); asked for first, so that new ones load WeasyPrint while the rows are read.
    pool = pdf.shared_pool(processes) if processes > 1 else None
    rows = report.data
    fresh_rows = rows is None
    if fresh_rows:
        rows = report_rows(report.period)
    figures = CityFigures.build(rows, report_scope(report))
    with translation.override("vi"):
        sections = report_sections(report, figures)
        document = documents.build_document(report, figures, split=pool is not None, sections=sections)
    limit = conf.get("REPORT_MAX_TABLE_ROWS")
    if document.printed_rows > limit:
        raise ReportTooLarge(_(TOO_LARGE_MESSAGE) % {"rows": document.printed_rows, "limit": limit})
    # The rows are stored with the progress, not on their own: one write fewer before the PDF.
    _update_claimed(report, progress=40, **({"data": rows} if fresh_rows else {}))
    rendered = pdf.render_parts(document.parts, processes=processes, margins_mm=conf.layout().margins_mm, pool=pool)
    return _finish(report, rendered.content, rendered.page_count)


@transaction.atomic
def _finish(report: Report, content: bytes, page_count: int) -> Report:
    # Not the stored rows (tens of megabytes at national scale): saving writes only the loaded fields.
    current = Report.objects.select_for_update().defer("data").get(pk=report.pk)
    if current.claim_token != report.claim_token or current.status != Report.Status.RUNNING:
        raise _LostClaim
    old_files = [f.name for f in (current.pdf, current.xlsx) if f]
    current.pdf.save(f"{report.pk}.pdf", ContentFile(content), save=False)
    current.sha256 = hashlib.sha256(content).hexdigest()
    current.size_bytes = len(content)
    current.page_count = page_count
    current.status = Report.Status.DONE
    current.progress = 100
    current.finished_at = timezone.now()
    current.claim_token = None
    # The workbook of the previous rendering (a draft's, before finalising) does not describe this one.
    current.xlsx = ""
    current.xlsx_sha256 = ""
    current.xlsx_status = Report.WorkbookStatus.PENDING
    current.xlsx_attempts = 0
    current.save()
    storage = current.pdf.storage
    for name in old_files:
        transaction.on_commit(partial(storage.delete, name))
    transaction.on_commit(partial(_enqueue_workbook, current.pk))
    return current


# --- The report's text (narrative sections) ----------------------------------------------------------


def drafted_sections(report: Report, figures: CityFigures) -> dict[str, str]:
    """The portal's draft of the report's text, from its figures (and the tasks typed when requested)."""
    from .documents import default_sections

    return default_sections(report, figures)


def report_sections(report: Report, figures: CityFigures) -> dict[str, str]:
    """The text the report prints: its newest saved version, else the portal's draft, kept as the first
    version (who: the portal, when: now). Sections a saved version lacks (a field that appeared in
    the figures since) come from the draft."""
    drafted = drafted_sections(report, figures)
    latest = report.narratives.first()
    if latest is None:
        if not report.is_final:
            ReportNarrative.objects.create(report=report, sections=drafted)
        return drafted
    return drafted | latest.sections


NARRATIVE_FINAL_MESSAGE = gettext_noop("Báo cáo đã ban hành: nội dung đã được khóa, không thể sửa.")


@transaction.atomic
def save_narrative(*, report: Report, sections: dict[str, str], saved_by) -> ReportNarrative:
    """Keep a new version of a draft's text and render the draft again with it (same figures)."""
    from .narrative import NEXT_TASKS

    _require_city_staff(saved_by)
    report = Report.objects.select_for_update().defer("data").get(pk=report.pk)
    if report.is_final:
        raise ValidationError(_(NARRATIVE_FINAL_MESSAGE), code="final")
    if report.status != Report.Status.DONE:
        raise ValidationError(_("Báo cáo đang được tạo; vui lòng sửa nội dung khi đã tạo xong."), code="not_done")
    narrative = ReportNarrative.objects.create(report=report, sections=sections, saved_by=saved_by)
    now = timezone.now()
    report.next_tasks = sections.get(NEXT_TASKS, report.next_tasks)
    report.status = Report.Status.QUEUED
    report.progress = 0
    report.attempts = 0
    report.claim_token = None
    report.queued_at = now
    report.error_message = ""
    report.save(
        update_fields=["next_tasks", "status", "progress", "attempts", "claim_token", "queued_at", "error_message"]
    )
    transaction.on_commit(partial(_enqueue, report))
    return narrative


@transaction.atomic
def store_signed_copy(*, report: Report, upload, uploaded_by) -> SignedCopy:
    """Keep the signed and stamped scan of a finalised report, with its number and SHA-256."""
    _require_city_staff(uploaded_by)
    report = Report.objects.select_for_update().defer("data").get(pk=report.pk)
    if not report.is_final:
        raise ValidationError(_("Chỉ tải lên bản đã ký của báo cáo đã ban hành."), code="not_final")
    content = upload.content
    data = content.read()
    content.seek(0)
    copy = SignedCopy(
        report=report,
        number_label=report.number_label,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        uploaded_by=uploaded_by,
    )
    copy.file.save(f"{report.pk}.pdf", content, save=False)
    copy.save()
    return copy


# --- The Excel workbook (a follow-up of the PDF) ----------------------------------------------------


def _enqueue_workbook(report_id: int) -> None:
    """Publish the workbook message; with the broker down the re-queue job sends it later."""
    try:
        build_workbook_task.apply_async(
            args=[report_id],
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5},
        )
    except BrokerError:
        logger.warning("Broker unavailable: the workbook of report %s waits for the re-queue job", report_id)


def run_workbook(*, report_id: int) -> Report | None:
    """Build and store a finished report's Excel workbook from the figures its PDF was rendered from.

    A no-op when the workbook is already made (a second delivery) or being made by another worker.
    """
    if not _try_lock(report_id, WORKBOOK_LOCK_BASE):
        return None
    try:
        with transaction.atomic():
            report = Report.objects.select_for_update(of=("self",)).with_related().filter(pk=report_id).first()
            if report is None or report.status != Report.Status.DONE:
                return None
            if report.xlsx_status != Report.WorkbookStatus.PENDING:
                return None
            if report.xlsx_attempts >= conf.get("REPORT_MAX_ATTEMPTS"):
                report.xlsx_status = Report.WorkbookStatus.FAILED
                report.save(update_fields=["xlsx_status"])
                return report
            report.xlsx_attempts += 1
            report.save(update_fields=["xlsx_attempts"])
        sha256 = report.sha256
        try:
            workbook = _build_workbook(report)
        except (DatabaseError, SoftTimeLimitExceeded):
            raise
        except Exception:
            logger.exception("The workbook of report %s failed", report.pk)
            workbook = None
        return _store_workbook(report.pk, sha256, workbook)
    finally:
        _unlock(report_id, WORKBOOK_LOCK_BASE)


def _build_workbook(report: Report) -> bytes:
    from . import spreadsheet

    figures = CityFigures.build(report.data, report_scope(report))
    with translation.override("vi"):
        return spreadsheet.build_workbook(report, figures)


@transaction.atomic
def _store_workbook(report_id: int, sha256: str, workbook: bytes | None) -> Report | None:
    current = Report.objects.select_for_update().defer("data").get(pk=report_id)
    # Rendered again meanwhile (finalised): this workbook describes the previous PDF; the new one follows.
    if current.sha256 != sha256 or current.xlsx_status != Report.WorkbookStatus.PENDING:
        return None
    if workbook is None:
        current.xlsx_status = Report.WorkbookStatus.FAILED
        current.save(update_fields=["xlsx_status"])
        return current
    current.xlsx.save(f"{report_id}.xlsx", ContentFile(workbook), save=False)
    current.xlsx_sha256 = hashlib.sha256(workbook).hexdigest()
    current.xlsx_status = Report.WorkbookStatus.DONE
    current.save(update_fields=["xlsx", "xlsx_sha256", "xlsx_status"])
    return current


# --- Re-queueing lost work --------------------------------------------------------------------------


def requeue_stalled_reports(*, now: datetime.datetime | None = None) -> list[int]:
    """Re-send reports whose message was lost, and take back those whose worker died (≤ N attempts)."""
    now = now or timezone.now()
    queued_before = now - datetime.timedelta(seconds=conf.get("REPORT_QUEUED_TIMEOUT_SECONDS"))
    beat_before = now - datetime.timedelta(seconds=conf.get("REPORT_HEARTBEAT_TIMEOUT_SECONDS"))
    requeued = []
    with transaction.atomic():
        stalled = (
            Report.objects.select_for_update(skip_locked=True)
            .defer("data")
            .filter(
                Q(status=Report.Status.QUEUED, queued_at__lt=queued_before)
                | Q(status=Report.Status.RUNNING, heartbeat_at__lt=beat_before)
            )
        )
        for report in stalled.order_by("queued_at"):
            if report.status == Report.Status.RUNNING:
                if not _try_lock(report.pk):
                    continue  # its worker is alive (a long rendering); the time limit bounds it
                _unlock(report.pk)
                if report.attempts >= conf.get("REPORT_MAX_ATTEMPTS"):
                    _mark_failed(report, _(ATTEMPTS_MESSAGE) % {"attempts": report.attempts})
                    continue
            report.status = Report.Status.QUEUED
            report.queued_at = now
            report.claim_token = None
            report.save(update_fields=["status", "queued_at", "claim_token"])
            transaction.on_commit(partial(_enqueue, report))
            requeued.append(report.pk)
        # Workbooks whose message was lost or whose worker died; a live worker holds the lock.
        workbook_before = now - datetime.timedelta(seconds=conf.get("REPORT_WORKBOOK_TIMEOUT_SECONDS"))
        waiting = Report.objects.filter(
            status=Report.Status.DONE, xlsx_status=Report.WorkbookStatus.PENDING, finished_at__lt=workbook_before
        ).values_list("pk", flat=True)
        for report_id in waiting:
            if _try_lock(report_id, WORKBOOK_LOCK_BASE):
                _unlock(report_id, WORKBOOK_LOCK_BASE)
                transaction.on_commit(partial(_enqueue_workbook, report_id))
                requeued.append(report_id)
    return requeued


# --- Periods ---------------------------------------------------------------------------------------


def _snapshot_hash(rows: dict) -> str:
    canonical = json.dumps(rows, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def close_period(*, period: ReportingPeriod, closed_by, today: datetime.date | None = None) -> PeriodSnapshot:
    """Freeze a finished period's figures; later reports of it read the snapshot, and later updates
    go to the next quarter (``commitments.services.period_for``), which is created here if needed."""
    _require_city_staff(closed_by)
    today = today or timezone.localdate()
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise ValidationError(_("Kỳ báo cáo này đã được chốt số liệu."), code="closed")
    if period.ends_on >= today:
        raise ValidationError(
            _("Chưa hết kỳ: chỉ chốt số liệu từ ngày %(day)s.")
            % {"day": (period.ends_on + datetime.timedelta(days=1)).strftime("%d/%m/%Y")},
            code="not_ended",
        )
    rows = load_rows(period=period)
    snapshot = PeriodSnapshot.objects.create(period=period, data=rows, sha256=_snapshot_hash(rows), taken_by=closed_by)
    period.closed_at = snapshot.taken_at
    period.closed_by = closed_by
    period.save(update_fields=["closed_at", "closed_by"])
    year, quarter = quarter_containing(period.ends_on + datetime.timedelta(days=1), period.convention)
    ensure_period(kind=ReportingPeriod.Kind.QUARTER, year=year, number=quarter, convention=period.convention)
    return snapshot


# --- Schedule (Celery beat) --------------------------------------------------------------------------


def draft_city_report_after_cutoff(*, today: datetime.date | None = None) -> Report | None:
    """After a quarter's cut-off, queue its draft city report once; also open the current quarter."""
    today = today or timezone.localdate()
    convention = default_convention()
    year, quarter = quarter_containing(today, convention)
    ensure_period(kind=ReportingPeriod.Kind.QUARTER, year=year, number=quarter, convention=convention)
    previous = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    period = ensure_period(
        kind=ReportingPeriod.Kind.QUARTER, year=previous[0], number=previous[1], convention=convention
    )
    if Report.objects.filter(period=period, kind=Report.Kind.CITY).exists():
        return None
    return request_report(period=period, kind=Report.Kind.CITY, requested_by=None)


def send_report_reminders(*, today: datetime.date | None = None) -> int:
    """In the days before the cut-off, e-mail (once per period) the officers of each unit that still
    owes an update on a commitment; units that have reported get nothing. Returns e-mails sent."""
    from django.contrib.auth import get_user_model

    today = today or timezone.localdate()
    convention = default_convention()
    year, quarter = quarter_containing(today, convention)
    period = ensure_period(kind=ReportingPeriod.Kind.QUARTER, year=year, number=quarter, convention=convention)
    days_left = (period.ends_on - today).days
    if period.is_closed or not 0 <= days_left <= conf.get("REPORT_REMINDER_DAYS_BEFORE_CUTOFF"):
        return 0
    figures = CityFigures.build(load_rows(period=period, as_of=today))
    already = set(Reminder.objects.filter(period=period).values_list("commune_id", flat=True))
    officers = get_user_model().objects.filter(role=Role.UNIT_OFFICER, is_active=True).exclude(email="")
    emails: dict[str, list[str]] = {}
    for code, email in officers.values_list("commune_id", "email"):
        emails.setdefault(code, []).append(email)
    sent = 0
    for unit in figures.not_reported:
        if unit.code in already:
            continue
        recipients = sorted(emails.get(unit.code, []))
        if recipients:
            send_mail(
                _("Nhắc cập nhật tiến độ kết nghĩa %(period)s") % {"period": lower_first(period.label)},
                _reminder_body(unit, period),
                None,
                recipients,
            )
            sent += 1
        Reminder.objects.create(period=period, commune_id=unit.code, recipients=len(recipients))
    return sent


def _reminder_body(unit, period: ReportingPeriod) -> str:
    lines = [
        _("Kính gửi cán bộ %(unit)s,") % {"unit": unit.name},
        "",
        _(
            "Số liệu %(period)s được chốt vào ngày %(day)s. Các cam kết sau của đơn vị chưa có cập nhật tiến độ trong kỳ:"
        )
        % {"period": lower_first(period.label), "day": period.ends_on.strftime("%d/%m/%Y")},
        "",
        *[f"- {title}" for title in unit.titles],
        "",
        _("Vui lòng cập nhật tại mục “Đơn vị của tôi” trên Cổng thông tin kết nghĩa trước ngày chốt số liệu."),
        "",
        _("Văn phòng Thành ủy Đà Nẵng"),
    ]
    return "\n".join(lines)
