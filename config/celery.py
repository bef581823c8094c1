"""The Celery application. Without REDIS_URL tasks run eagerly in-process (see settings)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("ketnghia", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def yield_the_cpu_to_people(**kwargs):
    """Reports are background work sharing the machine with the web server: a PDF being rendered
    (and the renderer processes it starts, which inherit this) must not slow down the pages people
    are waiting for. A nice value only matters when the CPU is contended; alone, a report renders
    as fast as before."""
    from django.conf import settings

    os.nice(settings.WORKER_NICENESS)
