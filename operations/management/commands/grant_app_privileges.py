from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operations.privileges import APPEND_ONLY, CONTEXT, READ_ONLY, READ_WRITE, PrivilegeError, grant_app_privileges


class Command(BaseCommand):
    help = (
        "Cấp cho vai trò PostgreSQL của ứng dụng đúng các quyền nó cần (đọc ghi bảng dữ liệu, chỉ đọc và thêm "
        "vào nhật ký thay đổi), sau khi thu hồi mọi quyền cũ. Chạy bằng vai trò sở hữu bảng (vai trò chạy migrate)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", nargs="?", default=None, help="mặc định: DATABASE_APP_ROLE")
        parser.add_argument("--database", default="default")

    def handle(self, *args, role, database, **options):
        role = role or settings.DATABASE_APP_ROLE
        if not role:
            raise CommandError("Cần tên vai trò (hoặc đặt DATABASE_APP_ROLE).")
        try:
            grants = grant_app_privileges(role=role, using=database)
        except PrivilegeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Vai trò {role}: {grants.count(READ_WRITE)} bảng đọc ghi, {grants.count(APPEND_ONLY)} bảng nhật ký "
            f"chỉ đọc và thêm, {grants.count(CONTEXT)} bảng ngữ cảnh nhật ký, {grants.count(READ_ONLY)} bảng chỉ đọc."
        )
