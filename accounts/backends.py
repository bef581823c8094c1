"""Finding the signed-in user on every request: Django's ModelBackend, with the user kept in the cache.

Zulip's ``get_user_profile_by_id`` pattern: every signed-in request asks for its user by id, so the user
(with the unit shown in every page's header, ``accounts.models.PortalUserManager``) is read from the
sessions' cache (``SESSION_CACHE_ALIAS``), and only on a miss from PostgreSQL with a plain ORM query. Saving or deleting the
user, or saving their unit, forgets the cached copy (receivers connected in ``accounts.apps``).

The checks stay Django's: ``get_user`` answers None for an inactive user (``user_can_authenticate``),
and ``django.contrib.auth.get_user`` then compares the session's password hash with the user's, so a
deactivated account or a changed password ends the session at its next request.

The cache fails open (``core.cache.FailOpenRedisCache``): with Redis down every request reads the user
from PostgreSQL, as with ModelBackend. A change made while Redis could not be told (down, or skipped
for a few seconds after an error) leaves a stale copy behind; ``CACHE_SECONDS`` bounds how long it can
be served.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.db import transaction

# How long a cached user may be served at most: the bound on a copy that an invalidation missed.
CACHE_SECONDS = 5 * 60


def cache_key(user_id) -> str:
    return f"accounts.user:{user_id}"


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend; ``get_user``, asked by every signed-in request, reads the cache first."""

    def get_user(self, user_id):
        cache = caches[settings.SESSION_CACHE_ALIAS]
        key = cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user_model = get_user_model()
            try:
                user = user_model._default_manager.get(pk=user_id)
            except user_model.DoesNotExist:
                return None
            cache.set(key, user, CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None


def forget_users(user_ids, *, using: str) -> None:
    """Drop the cached copies of these users now and again when the transaction commits: a request
    that read the old row before the commit may have cached it in between."""
    keys = [cache_key(pk) for pk in user_ids]
    if not keys:
        return
    caches[settings.SESSION_CACHE_ALIAS].delete_many(keys)
    transaction.on_commit(lambda: caches[settings.SESSION_CACHE_ALIAS].delete_many(keys), using=using)


def forget_user(sender, instance, using, **kwargs):
    """``post_save``/``post_delete`` of a user."""
    forget_users([instance.pk], using=using)


def forget_officers(sender, instance, using, **kwargs):
    """``post_save`` of a unit: its officers' cached copies carry its name."""
    forget_users(list(instance.officers.using(using).values_list("pk", flat=True)), using=using)
