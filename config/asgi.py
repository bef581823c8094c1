import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from config.database import limit_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# A web process: no statement may hold a worker and its connection longer than WEB_STATEMENT_TIMEOUT.
limit_statements(settings.DATABASES, settings.WEB_STATEMENT_TIMEOUT)
application = get_asgi_application()
