"""Settings of the processes the chaos tests start (web, worker, beat): production settings plus short
pipeline timings, so the re-queue job acts within seconds instead of minutes.

Every timing comes from the environment the test sets; MEDIA_ROOT and the database are the pytest ones.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-chaos-test-only-key")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")

from config.settings.base import *  # noqa: E402,F403

# Users are created by the pytest process, whose settings hash passwords with MD5 (speed).
PASSWORD_HASHERS = [*PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

REPORT_HEARTBEAT_SECONDS = int(os.environ.get("CHAOS_HEARTBEAT_SECONDS", "2"))
REPORT_HEARTBEAT_TIMEOUT_SECONDS = int(os.environ.get("CHAOS_HEARTBEAT_TIMEOUT_SECONDS", "10"))
REPORT_QUEUED_TIMEOUT_SECONDS = int(os.environ.get("CHAOS_QUEUED_TIMEOUT_SECONDS", "10"))
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-reports": {
        "task": "reports.tasks.requeue_stalled_reports_task",
        "schedule": float(os.environ.get("CHAOS_REAPER_SECONDS", "5")),
    },
}
