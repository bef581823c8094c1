"""What a web process does once, before serving its first request.

config/wsgi.py does it in gunicorn's preloading master; the bench (bench/run_scale.py), which serves
pages in-process with Django's test client, does the same, so that it measures pages as the workers
serve them.
"""

import gc

from django.conf import settings

# Young-generation threshold raised from Python's 700; the older generations keep their defaults.
# Each request leaves some garbage in reference cycles (model instances and their prefetched
# relations, filtersets), freed only by a collection: at 50,000 a collection came every few dozen
# requests and one request paid for all of them, which set the pages' p95 (bench/findings.md).
WEB_GC_THRESHOLDS = (10_000, 10, 10)


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


def tune_garbage_collector() -> None:
    """Call once everything that lives as long as the process is loaded."""
    # Move what is loaded out of the collector's sight, so that a worker's full collections scan only
    # what its requests allocate (gunicorn --preload forks after this).
    gc.freeze()
    # A page allocates tens of thousands of objects, nearly all freed by reference counting when the
    # request ends; at Python's default (a young collection every 700 allocations) the collector ran
    # dozens of times per page for little (bench/findings.md).
    gc.set_threshold(*WEB_GC_THRESHOLDS)
