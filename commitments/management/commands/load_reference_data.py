import pghistory
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from commitments.reference_data import load_fields
from communes.reference_data import load_communes, load_constituents
from partnerships.reference_data import load_known_partnerships, load_legal_bases


class Command(BaseCommand):
    help = "Nạp dữ liệu tham chiếu: 94 đơn vị, bảng sắp xếp 2025, lĩnh vực, căn cứ pháp lý, 14 quan hệ kết nghĩa thật."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(settings.REFERENCE_DATA_DIR))

    def handle(self, *args, data_dir, **options):
        from pathlib import Path

        data_dir = Path(data_dir)
        steps = [
            ("đơn vị hành chính", lambda: load_communes(data_dir)),
            ("đơn vị cũ (sắp xếp 2025)", lambda: load_constituents(data_dir)),
            ("lĩnh vực", load_fields),
            ("căn cứ pháp lý", load_legal_bases),
            ("quan hệ kết nghĩa đã công bố", lambda: load_known_partnerships(data_dir)),
        ]
        with pghistory.context(command="load_reference_data"), transaction.atomic():
            for label, step in steps:
                result = step()
                if result.problems:
                    raise CommandError(f"{label}: " + "; ".join(result.problems))
                self.stdout.write(
                    f"{label}: {result.created} mới, {result.changed} cập nhật, {result.unchanged} không đổi"
                )
        self.stdout.write(self.style.SUCCESS("Đã nạp xong dữ liệu tham chiếu."))
