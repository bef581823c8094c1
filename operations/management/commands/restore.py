from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import Backup, RestoreRefused, restore_backup, verify_restore


class Command(BaseCommand):
    help = "Khôi phục cơ sở dữ liệu và tệp tải lên từ một bản sao lưu, rồi đối chiếu với bảng kiểm."

    def add_arguments(self, parser):
        parser.add_argument("folder")

    def handle(self, *args, folder, **options):
        backup = Backup(Path(folder))
        if not backup.manifest.exists():
            raise CommandError(f"Không tìm thấy bản sao lưu tại {folder}.")
        try:
            restore_backup(backup)
        except RestoreRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        problems = verify_restore(backup)
        if problems:
            raise CommandError("Khôi phục chưa đầy đủ: " + "; ".join(problems[:20]))
        self.stdout.write(self.style.SUCCESS("Đã khôi phục và đối chiếu xong."))
