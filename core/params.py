"""Strict readers for query parameters that are not part of a form (issue 21 item 2).

Everything read from a query string goes through a form field: Django's fields refuse NUL bytes, text
longer than their limit and numbers that are not numbers, where ``str.isdigit()`` lets "²" through to
an ``int()`` that raises. A value the field refuses reads as "not given", never as a server error.
"""

from django import forms
from django.core.exceptions import ValidationError

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint, the type of every primary key here
MAX_TYPED_TEXT = 200  # a name or a code typed into a suggestion box; longer is not a search

_ROW_ID = forms.IntegerField(min_value=1, max_value=BIGINT_MAX, required=False)
_TEXT = forms.CharField(max_length=MAX_TYPED_TEXT, required=False)


def row_id(value) -> int | None:
    """A primary key from ``?partnership=12``, or None for anything that is not one."""
    try:
        return _ROW_ID.clean(value)
    except ValidationError:
        return None


def typed_text(value) -> str:
    """Text typed into a search or suggestion box, stripped; "" when it has a NUL or is too long."""
    try:
        return _TEXT.clean(value)
    except ValidationError:
        return ""
