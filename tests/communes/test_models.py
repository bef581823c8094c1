"""communes.models: the directory's order and the index that serves it."""

import pytest
from django.db import connection

from communes.models import Commune
from tests import factories

pytestmark = pytest.mark.django_db


def test_units_are_ordered_by_name_without_accents_then_code():
    for code, name in [
        ("90005", "Hòa Vang"),
        ("90001", "Ân Hải"),
        ("90003", "An Hải"),
        ("90002", "Hoà Khánh"),
        ("90004", "an hải"),
    ]:
        factories.commune(code=code, name=name)

    ordered = list(Commune.objects.filter(code__startswith="9000").order_by_name().values_list("code", flat=True))

    # "an hai" ×3 (by code), then "hoa khanh", then "hoa vang": accents and case do not count.
    assert ordered == ["90001", "90003", "90004", "90002", "90005"]


def test_a_page_of_units_is_read_from_the_name_index():
    """The ORDER BY must be the very expression the index was built on, or every unit is sorted."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = Commune.objects.order_by_name()[:25].explain()
    assert "communes_commune_name_key" in plan, plan
