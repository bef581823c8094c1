import pghistory
from django.core.management.base import BaseCommand

from accounts.mfa import DEMO_TOTP_SECRET
from demo.demo_data import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Thêm dữ liệu minh họa (đánh dấu rõ là minh họa) và tài khoản dùng thử."

    def handle(self, *args, **options):
        with pghistory.context(command="seed_demo"):
            result = seed_demo()
        self.stdout.write(
            f"Quan hệ kết nghĩa minh họa: {result.partnerships}; cam kết: {result.commitments}; "
            f"báo cáo tiến độ mới: {result.updates}; hoạt động mới: {result.activities}."
        )
        self.stdout.write(self.style.SUCCESS("Tài khoản dùng thử (chỉ để minh họa), mật khẩu: " + DEMO_PASSWORD))
        self.stdout.write("  admin   – quản trị viên")
        self.stdout.write("  city    – cán bộ Thành ủy")
        self.stdout.write("  leader  – lãnh đạo (chỉ xem)")
        self.stdout.write("  officer-<mã đơn vị> – cán bộ đơn vị, ví dụ officer-20401 (Hội An Tây)")
        self.stdout.write(
            "admin và city cần thêm mã xác thực hai bước: thêm khóa bí mật minh họa "
            f"{DEMO_TOTP_SECRET} vào một ứng dụng xác thực (TOTP, 30 giây, 6 chữ số)."
        )
        if result.users_created:
            self.stdout.write(f"  ({len(result.users_created)} tài khoản vừa được tạo)")
