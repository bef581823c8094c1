"""core.precompiled.PrecompiledQuery: the same objects as the ORM's, from SQL compiled once."""

from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler
from pghistory.models import Context

from accounts.models import Role, User
from core.precompiled import PrecompiledQuery
from tests import factories
from tests.assertions import count_queries

pytestmark = pytest.mark.django_db


def field_values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def by_pk() -> PrecompiledQuery:
    return PrecompiledQuery(lambda pk: User.objects.filter(pk=pk), 1)


def test_an_object_equals_the_orms_with_its_select_related_object_cached():
    officer = factories.user(Role.UNIT_OFFICER, commune=factories.commune())
    expected = User.objects.get(pk=officer.pk)

    with count_queries() as queries:
        found = by_pk().get(officer.pk)
        commune = found.commune

    assert len(queries) == 1
    assert field_values(found) == field_values(expected)
    assert field_values(commune) == field_values(expected.commune)
    assert found._state.db == "default" and found._state.adding is False
    assert commune._state.db == "default" and commune._state.adding is False


def test_a_missing_select_related_object_is_cached_as_none():
    staff = factories.user(Role.CITY_STAFF)

    found = by_pk().get(staff.pk)

    with count_queries() as queries:
        assert found.commune is None
    assert len(queries) == 0


def test_the_sql_is_compiled_once_and_then_only_run_with_new_parameters():
    first, second = factories.user(), factories.user()
    query = by_pk()
    query.get(first.pk)

    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled again")):
        assert query.get(second.pk) == second
        assert query.get(first.pk) == first


def test_several_arguments_go_to_their_own_places():
    user = factories.user(first_name="Lan")
    query = PrecompiledQuery(lambda pk, name: User.objects.filter(first_name=name, pk=pk), 1, "sample")

    assert query.all(user.pk, "Lan") == [user]
    assert query.all(user.pk, "Mai") == []


def test_peers_are_the_objects_of_one_run_only():
    from django.db.models import FETCH_PEERS

    communes = [factories.commune(), factories.commune()]
    first, second = (factories.user(Role.UNIT_OFFICER, commune=commune) for commune in communes)
    query = PrecompiledQuery(lambda pk: User.objects.fetch_mode(FETCH_PEERS).filter(pk__gte=pk), 1)

    query.all(first.pk)
    found = query.all(second.pk)

    assert [peer() for peer in found[0]._state.peers] == [second]
    assert [peer() for peer in found[0].commune._state.peers] == [communes[1]]


def test_database_converters_are_applied():
    context = Context.objects.create(metadata={"user": 5, "url": "/a/"})
    query = PrecompiledQuery(lambda pk: Context.objects.filter(pk=pk), context.pk)

    assert query.get(context.pk).metadata == {"user": 5, "url": "/a/"}


def test_get_raises_the_models_exceptions_like_the_orm():
    factories.user(first_name="Twin"), factories.user(first_name="Twin")
    by_name = PrecompiledQuery(lambda name: User.objects.filter(first_name=name), "sample")

    with pytest.raises(User.DoesNotExist):
        by_pk().get(10**12)
    with pytest.raises(User.MultipleObjectsReturned):
        by_name.get("Twin")


def test_a_lookup_that_rewrites_its_value_is_refused():
    # "contains" sends "%sample%": the compiled SQL could not take another value in its place.
    query = PrecompiledQuery(lambda name: User.objects.filter(username__contains=name), "sample")

    with pytest.raises(ValueError, match="exactly once"):
        query.all("x")


def test_none_is_refused_because_it_would_need_is_null():
    with pytest.raises(ValueError, match="None"):
        by_pk().all(None)


def test_annotations_are_refused():
    from django.db.models import Value

    query = PrecompiledQuery(lambda pk: User.objects.filter(pk=pk).annotate(one=Value(1)), 1)

    with pytest.raises(ValueError, match="plain model querysets"):
        query.all(1)
