import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.database import limit_statements
from config.web_process import compile_templates, tune_garbage_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# A web process: no statement may hold a worker and its connection longer than WEB_STATEMENT_TIMEOUT.
limit_statements(settings.DATABASES, settings.WEB_STATEMENT_TIMEOUT)
application = get_wsgi_application()
compile_templates()
tune_garbage_collector()
