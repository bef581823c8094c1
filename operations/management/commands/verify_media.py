"""Recompute the SHA-256 of every stored file and compare it with the one taken at upload (nightly)."""

from django.core.management.base import BaseCommand, CommandError

from operations.media import verify_media


class Command(BaseCommand):
    help = "Kiểm tra toàn vẹn tệp đã lưu: tính lại SHA-256 của mọi tệp và so với giá trị ghi lúc tải lên."

    def handle(self, *args, **options):
        result = verify_media()
        for mismatch in result.mismatches:
            what = "không còn tệp" if mismatch.problem == "missing" else "nội dung đã thay đổi"
            self.stderr.write(f"{mismatch.label}: {mismatch.path}: {what}")
        self.stdout.write(
            f"Đã kiểm tra {result.checked} tệp; {len(result.mismatches)} tệp lỗi; "
            f"{result.without_checksum} tệp chưa có mã băm."
        )
        if result.mismatches:
            raise CommandError(f"{len(result.mismatches)} tệp không khớp mã băm SHA-256")
