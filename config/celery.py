"""The Celery application. Without REDIS_URL tasks run eagerly in-process (see settings)."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("ketnghia", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def yield_the_cpu_to_people(**kwargs):
    """Reports are background work sharing the machine with the web server: a PDF being rendered
    (and the renderer processes it starts, which inherit this) must not slow down the pages people
    are waiting for. A nice value only matters when the CPU is contended; alone, a report renders
    as fast as before.

    On Linux the process also takes the SCHED_IDLE policy (WORKER_IDLE_SCHEDULING): it then runs only
    on CPU time nobody else wants. A nice value alone still left report rendering about a tenth of the
    cores while 200 people were browsing (make load).
    """
    from django.conf import settings

    os.nice(settings.WORKER_NICENESS)
    if settings.WORKER_IDLE_SCHEDULING and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


@worker_init.connect
def limit_worker_statements(**kwargs):
    """A worker's statements may run up to WORKER_STATEMENT_TIMEOUT (a national report's queries take
    longer than a page's), not the web's limit. Sent once in the worker's main process, before the pool
    starts; connections opened before it (the fixup's checks) are closed so that none keeps no limit."""
    from django.conf import settings
    from django.db import connections

    from config.database import limit_statements

    limit_statements(settings.DATABASES, settings.WORKER_STATEMENT_TIMEOUT)
    connections.close_all()
