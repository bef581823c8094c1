"""Onboarding by a single-use set-password link (RELIABILITY B6): an administrator creates the link in
the admin site, the person chooses a password there once, within 72 hours."""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pghistory.models import Events

from accounts.models import PASSWORD_SET_BY_LINK_EVENT, Role
from accounts.views import set_password_path
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "bốn mùa hoa nở trên bản làng Trà Tân"
REFUSED = "Liên kết đặt mật khẩu không dùng được"
ROOT = Path(settings.BASE_DIR)


def newcomer():
    """An account as an administrator creates it: no usable password yet."""
    user = factories.user(Role.UNIT_OFFICER, commune=factories.commune(), username="can-bo-moi")
    user.set_unusable_password()
    user.save()
    return user


def choose_password(link: str, password: str = PASSWORD, client: Client | None = None):
    """Open the link (Django moves the token into the session and redirects), then post the form."""
    client = client or Client()
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    assert opened["Location"].endswith("/set-password/")
    assert client.get(opened["Location"]).status_code == 200
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def can_sign_in(user, password: str = PASSWORD) -> bool:
    response = Client().post(reverse("accounts:login"), {"username": user.username, "password": password})
    return response.status_code == 302


def test_links_are_valid_for_at_most_72_hours():
    assert settings.PASSWORD_RESET_TIMEOUT <= 259200


def test_the_admin_action_shows_a_link_that_opens_the_account(world, security_log):
    user = newcomer()
    admin = Client()
    sign_in(admin, world.admin)
    security_log.clear()
    page = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "create_set_password_links", "_selected_action": [user.pk]},
    )
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    link = re.search(r"http://testserver(/accounts/set-password/[^<\s]+)", page.content.decode()).group(1)
    [created] = security_log.events("set_password_link_created")
    assert (created["actor"], created["object_id"]) == ("admin", str(user.pk))
    assert link.rsplit("/", 2)[-2] not in security_log.text, "the token itself is never logged"

    response = choose_password(link)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert can_sign_in(user)
    [used] = security_log.events("set_password_link_used")
    assert (used["outcome"], used["actor"], used["object_id"]) == ("success", user.username, str(user.pk))
    assert PASSWORD not in security_log.text
    [audit] = Events.objects.filter(pgh_obj_model="accounts.User", pgh_label=PASSWORD_SET_BY_LINK_EVENT)
    assert audit.pgh_obj_id == str(user.pk) and audit.pgh_context["user"] == user.pk


def test_the_validators_apply_at_the_link():
    user = newcomer()
    response = choose_password(set_password_path(user), password="danang123456")
    assert response.status_code == 200 and response.context["form"].has_error("new_password2")
    assert not get_user_model().objects.get(pk=user.pk).has_usable_password()


def test_a_link_works_once(security_log):
    user = newcomer()
    link = set_password_path(user)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert choose_password(link).status_code == 302
    # Django's token is derived from the password hash: setting the password spent it.
    assert default_token_generator.check_token(get_user_model().objects.get(pk=user.pk), token) is False
    security_log.clear()
    second = choose_password(link, password="một mật khẩu khác hẳn để chiếm tài khoản")
    assert second.status_code == 200
    assert REFUSED in second.content.decode() and "new_password1" not in second.content.decode()
    assert can_sign_in(user), "the password chosen first still holds"
    [refused] = security_log.events("set_password_link_refused")
    assert (refused["outcome"], refused["actor"], refused["object_id"]) == ("denied", None, str(user.pk))
    assert token not in security_log.text


def test_an_expired_link_is_refused():
    user = newcomer()
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        link = set_password_path(user)
        traveller.shift(datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1))
        response = choose_password(link)
    assert response.status_code == 200 and REFUSED in response.content.decode()
    assert not get_user_model().objects.get(pk=user.pk).has_usable_password()


def test_a_link_just_inside_72_hours_still_works():
    user = newcomer()
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False) as traveller:
        link = set_password_path(user)
        traveller.shift(datetime.timedelta(hours=71, minutes=59))
        assert choose_password(link).status_code == 302


def test_a_forged_token_or_user_is_refused():
    user = newcomer()
    link = set_password_path(user)
    forged_token = re.sub(r"/[^/]+/$", "/abc-0123456789abcdef/", link)
    forged_user = link.replace(link.split("/")[3], "OTk5OTk5")  # base64 of 999999
    for forged in (forged_token, forged_user):
        response = Client().get(forged)
        assert response.status_code == 200 and REFUSED in response.content.decode()


# --- No usable default accounts outside the documented demo data ------------------------------------

# Code that gives an account a password: the only way a row could become a usable default account.
SETS_A_PASSWORD = re.compile(r"""create_(super)?user|set_password\(|make_password|["']password["']\s*:""")


def account_sources() -> list[Path]:
    """Everything that can create rows without a person: fixtures, migrations, management commands and
    the modules those commands load (seed and reference data)."""
    sources = set()
    for app in ("accounts", "communes", "partnerships", "commitments", "reports", "core", "demo"):
        sources |= set((ROOT / app / "migrations").glob("*.py"))
        sources |= set((ROOT / app / "management" / "commands").glob("*.py"))
        sources |= set((ROOT / app).glob("*_data.py"))
    sources |= {p for p in ROOT.rglob("fixtures/*") if not {".venv", "tests", "node_modules"} & set(p.parts)}
    return sorted(sources)


def test_no_fixture_migration_or_seed_command_creates_a_usable_default_account():
    sources = account_sources()
    assert any(p.match("*/migrations/0001_initial.py") for p in sources)
    assert any(p.name == "load_reference_data.py" for p in sources)
    assert [p for p in sources if "fixtures" in p.parts] == [], "no fixtures ship with the portal"
    creators = {str(p.relative_to(ROOT)) for p in sources if SETS_A_PASSWORD.search(p.read_text())}
    # Only the two seeders give accounts passwords, and neither runs in production (the demo app is not
    # installed there):
    # - seed_demo (demo_data.py): admin, city, leader, officer-…, with the password the command prints
    #   and the README publishes, for `make run`;
    # - seed_scale (scale_data.py, `make bench`): every name prefixed ("scale-admin"), and it refuses a
    #   database that already holds data unless forced.
    assert creators == {"demo/demo_data.py", "demo/scale_data.py"}, creators
    scale = (ROOT / "demo/scale_data.py").read_text()
    assert 'add("admin", Role.ADMINISTRATOR)' in scale and '"username": f"{USER_PREFIX}{username}"' in scale
    readme = (ROOT / "README.md").read_text()
    assert "`admin` (administrator)" in readme and "demo-password-2025" in readme


def test_migrations_and_reference_data_create_no_account(tmp_path):
    """The test database has been migrated; loading the reference data adds units, not people."""
    assert get_user_model().objects.count() == 0
    call_command("load_reference_data", stdout=open(tmp_path / "out.txt", "w"))
    assert get_user_model().objects.count() == 0


def test_no_secret_questions_exist():
    user_fields = {field.name for field in get_user_model()._meta.get_fields()}
    assert not {name for name in user_fields if "question" in name or "answer" in name or "hint" in name}
