from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from operations.backup import make_backup


class Command(BaseCommand):
    help = "Sao lưu cơ sở dữ liệu và tệp tải lên (kèm bảng kiểm số dòng và mã băm tệp)."

    def add_arguments(self, parser):
        default = Path(settings.BASE_DIR) / "var" / "backups" / timezone.now().strftime("%Y%m%d-%H%M%S")
        parser.add_argument("--output", default=str(default))

    def handle(self, *args, output, **options):
        backup = make_backup(Path(output))
        self.stdout.write(str(backup.folder))
