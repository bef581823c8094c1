"""``grant_app_privileges`` refuses roles that would keep more than their grants. What the grants are,
and that they hold under attack, is tested on a real two-role database: tests/security/test_least_privilege.py."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from operations.privileges import APPEND_ONLY, CONTEXT, READ_ONLY, READ_WRITE, event_tables, privileges_for

pytestmark = pytest.mark.django_db


def test_the_audit_trail_is_append_only_and_the_rest_read_write():
    assert "partnerships_partnershipevent" in event_tables()
    assert "partnerships_partnership" not in event_tables()
    assert privileges_for("partnerships_partnershipevent") == APPEND_ONLY
    assert privileges_for("pghistory_context") == CONTEXT
    assert privileges_for("django_migrations") == READ_ONLY
    assert privileges_for("core_change_counter") == READ_WRITE  # raw SQL tables too


def test_the_migrating_role_is_refused_as_the_app_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")  # the test runner's role: a superuser, or at least the migrating role
        user = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="superuser|vai trò chạy migrate"):
        call_command("grant_app_privileges", user)


def test_an_unknown_role_is_refused():
    with pytest.raises(CommandError, match="Không có vai trò"):
        call_command("grant_app_privileges", "no_such_role_a7")


def test_without_a_role_nothing_is_granted(settings):
    settings.DATABASE_APP_ROLE = ""
    with pytest.raises(CommandError, match="DATABASE_APP_ROLE"):
        call_command("grant_app_privileges")
