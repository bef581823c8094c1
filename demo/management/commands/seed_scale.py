"""Fill a benchmark database of its own with the city or national scale of TARGETS.md.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ketnghia_city     python manage.py seed_scale --scale city
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ketnghia_national python manage.py seed_scale --scale national

The database is created when missing (through the server's "postgres" maintenance database) and
migrated. The command refuses a database that holds anything but scale data (real or demo
partnerships, users…) unless ``--force``, and one already seeded unless ``--reset`` (which empties
every table first). ``--units/--partnerships/--commitments/--updates/--quarters`` override the sizes.
"""

import datetime
import time

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from psycopg import sql

from demo import scale_data


def ensure_database(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Create the configured database if it does not exist yet; True when it was created."""
    connection = connections[alias]
    try:
        connection.ensure_connection()
        return False
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
    params = connection.get_connection_params()
    name = params.pop("dbname")
    params["dbname"] = "postgres"
    for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as maintenance:
        maintenance.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(sql.Identifier(name)))
    return True


class Command(BaseCommand):
    help = "Tạo dữ liệu mô phỏng quy mô thành phố hoặc toàn quốc vào một cơ sở dữ liệu riêng để đo hiệu năng."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(scale_data.SCALES), default="city")
        for name in ("units", "partnerships", "commitments", "updates", "quarters"):
            parser.add_argument(f"--{name}", type=int, help=f"Ghi đè kích thước: số {name}.")
        parser.add_argument(
            "--seed", type=int, default=2025, help="Hạt giống ngẫu nhiên (cùng hạt giống → cùng dữ liệu)."
        )
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="Ngày coi là hôm nay (YYYY-MM-DD).")
        parser.add_argument("--reset", action="store_true", help="Xóa toàn bộ dữ liệu rồi tạo lại.")
        parser.add_argument(
            "--force", action="store_true", help="Chạy cả khi cơ sở dữ liệu có dữ liệu không phải dữ liệu mô phỏng."
        )

    def handle(self, *args, scale, seed, today, reset, force, **options):
        size = scale_data.SCALES[scale]
        overrides = {
            name: options[name]
            for name in ("units", "partnerships", "commitments", "updates", "quarters")
            if options[name] is not None
        }
        if overrides:
            size = scale_data.Size(**{**size.__dict__, **overrides})
        database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        if ensure_database():
            self.stdout.write(f"Đã tạo cơ sở dữ liệu {database}.")
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"Cơ sở dữ liệu {database}: đã cập nhật cấu trúc ({time.perf_counter() - started:.1f} s).")
        self.stdout.write(
            f"Quy mô {scale}: {size.units} đơn vị, {size.partnerships} quan hệ kết nghĩa, "
            f"{size.commitments} cam kết, {size.updates} báo cáo tiến độ trong {size.quarters} quý."
        )
        started = time.perf_counter()
        try:
            # Deliberately no pghistory.context(): with a context, every audited row upserts the one
            # context row, and 60,000 updates of one row in one transaction take minutes.
            result = scale_data.seed(size, seed=seed, today=today, reset=reset, force=force, log=self.stdout.write)
        except scale_data.SeedRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        written = time.perf_counter() - started
        scale_data.analyze()
        self.stdout.write(f"Trạng thái cam kết: {result.commitment_status}")
        self.stdout.write(f"Trạng thái báo cáo tiến độ: {result.update_state}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Xong trong {written:.1f} s (cộng ANALYZE: {time.perf_counter() - started:.1f} s). "
                f"Mật khẩu mọi tài khoản {scale_data.USER_PREFIX}…: {scale_data.SCALE_PASSWORD}"
            )
        )
