"""Readable names (issue 16): a partnership without a title is named by its units, never "#<id>"."""

import re

import pytest
from django.urls import reverse

from partnerships.models import Partnership
from reports.models import Report
from tests import factories
from tests.commitments import fixtures
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def no_number_as_name(content: str, partnership: Partnership) -> None:
    assert "Kết nghĩa #" not in content
    # "#12" alone, as a name would be; "#update-12" anchors and colours are not names.
    assert not re.search(rf"(?<![\w&/-])#{partnership.pk}(?![\w-])", content), content


def test_the_name_is_the_units(world):
    partnership = Partnership.objects.get(pk=world.partnership.pk)
    assert partnership.title == ""
    assert str(partnership) == "Hòa Cường – Trà Tân"
    three_way = factories.partnership(
        supported=factories.commune(name="Phước Thành"),
        supporters=[factories.commune(name="Nam Phước"), factories.commune(name="Thăng Phú")],
    )
    assert str(Partnership.objects.get(pk=three_way.pk)) == "Nam Phước, Thăng Phú – Phước Thành"
    titled = factories.partnership(title="Chương trình kết nghĩa A")
    assert str(titled) == "Chương trình kết nghĩa A"


@pytest.mark.parametrize(
    ("role", "route", "kwargs", "query"),
    [
        ("city", "commitments:commitment_list", {}, ""),
        ("city", "commitments:commitment_create", {}, ""),  # the dropdown of partnerships
        ("city", "commitments:commitment_detail", "commitment", ""),
        ("city", "commitments:commitment_update", "commitment", ""),
        ("city", "commitments:partnership_commitments", "partnership", ""),
        ("city", "commitments:review_queue", {}, ""),
        ("officer", "commitments:my_unit", {}, ""),
        ("city", "partnerships:partnership_list", {}, ""),
        ("city", "partnerships:partnership_detail", "partnership", ""),
        ("city", "reports:report_list", {}, ""),
    ],
)
def test_no_page_names_a_partnership_by_its_number(client, world, role, route, kwargs, query):
    fixtures.submitted_update(world)
    fixtures.pending_adjustment(world)
    if kwargs == "commitment":
        kwargs = {"pk": world.commitment.pk}
    elif kwargs == "partnership":
        kwargs = {"pk": world.partnership.pk}
    Report.objects.create(
        period=world.current_period,
        kind=Report.Kind.PARTNERSHIP,
        partnership=world.partnership,
        requested_by=world.city,
    )
    sign_in(client, getattr(world, role))
    response = client.get(reverse(route, kwargs=kwargs) + query)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Trà Tân" in content
    no_number_as_name(content, world.partnership)


def test_report_scope_is_named_by_the_units(world):
    report = Report(kind=Report.Kind.PARTNERSHIP, partnership=world.partnership)
    assert report.scope_label == "Hòa Cường – Trà Tân"
