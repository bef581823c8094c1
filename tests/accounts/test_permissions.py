"""accounts.permissions: the role → action table, and that every guard speaks its vocabulary."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from accounts.models import Role, User
from accounts.permissions import ACTIONS, ROLE_ACTIONS, can

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "commitments", "communes", "core", "partnerships", "reports")
CITY_STAFF = {
    "read_all_partnerships",
    "write_records",
    "edit_partnerships",
    "log_activity_anywhere",
    "add_commitments",
    "change_commitment_terms",
    "verify_progress",
    "void_records",
    "manage_reports",
}
EXPECTED = {
    Role.CITY_STAFF: CITY_STAFF,
    Role.ADMINISTRATOR: CITY_STAFF,
    Role.LEADERSHIP: {"read_all_partnerships"},
    Role.UNIT_OFFICER: {"write_records", "use_unit_desk"},
}
# can(user, "action") in Python, user|can:"action" in templates.
ACTION_IN_CODE = re.compile(r"""\bcan\(\s*[\w.]+\s*,\s*["'](\w+)["']""")
ACTION_IN_TEMPLATES = re.compile(r"""\|can:["'](\w+)["']""")
# Role tests that the table replaces; row rules (visible_to, editable_by) live in models.py and stay.
ROLE_TESTS = re.compile(r"\.(is_city_staff|is_leadership|sees_everything)\b")
GUARD_MODULES = ("views.py", "forms.py", "services.py")


def source_files(pattern: str) -> list[Path]:
    return [path for app in APPS for path in (ROOT / app).rglob(pattern) if "migrations" not in path.parts]


def template_files() -> list[Path]:
    return list((ROOT / "templates").rglob("*.html"))


def named_actions() -> set[str]:
    code = {name for path in source_files("*.py") for name in ACTION_IN_CODE.findall(path.read_text())}
    templates = {name for path in template_files() for name in ACTION_IN_TEMPLATES.findall(path.read_text())}
    return code | templates


def user_with(role: str) -> User:
    return User(username=role, role=role)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_exactly_what_the_table_says(role):
    assert {action for action in ACTIONS if can(user_with(role), action)} == EXPECTED[role]


def test_every_role_has_a_row_in_the_table():
    assert set(ROLE_ACTIONS) == set(Role)


def test_an_anonymous_user_may_do_nothing():
    assert not any(can(AnonymousUser(), action) for action in ACTIONS)


def test_an_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(ValueError, match="verify_progres"):
        can(user_with(Role.CITY_STAFF), "verify_progres")


def test_every_action_named_in_the_code_is_in_the_table():
    named = named_actions()
    assert named, "the walk found no can(...) call: the patterns no longer match the code"
    assert named <= set(ACTIONS), named - set(ACTIONS)


def test_every_action_in_the_table_guards_something():
    assert set(ACTIONS) <= named_actions(), set(ACTIONS) - named_actions()


def test_views_forms_services_and_templates_do_not_test_roles_directly():
    paths = [path for name in GUARD_MODULES for path in source_files(name)] + template_files()
    offenders = [
        f"{path.relative_to(ROOT)}: {match}" for path in paths for match in ROLE_TESTS.findall(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(("role", "shown"), [(Role.CITY_STAFF, "yes"), (Role.LEADERSHIP, "no")])
def test_the_template_filter_reads_the_same_table(role, shown):
    template = Template('{% load permissions %}{% if user|can:"verify_progress" %}yes{% else %}no{% endif %}')
    assert template.render(Context({"user": user_with(role)})) == shown
