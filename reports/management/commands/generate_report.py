"""Generate a report from the command line and print where its PDF is.

    python manage.py generate_report --period 2025-Q3 --scope city [--sync] [--output PATH]
    python manage.py generate_report --period 2025-H1 --scope partnership:12
    python manage.py generate_report --period 2025 --scope unit:20257

Without ``--sync`` the report goes through the queue (a Celery worker renders it) and the command
waits for it; with ``--sync`` it is rendered in this process. The PDF stays in the portal's file
storage (a folder, or an S3 bucket shared by several hosts); ``--output`` copies it to a local file.
"""

import re
import shutil
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from communes.models import Commune
from partnerships.models import Partnership
from reports.models import Report
from reports.periods import ensure_period_from_label
from reports.services import request_report, run_report, run_workbook


class Command(BaseCommand):
    help = "Tạo báo cáo kết nghĩa (PDF) cho một kỳ và in ra đường dẫn tệp."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="2025-Q3, 2025-H1 hoặc 2025")
        parser.add_argument("--scope", default="city", help="city | partnership:<id> | unit:<mã đơn vị>")
        parser.add_argument("--sync", action="store_true", help="Tạo ngay trong tiến trình này, không qua hàng đợi.")
        parser.add_argument("--output", help="Sao chép tệp PDF tới đường dẫn này.")
        parser.add_argument("--tasks", default="", help="Nhiệm vụ trọng tâm kỳ tới (mỗi dòng một ý).")
        parser.add_argument("--timeout", type=int, default=300, help="Số giây chờ khi chạy qua hàng đợi.")

    def handle(self, *args, **options):
        try:
            period = ensure_period_from_label(options["period"])
        except (ValueError, ValidationError) as error:
            raise CommandError(str(error.messages[0] if hasattr(error, "messages") else error)) from error
        kind, partnership, commune = self.parse_scope(options["scope"])
        report = request_report(
            period=period,
            kind=kind,
            partnership=partnership,
            commune=commune,
            next_tasks=options["tasks"].replace("\\n", "\n"),
            requested_by=None,
            enqueue=not options["sync"],
        )
        if options["sync"]:
            run_report(report_id=report.pk)
            run_workbook(report_id=report.pk)  # here too; a queued duplicate then finds it made
        report = self.wait(report, options["timeout"])
        if report.status != Report.Status.DONE:
            raise CommandError(
                report.error_message or f"Báo cáo #{report.pk} chưa xong ({report.get_status_display()})."
            )
        self.stdout.write(self.copy_out(report, options["output"]) if options["output"] else self.location(report))

    def copy_out(self, report: Report, output: str) -> str:
        with report.pdf.open("rb") as source, open(output, "wb") as target:
            shutil.copyfileobj(source, target)
        return output

    def location(self, report: Report) -> str:
        """The file's path where the storage is a local folder, else its name in the storage (S3 has no path)."""
        try:
            return report.pdf.path
        except NotImplementedError:
            return f"{report.pdf.name} ({report.pdf.storage.__class__.__name__})"

    def parse_scope(self, scope: str):
        name, _sep, value = scope.partition(":")
        if name == "city" and not value:
            return Report.Kind.CITY, None, None
        if name == "partnership" and re.fullmatch(r"[0-9]{1,18}", value):
            partnership = Partnership.objects.filter(pk=int(value)).first()
            if partnership is None:
                raise CommandError(f"Không có quan hệ kết nghĩa #{value}.")
            return Report.Kind.PARTNERSHIP, partnership, None
        if name == "unit" and value:
            commune = Commune.objects.filter(code=value).first()
            if commune is None:
                raise CommandError(f"Không có đơn vị mã {value}.")
            return Report.Kind.UNIT, None, commune
        raise CommandError("Phạm vi phải là city, partnership:<id> hoặc unit:<mã đơn vị>.")

    def wait(self, report: Report, timeout: int) -> Report:
        deadline = time.monotonic() + timeout
        while True:
            report.refresh_from_db()
            if report.is_finished or time.monotonic() > deadline:
                return report
            time.sleep(0.5)
