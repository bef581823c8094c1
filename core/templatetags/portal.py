"""Presentation helpers shared by every page: Vietnamese money and numbers, status badges."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def vnd(value) -> str:
    """1250000 → "1.250.000 đ" (Vietnamese grouping whatever the active language)."""
    if value in (None, ""):
        return "—"
    return f"{int(value):,}".replace(",", ".") + " đ"


@register.filter
def number(value) -> str:
    """A quantity without useless decimals: 2.00 → "2", 2.50 → "2,5", 1500 → "1.500"."""
    if value in (None, ""):
        return "—"
    value = Decimal(value)
    if value == value.to_integral():
        return f"{int(value):,}".replace(",", ".")
    return number_format(value.normalize(), use_l10n=True)


@register.simple_tag(takes_context=True)
def querystring_without(context, *names) -> str:
    """The current query string minus ``names`` (e.g. drop "page" when a filter changes)."""
    query = context["request"].GET.copy()
    for name in names:
        query.pop(name, None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
