"""The application's database role: what it may do, and granting exactly that (RELIABILITY A7).

Migrations run as the role that owns the tables; web, worker and beat sign in as a second role that
owns nothing and is not a superuser. Only an owner or a superuser may ``ALTER TABLE … DISABLE TRIGGER``
or ``SET session_replication_role = replica``, the two ways to switch the audit triggers off, so the
application role can do neither. It reads and writes the portal's tables, and may only read and add to
the audit trail: pghistory's append-only trigger can be skipped through ``pgtrigger.ignore``, a missing
UPDATE or DELETE privilege cannot.

``grant_app_privileges`` runs after every ``migrate`` when ``DATABASE_APP_ROLE`` is set
(``operations.apps``), and as ``manage.py grant_app_privileges <role>``.
"""

from dataclasses import dataclass
from functools import cache

import pghistory.models
from django.apps import apps
from django.db import connections, transaction
from psycopg import sql

READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
APPEND_ONLY = ("SELECT", "INSERT")
# pghistory upserts one context row per request, task or command (INSERT … ON CONFLICT DO UPDATE);
# a trigger keeps what a context has recorded (core/migrations/0002_audit_context_is_kept.py).
CONTEXT = ("SELECT", "INSERT", "UPDATE")
READ_ONLY = ("SELECT",)
# Which migrations are applied is written by ``migrate``, that is by the owner.
READ_ONLY_TABLES = frozenset({"django_migrations"})


class PrivilegeError(Exception):
    """The role cannot be made the application's role (it would keep more than the grants)."""


@dataclass(frozen=True)
class Grants:
    role: str
    tables: dict[str, tuple[str, ...]]

    def count(self, privileges: tuple[str, ...]) -> int:
        return sum(granted == privileges for granted in self.tables.values())


@cache  # the models do not change once the app registry is ready; privileges_for() asks once per table
def event_tables() -> frozenset[str]:
    """The pghistory event tables, found from the models (every ``pghistory.models.Event`` subclass)."""
    return frozenset(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and model._meta.managed and not model._meta.proxy
    )


def context_table() -> str:
    return pghistory.models.Context._meta.db_table


def privileges_for(table: str) -> tuple[str, ...]:
    """What the application role needs on ``table`` (any table of the public schema, raw SQL ones included)."""
    if table in event_tables():
        return APPEND_ONLY
    if table == context_table():
        return CONTEXT
    if table in READ_ONLY_TABLES:
        return READ_ONLY
    return READ_WRITE


def public_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [row[0] for row in cursor.fetchall()]


def check_role(cursor, role: str) -> None:
    """Refuse a role that would hold more than its grants: a superuser, a role that can create roles
    (it could make itself a member of the owner), a member of the migrating role, or a table owner."""
    cursor.execute(
        "SELECT rolsuper, rolcreaterole, pg_has_role(%s, current_user, 'MEMBER'), "
        "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s) "
        "FROM pg_roles WHERE rolname = %s",
        [role, role, role],
    )
    found = cursor.fetchone()
    if found is None:
        raise PrivilegeError(f"Không có vai trò PostgreSQL {role!r}.")
    superuser, creates_roles, member_of_migrating_role, owned_tables = found
    if superuser or creates_roles:
        raise PrivilegeError(f"Vai trò {role!r} là superuser hoặc có CREATEROLE: không dùng làm vai trò của ứng dụng.")
    if member_of_migrating_role:
        raise PrivilegeError(f"Vai trò {role!r} là (thành viên của) vai trò chạy migrate: cần một vai trò riêng.")
    if owned_tables:
        raise PrivilegeError(f"Vai trò {role!r} sở hữu {owned_tables} bảng: bảng phải thuộc vai trò chạy migrate.")


def grant_app_privileges(*, role: str, using: str = "default") -> Grants:
    """Give ``role`` exactly the privileges of ``privileges_for`` on every table, after revoking what it
    had; idempotent. Run by the owner of the tables (the role that migrates)."""
    connection = connections[using]
    quoted_role = sql.Identifier(role)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        check_role(cursor, role)

        def run(statement: sql.Composable) -> None:
            cursor.execute(statement.as_string(cursor.connection))

        # Whatever was granted before, to this role or to everyone (PUBLIC), goes first.
        for grantee in (quoted_role, sql.SQL("PUBLIC")):
            run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(grantee))
            run(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(grantee))
        run(sql.SQL("REVOKE ALL ON SCHEMA public FROM {}").format(quoted_role))
        run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(quoted_role))
        tables = {table: privileges_for(table) for table in public_tables(cursor)}
        for table, privileges in tables.items():
            run(
                sql.SQL("GRANT {} ON TABLE {} TO {}").format(
                    sql.SQL(", ").join(map(sql.SQL, privileges)), sql.Identifier("public", table), quoted_role
                )
            )
        # nextval() for the tables' id columns; reading them lets pg_dump (make backup) run as this role.
        run(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(quoted_role))
    return Grants(role=role, tables=tables)
