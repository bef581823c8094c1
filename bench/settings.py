"""Benchmark settings: production's (``config.settings.base``) plus the bench-only URLconf.

Only these things differ from production, none of which touches the pages measured:
- the ``demo`` app is installed, for ``seed_scale``;
- ``ROOT_URLCONF`` adds a "hello" view (the P4 reference) and an admin site whose commitment
  changelist has the portal's page size (the P3 reference); production has neither;
- the Django test client's host ("testserver") is allowed;
- static files come from the finders (nothing is collected) and generated reports go to a folder
  under ``var/`` that the bench empties.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-never-used-in-production")

from config.settings.base import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405  (seed_scale)
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / "bench-media"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The bench signs in many clients; their login events are not what it measures.
LOGGING["loggers"]["portal.security"]["level"] = "WARNING"  # noqa: F405
