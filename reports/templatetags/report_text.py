"""Filters of the printed report: amounts whose "đ" never leaves the number."""

import re

from django import template

from reports.narrative import NBSP
from reports.narrative import money as _money

register = template.Library()

_AMOUNT_GAP = re.compile(r"(\d) (?=\S)")


@register.filter
def money(value) -> str:
    """1250000 → "1.250.000 đ", the space unbreakable."""
    return _money(value)


@register.filter
def amounts(text) -> str:
    """ "2 căn nhà; 160.000.000 đ": a number is never parted from its unit ("đ", "căn")."""
    return _AMOUNT_GAP.sub(lambda m: m.group(1) + NBSP, str(text or ""))
