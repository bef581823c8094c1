"""Speed only: a fast hasher, in-memory mail, uploads under a throw-away folder."""

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

# Tests run inside transactions that never commit, so the dashboard's change counter (bumped at
# COMMIT) never moves and a shared cache would hand one test's figures to the next: no caching
# here; tests/reports/test_dashboard_cache.py switches a real cache on where it tests it.
CACHES = {**CACHES, "dashboard": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}  # noqa: F405

# Every write is seen by the next dashboard at once; tests/reports/test_dashboard.py turns the reuse
# of recent figures on where it tests it.
DASHBOARD_REUSE_SECONDS = 0
# For the same reason, no copy of those entries in the process either (the counter does not move);
# tests/reports/test_summary.py turns the memo on where it tests it.
DASHBOARD_MEMO_ENTRIES = 0

# Illustrative and benchmark data (seed_demo, seed_scale): never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
