"""Speed only: a fast hasher, in-memory mail, uploads under a throw-away folder.

The caches are production's (Redis where REDIS_URL is set); tests/conftest.py gives each test
its own key prefix, since a test's writes roll back without moving the change counter the keys carry."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-test-only-key")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ketnghia-media-"))  # noqa: F405
AXES_ENABLED = True

# Static files come from the finders here; whitenoise serves collected files in production only.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405


# Illustrative and benchmark data (seed_demo, seed_scale): never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

# Without Redis the tests still run production's sessions and signed-in user cache (cached_db and
# accounts.backends), on an in-memory cache: exact in a single process, and the query counts stay the same.
if not REDIS_URL:  # noqa: F405
    CACHES["sessions"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions"}  # noqa: F405
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
