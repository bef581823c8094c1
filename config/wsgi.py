import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.database import limit_statements

# Young-generation threshold raised from Python's 700; the older generations keep their defaults.
WEB_GC_THRESHOLDS = (50_000, 10, 10)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# A web process: no statement may hold a worker and its connection longer than WEB_STATEMENT_TIMEOUT.
limit_statements(settings.DATABASES, settings.WEB_STATEMENT_TIMEOUT)
application = get_wsgi_application()


def compile_templates() -> int:
    """Load every project template into the cached loader now. Under ``gunicorn --preload`` this runs
    once in the master, and every worker (a recycled one too) starts with them compiled instead of
    compiling each on its first request, which made the first requests after a recycle the slowest
    of a load test (0.3–0.6 s). Returns how many were compiled."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError
    from django.template.loader import get_template

    root = settings.BASE_DIR / "templates"
    compiled = 0
    for path in sorted(root.rglob("*.html")):
        try:
            get_template(str(path.relative_to(root)))
        except (TemplateDoesNotExist, TemplateSyntaxError):  # a broken template fails where it is used
            continue
        compiled += 1
    return compiled


compile_templates()
# Everything loaded so far lives as long as the process: move it out of the collector's sight, so that
# a worker's full collections scan only what its requests allocate (gunicorn --preload forks after this).
gc.freeze()
# A page allocates tens of thousands of objects, nearly all freed by reference counting when the request
# ends; at Python's default (a young collection every 700 allocations) the collector ran dozens of times
# per page for little. Measured in bench/findings.md: 7-10 % less CPU per request.
gc.set_threshold(*WEB_GC_THRESHOLDS)
