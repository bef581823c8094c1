"""Signing in with a username and password, and finding the signed-in user on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.precompiled import PrecompiledQuery

# Any key: only its place among the compiled query's parameters matters.
_SAMPLE_PK = 1

# The manager's queryset, unit included (accounts.models.PortalUserManager), compiled once.
user_by_pk = PrecompiledQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk), _SAMPLE_PK)


class PortalModelBackend(ModelBackend):
    """Django's ModelBackend; only ``get_user``, run by every signed-in request, skips compiling its SQL.

    The answer is the same as ModelBackend's: the user with their unit, or None for a key that matches
    nobody or an inactive user (``user_can_authenticate``), so a deactivated account is signed out on its
    next request. The session's password hash is checked afterwards by ``django.contrib.auth.get_user``.
    """

    def get_user(self, user_id):
        pk = get_user_model()._meta.pk.get_prep_value(user_id)  # what the ORM would send for pk=user_id
        if pk is None:
            return None
        try:
            user = user_by_pk.get(pk)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
