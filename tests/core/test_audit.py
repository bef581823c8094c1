"""Every change leaves an audit event carrying who did it: save, queryset update and delete."""

import pghistory
import pytest
from pghistory.models import Events

from communes.models import Commune
from tests import factories
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def events_for(model, pk, label):
    return Events.objects.filter(
        pgh_model=f"{model._meta.app_label}.{model.__name__}Event", pgh_obj_id=str(pk), pgh_label=label
    )


def test_save_update_and_delete_each_leave_one_event_with_the_user():
    user = factories.user()
    with pghistory.context(user=user.pk):
        commune = factories.commune(name="Hòa Cường")
    with pghistory.context(user=user.pk):
        Commune.objects.filter(pk=commune.pk).update(name="Hòa Cường Bắc")
    with pghistory.context(user=user.pk):
        Commune.objects.filter(pk=commune.pk).delete()

    for label in ["insert", "update", "delete"]:
        events = list(events_for(Commune, commune.pk, label))
        assert len(events) == 1, label
        assert events[0].pgh_context["user"] == user.pk


def test_a_request_records_the_signed_in_user(client):
    admin = factories.user(role="administrator", is_staff=True, is_superuser=True)
    commune = factories.commune(name="Trà Tân")
    sign_in(client, admin)
    response = client.post(
        f"/admin/communes/commune/{commune.pk}/change/",
        {
            "code": commune.code,
            "name": "Trà Tân mới",
            "kind": commune.kind,
            "former_district": "Bắc Trà My",
            "is_mountainous": "unknown",
            "is_border": "unknown",
            "programme_role": "",
            "merged_from": "",
            "source": "",
            "constituents-TOTAL_FORMS": "0",
            "constituents-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = events_for(Commune, commune.pk, "update").get()
    assert event.pgh_context["user"] == admin.pk
    assert event.pgh_context["url"].startswith("/admin/")


def test_commands_record_their_name():
    from django.core.management import call_command

    call_command("load_reference_data", verbosity=0)
    event = Events.objects.filter(pgh_model="communes.CommuneEvent", pgh_label="insert").first()
    assert event.pgh_context["command"] == "load_reference_data"


def test_audit_trail_is_append_only():
    from django.db import connection

    factories.commune()
    from tests.assertions import violates  # noqa: F401  (same mechanism, different exception)

    with pytest.raises(Exception, match="append"):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE communes_communeevent SET name = 'sửa lịch sử'")


def test_a_recorded_context_keeps_its_actor():
    """Rewriting the context of past events cannot re-attribute them (core/migrations/0002): recorded values
    stay, a command's context gets no actor, and only a null actor (before a login) can be filled in."""
    from django.db import connection
    from pghistory.models import Context

    officer, other = factories.user(), factories.user()
    with pghistory.context(user=officer.pk, url="/x/"):
        factories.commune(name="Hòa Khánh")
    with pghistory.context(command="seed_demo"):
        factories.commune(name="Hòa Minh")
    with pghistory.context(user=None, url="/accounts/login/"):
        factories.commune(name="Hòa Hiệp")
    by_officer, by_command, anonymous = (
        Context.objects.get(metadata__url="/x/"),
        Context.objects.get(metadata__command="seed_demo"),
        Context.objects.get(metadata__url="/accounts/login/"),
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pghistory_context SET metadata = jsonb_build_object('user', %s)", [other.pk])
    for context in (by_officer, by_command, anonymous):
        context.refresh_from_db()
    assert by_officer.metadata == {"user": officer.pk, "url": "/x/"}
    assert by_command.metadata == {"command": "seed_demo"}
    assert anonymous.metadata == {"user": other.pk, "url": "/accounts/login/"}
