"""``{% if request.user|can:"verify_progress" %}``: templates hide buttons by the same table views enforce."""

from django import template

from accounts.permissions import can as user_can

register = template.Library()


@register.filter
def can(user, action: str) -> bool:
    return user_can(user, action)
