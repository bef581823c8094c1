"""Local conveniences only: debug pages and a development-only secret."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-development-only-key-never-used-in-production")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")

from .base import *  # noqa: E402,F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

# Static files come from the finders here; whitenoise serves collected files in production only.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# Illustrative and benchmark data (seed_demo, seed_scale): never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

# runserver serves each connection in a thread of its own: with CONN_MAX_AGE every thread would keep its
# database connection open after it ends, and a hundred browser connections exhaust PostgreSQL's. A
# development server gains nothing from reusing them; production (gunicorn, base.py) keeps them.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
