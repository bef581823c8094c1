"""Shared assertions: database invariants and query counts."""

import contextlib

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.test.utils import CaptureQueriesContext


@contextlib.contextmanager
def violates(name: str, *, immediate: bool = False):
    """Assert the block breaks the database invariant ``name`` (a constraint or a trigger message).

    ``immediate`` checks deferred constraints and triggers at the end of the block instead of at
    commit, which a test wrapped in a transaction never reaches.
    """
    with pytest.raises((IntegrityError, InternalError)) as raised:
        with transaction.atomic():
            if immediate:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            yield
            if immediate:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert name in str(raised.value), f"expected {name!r} in: {raised.value}"


@contextlib.contextmanager
def count_queries():
    with CaptureQueriesContext(connection) as context:
        yield context
