import io
import re

import pytest
from django.core.management import call_command

from accounts.models import User
from commitments.models import Commitment, Field, ProgressUpdate
from communes.models import Commune
from partnerships.models import Activity, Partnership

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)
        call_command("seed_demo", verbosity=0)
    yield
    with django_db_blocker.unblock():
        from django.core.management import call_command as run

        run("flush", "--no-input", verbosity=0)


def test_every_unit_but_the_special_zone_is_paired(seeded):
    unpaired = Commune.objects.exclude(kind=Commune.Kind.SPECIAL_ZONE).filter(memberships__isnull=True)
    assert list(unpaired) == []
    assert Commune.objects.supported().count() == 33
    assert Commune.objects.supporting().count() == 60


def test_demo_rows_are_marked(seeded):
    assert Partnership.objects.filter(is_demo=True).exists()
    assert Partnership.objects.filter(is_demo=False).count() == 14
    assert not Commitment.objects.filter(is_demo=False).exists()
    assert set(Partnership.objects.filter(is_demo=True).values_list("title", flat=True)) == {
        title
        for title in Partnership.objects.filter(is_demo=True).values_list("title", flat=True)
        if "(minh họa)" in title
    }


def test_commitments_in_every_field_and_every_state(seeded):
    assert Commitment.objects.values("field").distinct().count() == Field.objects.count()
    states = set(ProgressUpdate.objects.values_list("state", flat=True))
    assert states == {"submitted", "verified", "returned"}
    assert Commitment.objects.overdue().exists()
    assert ProgressUpdate.objects.values("period").distinct().count() >= 3
    assert Activity.objects.exists()


def test_users_for_every_role_and_unit(seeded):
    assert User.objects.filter(username__startswith="officer-").count() == 94
    for name in ["city", "leader", "admin"]:
        assert User.objects.get(username=name).check_password("demo-password-2025")
    # City staff and the administrator sign in with a code from the documented demo secret (README).
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.mfa import DEMO_TOTP_SECRET, hex_key_from_base32

    keys = dict(TOTPDevice.objects.filter(confirmed=True).values_list("user__username", "key"))
    assert keys == dict.fromkeys(["city", "admin"], hex_key_from_base32(DEMO_TOTP_SECRET))


def test_second_run_changes_nothing(seeded):
    from pghistory.models import Events

    counts = [model.objects.count() for model in (Partnership, Commitment, ProgressUpdate, Activity, User)]
    events = Events.objects.count()
    call_command("seed_demo", verbosity=0)
    assert [model.objects.count() for model in (Partnership, Commitment, ProgressUpdate, Activity, User)] == counts
    assert Events.objects.count() == events


def test_the_example_officer_of_the_readme_has_work_to_do(seeded):
    """A new user follows the README: the officer it names must have commitments to report on."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    code = re.search(r"e\.g\. `officer-(\d{5})`", readme).group(1)
    assert Commitment.objects.filter(owner=code, completed_on__isnull=True).exists()
    printed = io.StringIO()
    call_command("seed_demo", stdout=printed)
    assert f"officer-{code}" in printed.getvalue()
